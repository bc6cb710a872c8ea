import type { Database } from '../db/connect.js';
import type { HoldPolicy } from './tracking-strategy.js';
import { decidedInJs, HoldEnds, shownFor, type VisitBatchWriter } from './visit-batch.js';
import type { PreparedVisit, ShownNumber } from './visit-service.js';
import { VISIT_COLUMNS, type ShownNumberType } from './visit-store.js';

const COLUMNS = VISIT_COLUMNS.map(([, c]) => c);

/**
 * A batch of new visits as ONE statement: it chooses the numbers and writes everything, and
 * commits on its own (no BEGIN/COMMIT: one round trip to the server instead of four). The rules
 * are those of SQLite's trigger (the comment on VISIT_BATCH_SETUP).
 *
 * Parameters: `rows`, every visit of the batch as a visits row (in the batch's order; those
 * decided in JavaScript carry their number and type, those wanting a pool number carry the type
 * 'dynamic' and no number yet); `wanting`, the visits wanting a pool number as
 * `[visit id, pool, visitor id, may hold, hold until]`; the visitors who may hold one (as an
 * array: compared with `= ANY`, the planner looks each up in the index); the pool `events`
 * decided in JavaScript (bots, rate-limited, fallbacks without a pool number).
 *
 * - `eligible` leaves out, as SQLite's WHEN clause does, a visit whose visitor may hold a number
 *   and already holds one (as HoldStore.heldByVisitor), or asked for one earlier in this batch;
 *   the others are ranked per pool in arrival order.
 * - `free` takes per pool as many free numbers as it has eligible visits, free the longest first
 *   (as HoldStore.pickFree), locked `FOR UPDATE SKIP LOCKED` so another node's batch running at
 *   the same moment passes over them, ranked the same way; `taken` pairs them by rank. A visit
 *   ranked past its pool's free numbers (the pool ran dry) is left out.
 * - The writes: the visits served (decided in JavaScript, or given a number) and their landing
 *   pages; for each number taken its previous hold row closed as 'expired', the number row
 *   pointed at its visit (HoldStore.take) and the new hold row; the pool events. All parts see
 *   the tables as they were before the statement, so closing the previous holds cannot close the
 *   new ones; rows are inserted in the batch's order (their ids, as one by one).
 *
 * It returns the visits it wrote, with their numbers; the others take the per-visit path.
 */
/**
 * The ids of the numbers taken, as an array: joined with `taken` (which the planner guesses at
 * a hundred rows or more), the updates of `tracking_numbers` and `number_holds` read the whole
 * table or all running holds (~1.5 ms each with 6,000 numbers); `= ANY` looks each up in its index.
 */
const TAKEN_IDS = 'ARRAY(SELECT number_id FROM taken)';
const BATCH = `
WITH rows AS (SELECT * FROM json_populate_recordset(NULL::visits, ?::json) WITH ORDINALITY AS r),
  wanting AS (
    SELECT w ->> 0 AS visit_id, w ->> 1 AS pool_name, w ->> 2 AS visitor_id, (w ->> 3)::boolean AS may_hold, (w ->> 4)::bigint AS until, ord
    FROM json_array_elements(?::json) WITH ORDINALITY AS x(w, ord)),
  held AS (
    SELECT DISTINCT v.visitor_id FROM tracking_numbers AS n JOIN visits AS v ON v.id = n.hold_visit_id
    WHERE v.visitor_id = ANY(?::text[]) AND n.hold_until > ? AND n.active),
  eligible AS MATERIALIZED (
    SELECT w.*, row_number() OVER (PARTITION BY w.pool_name ORDER BY w.ord) AS rank FROM wanting AS w
    WHERE NOT (w.may_hold AND (w.visitor_id IN (SELECT visitor_id FROM held)
      OR EXISTS (SELECT 1 FROM wanting AS e WHERE e.visitor_id = w.visitor_id AND e.ord < w.ord)))),
  wants AS (SELECT pool_name, count(*) AS n FROM eligible GROUP BY pool_name),
  free AS MATERIALIZED (
    SELECT w.pool_name, f.id, f.number, row_number() OVER (PARTITION BY w.pool_name ORDER BY f.free_since, f.id) AS rank
    FROM wants AS w CROSS JOIN LATERAL (
      SELECT id, number, free_since FROM tracking_numbers
      WHERE pool_name = w.pool_name AND kind = 'pool' AND active AND (hold_until IS NULL OR hold_until <= ?)
      ORDER BY free_since ASC, id ASC LIMIT w.n FOR UPDATE SKIP LOCKED) AS f),
  taken AS MATERIALIZED (
    SELECT e.visit_id, e.until, e.ord, f.id AS number_id, f.number FROM eligible AS e JOIN free AS f ON f.pool_name = e.pool_name AND f.rank = e.rank),
  written AS MATERIALIZED (
    SELECT r.*, t.number AS taken_number FROM rows AS r LEFT JOIN taken AS t ON t.visit_id = r.id
    WHERE r.number_type <> 'dynamic' OR t.visit_id IS NOT NULL),
  events AS (SELECT e ->> 0 AS pool_name, e ->> 1 AS kind, e ->> 2 AS visit_id, ord FROM json_array_elements(?::json) WITH ORDINALITY AS x(e, ord)),
  v AS (
    INSERT INTO visits (${COLUMNS.join(', ')})
    SELECT ${COLUMNS.map((c) => (c === 'number' ? 'COALESCE(taken_number, number)' : c)).join(', ')} FROM written ORDER BY ordinality
    RETURNING id, number, number_type),
  p AS (INSERT INTO visit_pages (visit_id, url, seen_at) SELECT id, landing_url, created_at FROM written WHERE landing_url IS NOT NULL ORDER BY ordinality),
  c AS (UPDATE number_holds SET ended_reason = 'expired' WHERE ended_reason IS NULL AND number_id = ANY(${TAKEN_IDS})),
  n AS (
    UPDATE tracking_numbers AS n SET hold_visit_id = t.visit_id, hold_until = t.until, free_since = t.until
    FROM taken AS t WHERE n.id = t.number_id AND n.id = ANY(${TAKEN_IDS})),
  h AS (INSERT INTO number_holds (number_id, visit_id, held_from, held_until) SELECT number_id, visit_id, ?::bigint, until FROM taken ORDER BY ord),
  pe AS (INSERT INTO pool_events (pool_name, kind, visit_id, held_count, at) SELECT pool_name, kind, visit_id, NULL, ?::bigint FROM events ORDER BY ord)
SELECT id, number, number_type FROM v`;

export interface PgBulkVisitWriterDeps {
  db: Database;
  holdPolicy: HoldPolicy;
}

/**
 * PostgreSQL's VisitBatchWriter: the batch is the one statement BATCH, as SQLite's is one
 * INSERT. A transaction per visit paid BEGIN, ~9 statements and COMMIT for each visit, which
 * capped PostgreSQL at a few hundred a second; a transaction per batch of two statements still
 * paid four round trips per batch, and batches run one at a time per node.
 *
 * A visitor who already holds a number (or asks twice in the batch) and a visit whose pool ran
 * dry come back `undefined`: VisitGroupCommit runs them through the per-visit path after the
 * statement has committed (in one transaction of their own, as on SQLite), so a repeat request
 * sees the number the first one was given.
 */
export class PgBulkVisitWriter implements VisitBatchWriter {
  constructor(private readonly d: PgBulkVisitWriterDeps) {}

  async write(batch: PreparedVisit[], now: number): Promise<(ShownNumber | undefined)[]> {
    if (batch.length === 0) return [];
    const ends = new HoldEnds(this.d.holdPolicy, now);
    const wanting: [string, string, string, boolean, number][] = [];
    const events: [string, string, string][] = [];
    const rows = batch.map((p) => {
      const decided = decidedInJs(p);
      if (decided?.event && p.pool) events.push([p.pool.name, decided.event, p.visit.id]);
      if (!decided && p.pool) wanting.push([p.visit.id, p.pool.name, p.visit.visitorId, p.mayHold, ends.of(p.pool)]);
      const row = Object.fromEntries(VISIT_COLUMNS.map(([field, column]) => [column, p.visit[field]]));
      return { ...row, pool_name: p.pool?.name ?? null, number: decided?.number ?? null, number_type: decided?.type ?? 'dynamic' };
    });
    const mayHold = [...new Set(wanting.flatMap(([, , visitor, may]) => (may ? [visitor] : [])))];
    const result = await this.d.db.raw<{ rows: { id: string; number: string | null; number_type: ShownNumberType }[] }>(BATCH, [
      JSON.stringify(rows),
      JSON.stringify(wanting),
      mayHold,
      now,
      now,
      JSON.stringify(events),
      now,
      now,
    ]);
    const byId = new Map(result.rows.map((w) => [w.id, w]));
    return batch.map((p) => {
      const w = byId.get(p.visit.id);
      if (!w) return undefined;
      return shownFor(p, w.number_type, w.number, w.number_type === 'dynamic' ? ends.known(p.pool?.name) : null);
    });
  }

  async close(): Promise<void> {}
}
