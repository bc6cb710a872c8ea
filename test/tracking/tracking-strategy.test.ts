import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { CallStore } from '../../src/calls/call-store.js';
import { ManualClock } from '../../src/clock.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createApp, type App } from '../../src/main.js';
import { TrackingAttributor } from '../../src/tracking/attributor.js';
import { CallHistory } from '../../src/tracking/call-history.js';
import { HoldStore } from '../../src/tracking/hold-store.js';
import { NumberStore } from '../../src/tracking/number-store.js';
import type { TrackingStrategy } from '../../src/tracking/tracking-strategy.js';
import { VisitStore } from '../../src/tracking/visit-store.js';
import { callFrom } from '../support/calls.js';
import { makeConfig } from '../support/config.js';
import { testLogger } from '../support/logger.js';
import { tempDir } from '../support/temp.js';
import { MINUTE, pool } from '../support/tracking-app.js';

const CALLER = '+79161234567';
const LANDING = 'https://shop.example.com/?utm_source=ads&utm_medium=cpc&utm_campaign=spring';

async function appWith(strategy: TrackingStrategy | undefined, clock: ManualClock): Promise<App> {
  const cfg = makeConfig({
    database: { client: 'sqlite3', filename: path.join(tempDir(), 'calltrack.sqlite') },
    tracking: { defaultCountry: 'RU', graceMinutes: 60, repeatCallDays: 30 },
    pools: [pool('ads', 1, 1, { holdMinutes: 15, fallbackNumber: '+74950009901' })],
    log: { level: 'silent' },
  });
  const app = await createApp(cfg, { logger: testLogger(), clock, ...(strategy ? { strategy } : {}) });
  await migrateToLatest(app.db);
  await app.numberSync.sync(cfg);
  after(() => app.stop());
  return app;
}

describe('tracking strategies (SQLite, virtual clock)', () => {
  it('a caller redialling a number now held by a stranger is credited to the visit of their earlier call', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 10));
    const app = await appWith(undefined, clock);
    const first = await app.visits.startVisit({ url: LANDING });
    clock.advance(2 * MINUTE);
    const call = await app.attributor.attribute({ trackingNumber: first.number ?? '', callerNumber: CALLER, at: clock.now() });
    assert.equal(call?.visitId, first.visitId);
    if (call) await new CallStore().insert(app.db, callFrom(call, CALLER, clock.now()));

    clock.advance(3 * 60 * MINUTE);
    const stranger = await app.visits.startVisit({ url: 'https://shop.example.com/' });
    assert.equal(stranger.number, first.number, 'the only number went to the next visitor');
    clock.advance(MINUTE);
    const redial = await app.attributor.attribute({ trackingNumber: first.number ?? '', callerNumber: CALLER, at: clock.now() });
    assert.deepEqual([redial?.visitId, redial?.late, redial?.firstCall], [first.visitId, true, false]);

    // Without the tie-break the hold alone decides: the stranger gets the call.
    const plain = new TrackingAttributor({
      db: app.db,
      config: app.config,
      numbers: new NumberStore(),
      holds: new HoldStore(),
      visits: new VisitStore(),
      calls: new CallHistory(),
      strategy: { hold: { kind: 'activity' }, callerHistoryTieBreak: false },
    });
    const byHold = await plain.explain({ trackingNumber: first.number ?? '', callerNumber: CALLER, at: clock.now() });
    assert.equal(byHold?.visitId, stranger.visitId);
    // A caller nobody knows still goes to the holder.
    const unknown = await app.attributor.explain({ trackingNumber: first.number ?? '', callerNumber: '+79160000000', at: clock.now() });
    assert.equal(unknown?.visitId, stranger.visitId);
  });

  it('a fixed hold ("freeze time") runs from the first view: pings, calls and release do not move it', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 10));
    const app = await appWith({ hold: { kind: 'fixed', minutes: 30 }, callerHistoryTieBreak: false }, clock);
    const v = await app.visits.startVisit({ url: LANDING });
    const until = clock.now() + 30 * MINUTE;
    assert.equal(v.holdUntil, until);
    clock.advance(20 * MINUTE);
    assert.equal((await app.visits.ping(v.visitId)).holdUntil, until);
    await app.attributor.attribute({ trackingNumber: v.number ?? '', callerNumber: CALLER, at: clock.now() });
    await app.visits.release(v.visitId);
    clock.advance(11 * MINUTE);
    const next = await app.visits.startVisit({ url: LANDING });
    assert.equal(next.number, v.number, 'the number is free 30 min after the first view');
    // The first page still shows the number it was given, as freeze-time snippets do.
    const stale = await app.visits.ping(v.visitId);
    assert.deepEqual([stale.number, stale.holdUntil], [v.number, null]);
  });
});
