import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import knex from 'knex';
import { PgBulkVisitWriter } from '../../src/tracking/pg-bulk-visit-writer.js';
import * as scenario from '../support/group-commit-scenarios.js';
import { CPC, GROUP_COMMIT_DOC, StatementLog, type GroupCommitDb } from '../support/group-commit-scenarios.js';
import { assertHoldsConsistent } from '../support/parallel-visits.js';
import { startTestPostgres } from '../support/postgres.js';
import { MINUTE, trackingApp, twoNodes, type TrackingFixture } from '../support/tracking-app.js';

const pgServer = await startTestPostgres();
after(() => pgServer.stop());

/**
 * Group commit on PostgreSQL: the scenarios of group-commit.test.ts (SQLite), shared in
 * test/support/group-commit-scenarios.ts. Which transaction wrote a row is PostgreSQL's own
 * record (`xmin`, the writing transaction's id), so "one transaction for the batch" is read from
 * the rows themselves.
 */
describe('group commit of new visits (PostgreSQL)', { skip: pgServer.skipReason }, () => {
  let f: TrackingFixture;
  let pgUrl = '';
  const statements = new StatementLog();
  before(async () => {
    pgUrl = await pgServer.createDatabase();
    f = await trackingApp(GROUP_COMMIT_DOC, { pgUrl, listen: true });
    statements.record(f.app.db);
  });
  after(() => f?.close());
  beforeEach(() => {
    f.clock.advance(60 * MINUTE); // every earlier hold has lapsed
    statements.clear();
  });
  const postgres: GroupCommitDb = {
    statements,
    openReader: () => knex({ client: 'pg', connection: pgUrl }),
    async transactionsWriting(table, column, ids) {
      const row = (await f.app.db(table).whereIn(column, ids).countDistinct({ n: f.app.db.raw('xmin::text') }).first()) as { n: string };
      return Number(row.n);
    },
    async assertRepeatsCommitted(visitIds) {
      // The batch's statement wrote the first two; the new campaign's visit (a repeat of a visitor
      // holding a number) took the per-visit path in a transaction after it, as on SQLite.
      const writers = await postgres.transactionsWriting('visits', 'id', visitIds);
      assert.equal(writers, 2, 'one transaction for the batch, one for all its repeat requests (the per-visit path)');
    },
    async makeReadOnly() {
      // PostgreSQL's own error for a write on a read-only server (a standby), raised by a trigger.
      await f.app.db.raw(`CREATE FUNCTION read_only() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'cannot execute INSERT in a read-only transaction' USING ERRCODE = 'read_only_sql_transaction'; END $$`);
      await f.app.db.raw('CREATE TRIGGER visits_read_only BEFORE INSERT ON visits FOR EACH STATEMENT EXECUTE FUNCTION read_only()');
      return async () => {
        await f.app.db.raw('DROP TRIGGER visits_read_only ON visits; DROP FUNCTION read_only()');
      };
    },
    readOnlyMessage: /^the database is unavailable \(PostgreSQL 25006: read-only transaction\); the page keeps its own number$/,
    batchWriter: () => new PgBulkVisitWriter({ db: f.app.db, holdPolicy: { kind: 'activity' } }),
  };

  it('many simultaneous visits over HTTP: distinct numbers, rows committed before the answer, shared transactions', () => scenario.manyVisitsOverHttp(f, postgres));
  it('visits in one batch take the numbers free the longest, in arrival order, in one transaction', () => scenario.batchTakesLongestFreeInOrder(f, postgres));
  it('a visitor repeated inside one batch keeps one number (and one visit while the campaign is the same)', () => scenario.repeatedVisitorKeepsOneNumber(f, postgres));
  it('a visitor already holding a number (a second tab) goes on with its visit inside the batch', () => scenario.holderContinuesInTheBatch(f, postgres));
  it('exhaustion, bots and static numbers inside a batch: events recorded, fallback shown, pool numbers distinct', () => scenario.exhaustionBotsAndStaticInABatch(f));
  it('a database that cannot write (read-only) fails the whole batch at once with 503, without retrying each visit', () => scenario.readOnlyFailsBatchWith503(f, postgres));
  it('a visit that breaks a constraint fails alone: the rest of its batch is retried and committed', () => scenario.constraintBreakFailsAlone(f, postgres));
});

describe('group commit on PostgreSQL: two calltrack nodes, one database', { skip: pgServer.skipReason }, () => {
  let nodes: TrackingFixture[] = [];
  before(async () => {
    nodes = await twoNodes(GROUP_COMMIT_DOC, await pgServer.createDatabase());
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
