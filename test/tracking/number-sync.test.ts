import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { createDatabase, type Database } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { NumberStore } from '../../src/tracking/number-store.js';
import { NumberSyncService } from '../../src/tracking/number-sync.js';
import { makeConfig } from '../support/config.js';
import { testLogger } from '../support/logger.js';
import { tempDir } from '../support/temp.js';

const staticRadio = { number: '+74950000001', forwardTo: '+74951112233', source: { name: 'Radio', medium: 'offline' } };
const pool = { name: 'ads', numbers: ['+74950000101', '+74950000102'], forwardTo: '+74951112233', fallbackNumber: '+74950000199' };

describe('config sync of tracking numbers', () => {
  let db: Database;
  const store = new NumberStore();
  const clock = new ManualClock(Date.UTC(2026, 10, 1));
  let sync: NumberSyncService;

  before(async () => {
    db = createDatabase({ client: 'sqlite3', filename: path.join(tempDir(), 'sync.sqlite'), busyTimeoutMs: 5000 });
    await migrateToLatest(db);
    sync = new NumberSyncService(db, store, clock, testLogger());
  });
  after(() => db.destroy());

  it('writes static, pool and fallback numbers', async () => {
    const summary = await sync.sync(makeConfig({ numbers: [staticRadio], pools: [pool] }));
    assert.deepEqual(summary.created, ['+74950000001', '+74950000101', '+74950000102', '+74950000199']);
    const numbers = await store.listAll(db);
    assert.deepEqual(
      numbers.map((n) => [n.number, n.kind, n.poolName, n.sourceName, n.active]),
      [
        ['+74950000001', 'static', null, 'Radio', true],
        ['+74950000101', 'pool', 'ads', null, true],
        ['+74950000102', 'pool', 'ads', null, true],
        ['+74950000199', 'fallback', 'ads', null, true],
      ],
    );
    assert.equal((await sync.sync(makeConfig({ numbers: [staticRadio], pools: [pool] }))).unchanged, 4, 'a second sync changes nothing');
  });

  it('deactivates a removed number without deleting it or its calls, and reactivates it when it returns', async () => {
    const radio = await store.findByNumber(db, '+74950000001');
    assert.ok(radio);
    await db('calls').insert({
      id: 'call-1', tracking_number: radio.number, tracking_number_id: radio.id, started_at: clock.now(),
      status: 'answered', created_at: clock.now(), updated_at: clock.now(),
    });

    clock.advance(60_000);
    const removed = await sync.sync(makeConfig({ pools: [pool] }));
    assert.deepEqual(removed.deactivated, ['+74950000001']);
    const after = await store.findByNumber(db, '+74950000001');
    assert.equal(after?.active, false);
    assert.equal(after?.deactivatedAt, clock.now());
    const call = (await db('calls').where({ id: 'call-1' }).first()) as { tracking_number_id: number };
    assert.equal(call.tracking_number_id, radio.id, 'the call still points at its number');

    clock.advance(60_000);
    const back = await sync.sync(makeConfig({ numbers: [{ ...staticRadio, source: { name: 'Radio Maximum' } }], pools: [pool] }));
    assert.deepEqual(back.reactivated, ['+74950000001']);
    const again = await store.findByNumber(db, '+74950000001');
    assert.equal(again?.id, radio.id, 'the same row, so old calls and new calls share the number');
    assert.equal(again?.active, true);
    assert.equal(again?.sourceName, 'Radio Maximum');

    const history = await store.listChanges(db, radio.id);
    assert.deepEqual(history.map((h) => h.change), ['created', 'deactivated', 'reactivated']);
    assert.deepEqual(history[2]?.before, { sourceName: 'Radio', sourceMedium: 'offline' });
    assert.deepEqual(history[2]?.after, { sourceName: 'Radio Maximum', sourceMedium: null });
  });

  it('records a changed forward target and a number moved between pool and static', async () => {
    const moved = await sync.sync(
      makeConfig({
        numbers: [staticRadio, { number: '+74950000102', forwardTo: ['+74951112244', '+74951112255'], source: { name: 'Maps' } }],
        pools: [{ ...pool, numbers: ['+74950000101'] }],
      }),
    );
    assert.deepEqual(moved.updated.sort(), ['+74950000001', '+74950000102']);
    const maps = await store.findByNumber(db, '+74950000102');
    assert.equal(maps?.kind, 'static');
    assert.equal(maps?.poolName, null);
    assert.deepEqual(maps?.forwardTo, ['+74951112244', '+74951112255']);
    assert.equal(maps?.holdVisitId, null);
  });

  it('changes nothing when the sync fails half way', async () => {
    const before = await store.listAll(db);
    const failing = new NumberSyncService(db, { ...store, listAll: store.listAll.bind(store), insert: () => Promise.reject(new Error('disk full')) } as unknown as NumberStore, clock, testLogger());
    await assert.rejects(failing.sync(makeConfig({ numbers: [staticRadio, { ...staticRadio, number: '+74950000002' }] })), /disk full/);
    assert.deepEqual(await store.listAll(db), before);
  });
});
