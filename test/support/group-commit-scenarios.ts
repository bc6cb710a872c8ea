import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Database } from '../../src/db/connect.js';
import type { VisitBatchWriter } from '../../src/tracking/visit-batch.js';
import { VisitGroupCommit } from '../../src/tracking/visit-group-commit.js';
import { testLogger } from './logger.js';
import { assertHoldsConsistent, fireParallelVisits } from './parallel-visits.js';
import { MINUTE, pool, type TrackingFixture } from './tracking-app.js';

/**
 * The group-commit scenarios that SQLite (test/tracking/group-commit.test.ts) and PostgreSQL
 * (test/tracking/group-commit-postgres.test.ts) must both pass. Each test file owns its app and
 * passes a GroupCommitDb for what the databases really do differently; a scenario meant for one
 * database only stays in that database's file.
 */

export const CPC = 'https://shop.example.com/?utm_source=yandex&utm_medium=cpc&utm_campaign=a';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const SMALL = 'https://small.example.com/';

/** Pool 'small' (5 numbers) runs dry in a batch; 'ads' (300) serves the HTTP bursts. */
export const GROUP_COMMIT_DOC = {
  http: { host: '127.0.0.1', port: 8080, rateLimit: { max: 100_000, windowSeconds: 60 } },
  numbers: [{ number: '+74950007701', forwardTo: '+74951112233', source: { name: 'Radio' } }],
  pools: [
    pool('small', 1, 5, { fallbackNumber: '+74950009901', match: { host: ['small.example.com'] } }),
    pool('ads', 101, 300, { fallbackNumber: '+74950009902', match: { medium: ['cpc'] } }),
  ],
};

/** The SQL knex has run since the last clear(). The SQLite batch itself runs outside knex. */
export class StatementLog {
  sql: string[] = [];
  record(db: Database): void {
    db.on('query', (q: { sql: string }) => this.sql.push(q.sql));
  }
  clear(): void {
    this.sql = [];
  }
}

/** What the shared scenarios need to know about the database under test. */
export interface GroupCommitDb {
  statements: StatementLog;
  /** A second connection to the app's database, to see what the answers promised. */
  openReader(): Knex;
  /**
   * How many transactions wrote the rows of `table` whose `column` is in `ids`. PostgreSQL reads
   * it from the rows (xmin); SQLite leaves no such trace and answers with the transactions
   * opened since the test began, whatever the table.
   */
  transactionsWriting(table: string, column: string, ids: string[]): Promise<number>;
  /**
   * Asserts how a batch holding a visitor's repeats was committed: `visitIds` are the batch's
   * new visits (first campaign, other visitor, new campaign). The databases differ here.
   */
  assertRepeatsCommitted(visitIds: string[]): Promise<void>;
  /** Makes every write of a visit fail as a read-only database would; returns the undo. */
  makeReadOnly(): Promise<() => Promise<void>>;
  /** The 503 message a page gets while the database is read-only. */
  readOnlyMessage: RegExp;
  /** A new batch writer of this database on the app's connection. */
  batchWriter(): VisitBatchWriter;
}

const postVisit = (f: TrackingFixture, url: string) =>
  fetch(`${f.url}/v1/visits`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url }) });

export async function manyVisitsOverHttp(f: TrackingFixture, db: GroupCommitDb): Promise<void> {
  const shown = await fireParallelVisits([f.url], 120, (i) => `${CPC}&n=${i}`);
  assert.ok(shown.every((s) => s.type === 'dynamic' && s.pool === 'ads'));
  assert.equal(new Set(shown.map((s) => s.number)).size, 120, 'a number was handed to two visits');
  const reader = db.openReader();
  const ids = shown.map((s) => s.visitId);
  try {
    const visits = (await reader('visits').whereIn('id', ids).select('id', 'number', 'number_type')) as { id: string; number: string; number_type: string }[];
    assert.equal(visits.length, 120);
    const byId = new Map(shown.map((s) => [s.visitId, s]));
    for (const v of visits) assert.deepEqual([v.number, v.number_type], [byId.get(v.id)?.number, 'dynamic']);
    const holds = (await reader('number_holds').whereIn('visit_id', ids).whereNull('ended_reason').count({ n: '*' }).first()) as { n: number | string };
    assert.equal(Number(holds.n), 120, 'every visit has its running hold row');
    const pages = (await reader('visit_pages').whereIn('visit_id', ids).count({ n: '*' }).first()) as { n: number | string };
    assert.equal(Number(pages.n), 120, 'every landing page is recorded');
  } finally {
    await reader.destroy();
  }
  await assertHoldsConsistent(f.app.db, shown, 'ads');
  const transactions = await db.transactionsWriting('visits', 'id', ids);
  assert.ok(transactions < 120, `expected visits to share transactions, got ${transactions} for 120 visits`);
}

export async function batchTakesLongestFreeInOrder(f: TrackingFixture, db: GroupCommitDb): Promise<void> {
  const v = await Promise.all(Array.from({ length: 4 }, () => f.app.visits.startVisit({ url: SMALL })));
  assert.deepEqual(v.map((s) => s.number), ['+74950000001', '+74950000002', '+74950000003', '+74950000004']);
  const ids = v.map((s) => s.visitId);
  const perTable = [
    await db.transactionsWriting('visits', 'id', ids),
    await db.transactionsWriting('number_holds', 'visit_id', ids),
    await db.transactionsWriting('visit_pages', 'visit_id', ids),
  ];
  assert.deepEqual(perTable, [1, 1, 1], 'visits, hold rows and landing pages of the batch written by one transaction');
  f.clock.advance(16 * MINUTE); // all four free again; 5 has been free the longest
  const next = await Promise.all(Array.from({ length: 2 }, () => f.app.visits.startVisit({ url: SMALL })));
  assert.deepEqual(next.map((s) => s.number), ['+74950000005', '+74950000001']);
  const closed = (await f.app.db('number_holds').whereIn('visit_id', ids.slice(0, 1)).first('ended_reason')) as { ended_reason: string };
  assert.equal(closed.ended_reason, 'expired', 'the previous hold row of a number taken again is closed');
}

export async function repeatedVisitorKeepsOneNumber(f: TrackingFixture, db: GroupCommitDb): Promise<void> {
  const visitorId = `v-${randomUUID()}`;
  const same = await Promise.all([
    f.app.visits.startVisit({ url: CPC, visitorId }),
    f.app.visits.startVisit({ url: CPC, visitorId }),
    f.app.visits.startVisit({ url: `${CPC}&page=about`, visitorId, gaSessionId: '1764770500' }),
    f.app.visits.startVisit({ url: CPC, visitorId: `other-${randomUUID()}` }),
    f.app.visits.startVisit({ url: `${CPC.replace('campaign=a', 'campaign=b')}`, visitorId }),
  ]);
  await db.assertRepeatsCommitted([same[0], same[3], same[4]].map((s) => s?.visitId ?? ''));
  const mine = [same[0], same[1], same[2], same[4]];
  assert.equal(new Set(mine.map((s) => s?.number)).size, 1, 'the visitor kept one number');
  assert.deepEqual([same[1]?.visitId, same[2]?.visitId], [same[0]?.visitId, same[0]?.visitId]);
  assert.notEqual(same[4]?.visitId, same[0]?.visitId, 'a new campaign is a new visit holding the same number');
  assert.notEqual(same[3]?.number, same[0]?.number);
  const running = (await f.app.db('number_holds').join('visits', 'visits.id', 'number_holds.visit_id').where('visits.visitor_id', visitorId).whereNull('ended_reason')) as unknown[];
  assert.equal(running.length, 1, 'one running hold for the visitor');
  const pages = (await f.app.db('visit_pages').where({ visit_id: same[0]?.visitId }).orderBy('id').pluck('url')) as string[];
  assert.deepEqual(pages, [CPC, `${CPC}&page=about`], 'the repeat with a new page recorded it on the continued visit');
  assert.equal((await f.app.visits.findVisit(same[0]?.visitId ?? ''))?.gaSessionId, '1764770500', "and its tab's GA4 session");
}

/**
 * A visitor who already holds a number asks again (a second tab: the snippet keeps its visit per
 * tab, its visitor id per site). Same campaign: the same visit goes on, its hold extended from
 * now, the new page recorded, no visit row added; written by the batch statement itself (at most
 * one statement through knex: none on SQLite, the batch on PostgreSQL), not the per-visit path.
 */
export async function holderContinuesInTheBatch(f: TrackingFixture, db: GroupCommitDb): Promise<void> {
  const visitors = Array.from({ length: 3 }, () => `tab-${randomUUID()}`);
  const first = await Promise.all(visitors.map((visitorId) => f.app.visits.startVisit({ url: CPC, visitorId, gaClientId: '111.222', gaSessionId: '1764770000' })));
  const gaIds = async (ids: string[]) => Promise.all(ids.map(async (id) => (await f.app.visits.findVisit(id))?.gaSessionId));
  assert.deepEqual(await gaIds(first.map((s) => s.visitId)), ['1764770000', '1764770000', '1764770000'], 'the batch writes the GA4 session id');
  f.clock.advance(2 * MINUTE);
  const visitsBefore = await countRows(f, 'visits');
  db.statements.clear();
  // The second tab of visitor 0 is in a new GA session; visitor 1's sends none (no GA cookie yet).
  const sessions = ['1764771800', undefined, '1764770000'];
  const again = await Promise.all(visitors.map((visitorId, i) => f.app.visits.startVisit({ url: i === 2 ? CPC : `${CPC}&tab=${i}`, visitorId, gaSessionId: sessions[i] })));
  const knexStatements = db.statements.sql.length;
  assert.deepEqual(await gaIds(again.map((s) => s.visitId)), ['1764771800', '1764770000', '1764770000'], 'the visit gone on with takes a new GA4 session id, keeps its own otherwise');
  assert.deepEqual(again.map((s) => [s.visitId, s.number, s.type, s.pool]), first.map((s) => [s.visitId, s.number, 'dynamic', 'ads']), 'each visitor goes on with its visit and number');
  const until = f.clock.now() + 15 * MINUTE;
  assert.deepEqual(again.map((s) => s.holdUntil), [until, until, until], 'the hold runs holdMinutes from now');
  assert.equal(await countRows(f, 'visits'), visitsBefore, 'no visit row added');
  for (const [i, s] of again.entries()) {
    const n = (await f.app.db('tracking_numbers').where({ number: s.number }).first('hold_visit_id', 'hold_until', 'free_since')) as Record<string, unknown>;
    assert.deepEqual([n.hold_visit_id, Number(n.hold_until), Number(n.free_since)], [s.visitId, until, until]);
    const hold = (await f.app.db('number_holds').where({ visit_id: s.visitId }).whereNull('ended_reason').first('held_until')) as { held_until: number | string };
    assert.equal(Number(hold.held_until), until, 'the running hold row says so too');
    const visit = (await f.app.db('visits').where({ id: s.visitId }).first('last_seen_at', 'pages_seen')) as { last_seen_at: number | string; pages_seen: number };
    const pages = (await f.app.db('visit_pages').where({ visit_id: s.visitId }).orderBy('id').pluck('url')) as string[];
    const expected = i === 2 ? [CPC] : [CPC, `${CPC}&tab=${i}`];
    assert.deepEqual([Number(visit.last_seen_at), visit.pages_seen, pages], [f.clock.now(), expected.length, expected], 'the page is recorded unless it is the last one again');
  }
  assert.ok(knexStatements <= 1, `the batch statement did the work (knex ran ${knexStatements} statements: ${db.statements.sql.join(' | ')})`);
}

async function countRows(f: TrackingFixture, table: string): Promise<number> {
  const row = (await f.app.db(table).count({ n: '*' }).first()) as { n: number | string };
  return Number(row.n);
}

export async function exhaustionBotsAndStaticInABatch(f: TrackingFixture): Promise<void> {
  const shown = await Promise.all([
    ...Array.from({ length: 8 }, () => f.app.visits.startVisit({ url: SMALL })),
    f.app.visits.startVisit({ url: SMALL, userAgent: GOOGLEBOT }),
    f.app.visits.startVisit({ url: SMALL, rateLimited: true }),
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
}

export async function readOnlyFailsBatchWith503(f: TrackingFixture, db: GroupCommitDb): Promise<void> {
  const undo = await db.makeReadOnly();
  db.statements.clear();
  try {
    const failed = await Promise.allSettled(Array.from({ length: 3 }, () => f.app.visits.startVisit({ url: CPC })));
    assert.deepEqual(failed.map((r) => r.status), ['rejected', 'rejected', 'rejected']);
    assert.equal(db.statements.sql.filter((sql) => /insert into .visits/i.test(sql)).length, 0, 'no visit was tried again on its own');
    const res = await postVisit(f, CPC);
    assert.equal(res.status, 503);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'unavailable');
    assert.match(body.error.message, db.readOnlyMessage);
  } finally {
    await undo();
  }
  const after = await f.app.visits.startVisit({ url: CPC });
  assert.equal(after.type, 'dynamic', 'writes work again once the database does');
}

export async function constraintBreakFailsAlone(f: TrackingFixture, db: GroupCommitDb): Promise<void> {
  const commit = new VisitGroupCommit({
    clock: f.clock,
    logger: testLogger(),
    writer: db.batchWriter(),
    startOne: (trx, p) => f.app.visits.startPrepared(trx, p),
    transaction: (work) => f.app.visits.inTransaction(work),
    lockVisitors: (trx, visits) => f.app.visits.lockVisitors(trx, visits),
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
}
