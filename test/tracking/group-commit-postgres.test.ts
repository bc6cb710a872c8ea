import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import knex from 'knex';
import { PgBulkVisitWriter } from '../../src/tracking/pg-bulk-visit-writer.js';
import { VisitGroupCommit } from '../../src/tracking/visit-group-commit.js';
import { testLogger } from '../support/logger.js';
import { assertHoldsConsistent, fireParallelVisits } from '../support/parallel-visits.js';
import { startTestPostgres } from '../support/postgres.js';
import { MINUTE, pool, trackingApp, type TrackingFixture } from '../support/tracking-app.js';

const pgServer = await startTestPostgres();
after(() => pgServer.stop());

const CPC = 'https://shop.example.com/?utm_source=yandex&utm_medium=cpc&utm_campaign=a';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const DOC = {
  http: { host: '127.0.0.1', port: 8080, rateLimit: { max: 100_000, windowSeconds: 60 } },
  numbers: [{ number: '+74950007701', forwardTo: '+74951112233', source: { name: 'Radio' } }],
  pools: [
    pool('small', 1, 5, { fallbackNumber: '+74950009901', match: { host: ['small.example.com'] } }),
    pool('ads', 101, 300, { fallbackNumber: '+74950009902', match: { medium: ['cpc'] } }),
  ],
};

/**
 * Group commit on PostgreSQL: the scenarios of group-commit.test.ts (SQLite). Which transaction
 * wrote a row is PostgreSQL's own record (`xmin`, the writing transaction's id), so "one
 * transaction for the batch" is read from the rows themselves.
 */
describe('group commit of new visits (PostgreSQL)', { skip: pgServer.skipReason }, () => {
  let f: TrackingFixture;
  let pgUrl = '';
  let statements: string[] = [];
  before(async () => {
    pgUrl = await pgServer.createDatabase();
    f = await trackingApp(DOC, { pgUrl, listen: true });
    f.app.db.on('query', (q: { sql: string }) => statements.push(q.sql));
  });
  after(() => f?.close());
  beforeEach(() => {
    f.clock.advance(60 * MINUTE); // every earlier hold has lapsed
    statements = [];
  });
  /** How many transactions wrote these rows. */
  const writers = async (table: string, column: string, ids: string[]) => {
    const row = (await f.app.db(table).whereIn(column, ids).countDistinct({ n: f.app.db.raw('xmin::text') }).first()) as { n: string };
    return Number(row.n);
  };

  it('many simultaneous visits over HTTP: distinct numbers, rows committed before the answer, shared transactions', async () => {
    const shown = await fireParallelVisits([f.url], 120, (i) => `${CPC}&n=${i}`);
    assert.ok(shown.every((s) => s.type === 'dynamic' && s.pool === 'ads'));
    assert.equal(new Set(shown.map((s) => s.number)).size, 120, 'a number was handed to two visits');
    // Another connection sees everything the answers promised.
    const reader = knex({ client: 'pg', connection: pgUrl });
    try {
      const ids = shown.map((s) => s.visitId);
      const visits = (await reader('visits').whereIn('id', ids).select('id', 'number', 'number_type')) as { id: string; number: string; number_type: string }[];
      assert.equal(visits.length, 120);
      const byId = new Map(shown.map((s) => [s.visitId, s]));
      for (const v of visits) assert.deepEqual([v.number, v.number_type], [byId.get(v.id)?.number, 'dynamic']);
      const holds = (await reader('number_holds').whereIn('visit_id', ids).whereNull('ended_reason').count({ n: '*' }).first()) as { n: string };
      assert.equal(Number(holds.n), 120, 'every visit has its running hold row');
      const pages = (await reader('visit_pages').whereIn('visit_id', ids).count({ n: '*' }).first()) as { n: string };
      assert.equal(Number(pages.n), 120, 'every landing page is recorded');
      const transactions = await writers('visits', 'id', ids);
      assert.ok(transactions < 120, `expected visits to share transactions, got ${transactions} for 120 visits`);
    } finally {
      await reader.destroy();
    }
    await assertHoldsConsistent(f.app.db, shown, 'ads');
  });

  it('visits in one batch take the numbers free the longest, in arrival order, in one transaction', async () => {
    const v = await Promise.all(Array.from({ length: 4 }, () => f.app.visits.startVisit({ url: 'https://small.example.com/' })));
    assert.deepEqual(v.map((s) => s.number), ['+74950000001', '+74950000002', '+74950000003', '+74950000004']);
    const ids = v.map((s) => s.visitId);
    const perTable = [await writers('visits', 'id', ids), await writers('number_holds', 'visit_id', ids), await writers('visit_pages', 'visit_id', ids)];
    assert.deepEqual(perTable, [1, 1, 1], 'visits, hold rows and landing pages of the batch written by one transaction');
    f.clock.advance(16 * MINUTE); // all four free again; 5 has been free the longest
    const next = await Promise.all(Array.from({ length: 2 }, () => f.app.visits.startVisit({ url: 'https://small.example.com/' })));
    assert.deepEqual(next.map((s) => s.number), ['+74950000005', '+74950000001']);
    const closed = (await f.app.db('number_holds').whereIn('visit_id', ids.slice(0, 1)).first('ended_reason')) as { ended_reason: string };
    assert.equal(closed.ended_reason, 'expired', 'the previous hold row of a number taken again is closed');
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
    const mine = [same[0], same[1], same[2], same[4]];
    assert.equal(new Set(mine.map((s) => s?.number)).size, 1, 'the visitor kept one number');
    assert.deepEqual([same[1]?.visitId, same[2]?.visitId], [same[0]?.visitId, same[0]?.visitId]);
    assert.notEqual(same[4]?.visitId, same[0]?.visitId, 'a new campaign is a new visit holding the same number');
    assert.notEqual(same[3]?.number, same[0]?.number);
    const running = (await f.app.db('number_holds').join('visits', 'visits.id', 'number_holds.visit_id').where('visits.visitor_id', visitorId).whereNull('ended_reason')) as unknown[];
    assert.equal(running.length, 1, 'one running hold for the visitor');
    const pages = (await f.app.db('visit_pages').where({ visit_id: same[0]?.visitId }).orderBy('id').pluck('url')) as string[];
    assert.deepEqual(pages, [CPC, `${CPC}&page=about`], 'the repeat with a new page recorded it on the continued visit');
    const ids = [same[0], same[3], same[4]].map((s) => s?.visitId ?? '');
    assert.equal(await writers('visits', 'id', ids), 1, 'the repeats took the per-visit path inside the batch\'s transaction');
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
      ...Array.from({ length: 5 }, () => ['fallback', '+74950009901']),
      ['static', '+74950007701'],
    ]);
    const events = (await f.app.db('pool_events').where({ pool_name: 'small' }).andWhere('at', '>=', f.clock.now()).select('kind', 'held_count')) as {
      kind: string;
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

  it('a database that cannot write (read-only) fails the whole batch at once with 503, without retrying each visit', async () => {
    // PostgreSQL's own error for a write on a read-only server (a standby), raised by a trigger.
    await f.app.db.raw(`CREATE FUNCTION read_only() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN RAISE EXCEPTION 'cannot execute INSERT in a read-only transaction' USING ERRCODE = 'read_only_sql_transaction'; END $$`);
    await f.app.db.raw('CREATE TRIGGER visits_read_only BEFORE INSERT ON visits FOR EACH STATEMENT EXECUTE FUNCTION read_only()');
    try {
      const failed = await Promise.allSettled(Array.from({ length: 3 }, () => f.app.visits.startVisit({ url: CPC })));
      assert.deepEqual(failed.map((r) => r.status), ['rejected', 'rejected', 'rejected']);
      assert.equal(statements.filter((sql) => /insert into "visits"/i.test(sql)).length, 0, 'no visit was tried again on its own');
      const res = await fetch(`${f.url}/v1/visits`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: CPC }) });
      assert.equal(res.status, 503);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'unavailable');
      assert.match(body.error.message, /^the database is unavailable \(PostgreSQL 25006: read-only transaction\); the page keeps its own number$/);
    } finally {
      await f.app.db.raw('DROP TRIGGER visits_read_only ON visits; DROP FUNCTION read_only()');
    }
    const after = await f.app.visits.startVisit({ url: CPC });
    assert.equal(after.type, 'dynamic', 'writes work again once the database does');
  });

  it('a visit that breaks a constraint fails alone: the rest of its batch is retried and committed', async () => {
    const commit = new VisitGroupCommit({
      db: f.app.db,
      clock: f.clock,
      logger: testLogger(),
      writer: new PgBulkVisitWriter({
        db: f.app.db,
        holdPolicy: { kind: 'activity' },
        startOne: (trx, p) => f.app.visits.startPrepared(trx, p),
      }),
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

describe('group commit on PostgreSQL: two calltrack nodes, one database', { skip: pgServer.skipReason }, () => {
  let nodes: TrackingFixture[] = [];
  before(async () => {
    const pgUrl = await pgServer.createDatabase();
    const first = await trackingApp(DOC, { pgUrl });
    nodes = [first, await trackingApp(DOC, { pgUrl, clock: first.clock })];
  });
  after(async () => {
    for (const n of nodes) await n.close();
  });

  it('two batches of 200 at the same moment for 300 numbers: each number to one visit, 100 fallbacks and exhaustions', async () => {
    // Each node's 200 visits form one batch; both batches lock free numbers at the same time.
    const shown = (
      await Promise.all(nodes.map((n) => Promise.all(Array.from({ length: 200 }, (_, i) => n.app.visits.startVisit({ url: `${CPC}&n=${i}`, visitorId: randomUUID() })))))
    ).flat();
    const dynamic = shown.filter((s) => s.type === 'dynamic');
    assert.equal(dynamic.length, 300, 'every free number went out');
    assert.equal(new Set(dynamic.map((s) => s.number)).size, 300, 'a number was handed to two visits');
    assert.equal(shown.filter((s) => s.type === 'fallback' && s.number === '+74950009902').length, 100);
    const db = nodes[0]!.app.db;
    const exhausted = (await db('pool_events').where({ pool_name: 'ads', kind: 'exhausted' }).count({ n: '*' }).first()) as { n: string };
    assert.equal(Number(exhausted.n), 100, 'every exhaustion is recorded');
    await assertHoldsConsistent(db, shown, 'ads');
  });
});
