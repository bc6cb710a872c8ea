import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import knex from 'knex';
import { InvalidInputError } from '../../src/errors.js';
import { SqliteHotPath } from '../../src/db/sqlite-hot-path.js';
import { BulkVisitWriter, VISIT_BATCH_SETUP } from '../../src/tracking/bulk-visit-writer.js';
import { HoldStore } from '../../src/tracking/hold-store.js';
import { NumberAllocator } from '../../src/tracking/number-allocator.js';
import { PoolEventStore } from '../../src/tracking/pool-event-store.js';
import * as scenario from '../support/group-commit-scenarios.js';
import { CPC, GROUP_COMMIT_DOC, StatementLog, type GroupCommitDb } from '../support/group-commit-scenarios.js';
import { tempDir } from '../support/temp.js';
import { MINUTE, trackingApp, type TrackingFixture } from '../support/tracking-app.js';

const dbFile = (f: TrackingFixture) => {
  const db = f.app.config.current.database;
  if (db.client !== 'sqlite3') throw new Error('SQLite only');
  return db.filename;
};

/**
 * Group commit (SQLite): new visits that arrive together share one transaction. Calls made in
 * the same tick land in one batch, which the statement count proves; the guarantees are the
 * ones a transaction per visit gave. The scenarios shared with PostgreSQL are in
 * test/support/group-commit-scenarios.ts.
 */
describe('group commit of new visits (SQLite)', () => {
  let f: TrackingFixture;
  const statements = new StatementLog();
  let transactions = 0;
  const dir = tempDir();
  before(async () => {
    f = await trackingApp(GROUP_COMMIT_DOC, { listen: true, dir });
    statements.record(f.app.db);
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
    statements.clear();
    transactions = 0;
  });
  const sqlite: GroupCommitDb = {
    statements,
    openReader: () => knex({ client: 'sqlite3', connection: { filename: dbFile(f) }, useNullAsDefault: true }),
    // SQLite rows do not say which transaction wrote them: every transaction of the test counts.
    transactionsWriting: () => Promise.resolve(transactions),
    async assertRepeatsCommitted() {
      assert.equal(transactions, 2, 'one transaction for the batch, one for all its repeat requests (the per-visit path)');
      const visitInserts = statements.sql.filter((s) => /^insert into [`"]?visits[`"]? /i.test(s)).length;
      assert.equal(visitInserts, 1, 'the new campaign\'s visit, inserted one by one after the batch');
    },
    async makeReadOnly() {
      await f.app.db.raw('PRAGMA query_only = ON');
      return async () => {
        await f.app.db.raw('PRAGMA query_only = OFF');
      };
    },
    readOnlyMessage: /database is unavailable .*readonly/,
    batchWriter: () => new BulkVisitWriter(new NumberAllocator(new HoldStore(), new PoolEventStore(), false), new SqliteHotPath(f.app.db, VISIT_BATCH_SETUP)),
  };

  it('many simultaneous visits over HTTP: distinct numbers, rows committed before the answer, shared transactions', () => scenario.manyVisitsOverHttp(f, sqlite));
  it('visits in one batch take the numbers free the longest, in arrival order, in one transaction', () => scenario.batchTakesLongestFreeInOrder(f, sqlite));

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

  it('a visitor repeated inside one batch keeps one number (and one visit while the campaign is the same)', () => scenario.repeatedVisitorKeepsOneNumber(f, sqlite));
  it('a visitor already holding a number (a second tab) goes on with its visit inside the batch', () => scenario.holderContinuesInTheBatch(f, sqlite));
  it('exhaustion, bots and static numbers inside a batch: events recorded, fallback shown, pool numbers distinct', () => scenario.exhaustionBotsAndStaticInABatch(f));

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

  it('a database that cannot write (read-only) fails the whole batch at once with 503, without retrying each visit', () => scenario.readOnlyFailsBatchWith503(f, sqlite));
  it('a visit that breaks a constraint fails alone: the rest of its batch is retried and committed', () => scenario.constraintBreakFailsAlone(f, sqlite));
});
