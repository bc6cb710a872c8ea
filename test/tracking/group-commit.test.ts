import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import knex from 'knex';
import { InvalidInputError } from '../../src/errors.js';
import { SqliteHotPath } from '../../src/db/sqlite-hot-path.js';
import { BulkVisitWriter, VISIT_BATCH_SETUP } from '../../src/tracking/bulk-visit-writer.js';
import { HoldStore } from '../../src/tracking/hold-store.js';
import { NumberAllocator } from '../../src/tracking/number-allocator.js';
import { PoolEventStore } from '../../src/tracking/pool-event-store.js';
import { VisitGroupCommit } from '../../src/tracking/visit-group-commit.js';
import { testLogger } from '../support/logger.js';
import { assertHoldsConsistent, fireParallelVisits } from '../support/parallel-visits.js';
import { tempDir } from '../support/temp.js';
import { MINUTE, pool, trackingApp, type TrackingFixture } from '../support/tracking-app.js';

const CPC = 'https://shop.example.com/?utm_source=yandex&utm_medium=cpc&utm_campaign=a';
const dbFile = (f: TrackingFixture) => {
  const db = f.app.config.current.database;
  if (db.client !== 'sqlite3') throw new Error('SQLite only');
  return db.filename;
};
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

/**
 * Group commit (SQLite): new visits that arrive together share one transaction. Calls made in
 * the same tick land in one batch, which the statement count proves; the guarantees are the
 * ones a transaction per visit gave.
 */
describe('group commit of new visits (SQLite)', () => {
  let f: TrackingFixture;
  let statements: string[] = [];
  let transactions = 0;
  const dir = tempDir();
  before(async () => {
    f = await trackingApp(
      {
        http: { host: '127.0.0.1', port: 8080, rateLimit: { max: 100_000, windowSeconds: 60 } },
        numbers: [{ number: '+74950007701', forwardTo: '+74951112233', source: { name: 'Radio' } }],
        pools: [
          pool('small', 1, 5, { fallbackNumber: '+74950009901', match: { host: ['small.example.com'] } }),
          pool('ads', 101, 300, { fallbackNumber: '+74950009902', match: { medium: ['cpc'] } }),
        ],
      },
      { listen: true, dir },
    );
    f.app.db.on('query', (q: { sql: string }) => statements.push(q.sql));
    // Count transactions: knex's db.transaction() opens each through its client; the batch
    // statements run prepared on the connection, not through knex's query events.
    const client = f.app.db.client as { transaction: (...args: unknown[]) => unknown };
    const open = client.transaction.bind(client);
    client.transaction = (...args: unknown[]) => {
      transactions += 1;
      return open(...args);
    };
    // The batch itself is one statement on the connection (SqliteHotPath): its own transaction.
    SqliteHotPath.prototype.withConnection = function (this: SqliteHotPath, ...args) {
      transactions += 1;
      return batchWork.apply(this, args) as never;
    };
  });
  const batchWork = SqliteHotPath.prototype.withConnection;
  after(async () => {
    SqliteHotPath.prototype.withConnection = batchWork;
    await f.close();
  });
  beforeEach(() => {
    f.clock.advance(60 * MINUTE); // every earlier hold has lapsed
    statements = [];
    transactions = 0;
  });
  const visitInserts = () => statements.filter((s) => /^insert into [`"]?visits[`"]? /i.test(s)).length;

  it('many simultaneous visits over HTTP: distinct numbers, each visit and hold row committed before the answer', async () => {
    const shown = await fireParallelVisits([f.url], 120, (i) => `${CPC}&n=${i}`);
    assert.ok(shown.every((s) => s.type === 'dynamic' && s.pool === 'ads'));
    assert.equal(new Set(shown.map((s) => s.number)).size, 120, 'a number was handed to two visits');
    // A second connection to the file sees everything the answers promised.
    const reader = knex({ client: 'sqlite3', connection: { filename: dbFile(f) }, useNullAsDefault: true });
    try {
      const ids = shown.map((s) => s.visitId);
      const visits = (await reader('visits').whereIn('id', ids).select('id', 'number', 'number_type')) as { id: string; number: string; number_type: string }[];
      assert.equal(visits.length, 120);
      const byId = new Map(shown.map((s) => [s.visitId, s]));
      for (const v of visits) assert.deepEqual([v.number, v.number_type], [byId.get(v.id)?.number, 'dynamic']);
      const holds = (await reader('number_holds').whereIn('visit_id', ids).whereNull('ended_reason').count({ n: '*' }).first()) as { n: number };
      assert.equal(Number(holds.n), 120, 'every visit has its running hold row');
      const pages = (await reader('visit_pages').whereIn('visit_id', ids).count({ n: '*' }).first()) as { n: number };
      assert.equal(Number(pages.n), 120, 'every landing page is recorded');
    } finally {
      await reader.destroy();
    }
    await assertHoldsConsistent(f.app.db, shown, 'ads');
    assert.ok(transactions < 120, `expected visits to share transactions, got ${transactions} for 120 visits`);
  });

  it('visits in one batch take the numbers free the longest, in arrival order, in one transaction', async () => {
    const v = await Promise.all(Array.from({ length: 4 }, () => f.app.visits.startVisit({ url: 'https://small.example.com/' })));
    assert.deepEqual(v.map((s) => s.number), ['+74950000001', '+74950000002', '+74950000003', '+74950000004']);
    assert.equal(transactions, 1, 'one transaction for the batch');
    f.clock.advance(16 * MINUTE); // all four free again; 5 has been free the longest
    const next = await Promise.all(Array.from({ length: 2 }, () => f.app.visits.startVisit({ url: 'https://small.example.com/' })));
    assert.deepEqual(next.map((s) => s.number), ['+74950000005', '+74950000001']);
  });

  it('one invalid request does not fail the others in its batch', async () => {
    const results = await Promise.allSettled([
      f.app.visits.startVisit({ url: CPC }),
      f.app.visits.startVisit({ url: 'not a url' }),
      f.app.visits.startVisit({ url: CPC }),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.ok(results[1]?.status === 'rejected' && results[1].reason instanceof InvalidInputError);
    const res = await fetch(`${f.url}/v1/visits`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'ftp://x' }) });
    assert.equal(res.status, 400);
  });

  it('a visitor repeated inside one batch keeps one number (and one visit while the campaign is the same)', async () => {
    const visitorId = `v-${randomUUID()}`;
    const same = await Promise.all([
      f.app.visits.startVisit({ url: CPC, visitorId }),
      f.app.visits.startVisit({ url: CPC, visitorId }),
      f.app.visits.startVisit({ url: `${CPC}&page=about`, visitorId }),
      f.app.visits.startVisit({ url: CPC, visitorId: `other-${randomUUID()}` }),
      f.app.visits.startVisit({ url: `${CPC.replace('campaign=a', 'campaign=b')}`, visitorId }),
    ]);
    assert.equal(transactions, 2, 'one transaction for the batch, one for all its repeat requests (the per-visit path)');
    assert.equal(visitInserts(), 1, 'the new campaign\'s visit, inserted one by one after the batch');
    const mine = [same[0], same[1], same[2], same[4]];
    assert.equal(new Set(mine.map((s) => s?.number)).size, 1, 'the visitor kept one number');
    assert.deepEqual([same[1]?.visitId, same[2]?.visitId], [same[0]?.visitId, same[0]?.visitId]);
    assert.notEqual(same[4]?.visitId, same[0]?.visitId, 'a new campaign is a new visit holding the same number');
    assert.notEqual(same[3]?.number, same[0]?.number);
    const running = (await f.app.db('number_holds').join('visits', 'visits.id', 'number_holds.visit_id').where('visits.visitor_id', visitorId).whereNull('ended_reason')) as unknown[];
    assert.equal(running.length, 1, 'one running hold for the visitor');
  });

  it('exhaustion, bots and static numbers inside a batch: events recorded, fallback shown, pool numbers distinct', async () => {
    const url = 'https://small.example.com/';
    const shown = await Promise.all([
      ...Array.from({ length: 8 }, () => f.app.visits.startVisit({ url })),
      f.app.visits.startVisit({ url, userAgent: GOOGLEBOT }),
      f.app.visits.startVisit({ url, rateLimited: true }),
      f.app.visits.startVisit({ url: 'https://radio.example.com/?utm_source=Radio' }),
    ]);
    const dynamic = shown.filter((s) => s.type === 'dynamic');
    assert.equal(new Set(dynamic.map((s) => s.number)).size, 5);
    assert.deepEqual(shown.slice(5).map((s) => [s.type, s.number]), [
      ['fallback', '+74950009901'],
      ['fallback', '+74950009901'],
      ['fallback', '+74950009901'],
      ['fallback', '+74950009901'],
      ['fallback', '+74950009901'],
      ['static', '+74950007701'],
    ]);
    const since = f.clock.now();
    const events = (await f.app.db('pool_events').where({ pool_name: 'small' }).andWhere('at', '>=', since).select('kind', 'visit_id', 'held_count')) as {
      kind: string;
      visit_id: string;
      held_count: number | null;
    }[];
    const count = (k: string) => events.filter((e) => e.kind === k).length;
    assert.deepEqual([count('exhausted'), count('fallback'), count('bot'), count('rate-limited')], [3, 3, 1, 1]);
    assert.ok(events.filter((e) => e.kind === 'exhausted').every((e) => e.held_count === 5));
    for (const s of shown) {
      const stored = await f.app.visits.findVisit(s.visitId);
      assert.deepEqual([stored?.number, stored?.numberType], [s.number, s.type], 'the visit row carries the number it was shown');
    }
    assert.equal((await f.app.visits.findVisit(shown[8]?.visitId ?? ''))?.isBot, true);
  });

  it('a database failure fails the batch; the next batch works again', async () => {
    // Every write of a landing page fails, as a full disk or a broken file would.
    await f.app.db.raw(`CREATE TRIGGER visit_pages_fail BEFORE INSERT ON visit_pages BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`);
    try {
      const failed = await Promise.allSettled([f.app.visits.startVisit({ url: CPC }), f.app.visits.startVisit({ url: CPC })]);
      assert.deepEqual(failed.map((r) => r.status), ['rejected', 'rejected']);
      const res = await fetch(`${f.url}/v1/visits`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: CPC }) });
      assert.equal(res.status, 500);
    } finally {
      await f.app.db.raw('DROP TRIGGER visit_pages_fail');
    }
    const after = await Promise.all([f.app.visits.startVisit({ url: CPC }), f.app.visits.startVisit({ url: CPC })]);
    assert.ok(after.every((s) => s.type === 'dynamic'));
    const orphans = (await f.app.db('visits').whereNotExists(f.app.db('number_holds').whereRaw('number_holds.visit_id = visits.id')).andWhere({ number_type: 'dynamic' })) as unknown[];
    assert.equal(orphans.length, 0, 'the failed batch left no visit without its hold');
  });

  it('a database that cannot write (read-only) fails the whole batch at once with 503, without retrying each visit', async () => {
    await f.app.db.raw('PRAGMA query_only = ON');
    statements = [];
    try {
      const failed = await Promise.allSettled(Array.from({ length: 3 }, () => f.app.visits.startVisit({ url: CPC })));
      assert.deepEqual(failed.map((r) => r.status), ['rejected', 'rejected', 'rejected']);
      assert.equal(statements.filter((sql) => /insert into .visits/i.test(sql)).length, 0, 'no visit was tried again on its own');
      const res = await fetch(`${f.url}/v1/visits`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: CPC }) });
      assert.equal(res.status, 503);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'unavailable');
      assert.match(body.error.message, /database is unavailable .*readonly/);
    } finally {
      await f.app.db.raw('PRAGMA query_only = OFF');
    }
    const after = await f.app.visits.startVisit({ url: CPC });
    assert.equal(after.type, 'dynamic', 'writes work again once the database does');
  });

  it('a visit that breaks a constraint fails alone: the rest of its batch is retried and committed', async () => {
    const allocator = new NumberAllocator(new HoldStore(), new PoolEventStore(), false);
    const commit = new VisitGroupCommit({
      db: f.app.db,
      clock: f.clock,
      logger: testLogger(),
      writer: new BulkVisitWriter(allocator, new SqliteHotPath(f.app.db, VISIT_BATCH_SETUP)),
      startOne: (trx, p) => f.app.visits.startPrepared(trx, p),
    });
    const existing = await f.app.visits.startVisit({ url: CPC });
    const prepared = Array.from({ length: 4 }, () => f.app.visits.prepareVisit({ url: CPC }, f.clock.now()));
    prepared[2]!.visit.id = existing.visitId; // a duplicate primary key
    const results = await Promise.allSettled(prepared.map((p) => commit.submit(p)));
    await commit.close();
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    assert.equal(new Set([existing.number, ...ok.map((s) => s.number)]).size, 4);
    for (const s of ok) assert.equal((await f.app.visits.findVisit(s.visitId))?.number, s.number);
  });
});
