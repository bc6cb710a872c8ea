import type { Knex } from 'knex';
import type { Database } from '../db/connect.js';
import type { HoldPolicy } from './tracking-strategy.js';
import { decidedInJs, HoldEnds, shownFor, type VisitBatchWriter } from './visit-batch.js';
import type { PreparedVisit, ShownNumber } from './visit-service.js';
import { VISIT_COLUMNS } from './visit-store.js';

/**
 * What the batch may take, in one statement: which of its visitors already hold a number (as
 * HoldStore.heldByVisitor), and per pool as many free numbers as the others want, free the
 * longest first (as HoldStore.pickFree) and locked `FOR UPDATE SKIP LOCKED`, so another node's
 * batch running at the same moment passes over them. The visits wanting one come as JSON
 * `[pool, visitor id, may hold]`, the visitors who may hold one also as an array; a visitor
 * asking twice counts twice (a number too many is locked until the commit, never one too few,
 * so nobody's answer depends on the count).
 */
const CHOOSE = `
WITH wanting AS (
    SELECT w ->> 0 AS pool_name, w ->> 1 AS visitor_id, (w ->> 2)::boolean AS may_hold FROM json_array_elements(?::json) AS x(w)),
  held AS (
    SELECT DISTINCT v.visitor_id FROM tracking_numbers AS n JOIN visits AS v ON v.id = n.hold_visit_id
    WHERE v.visitor_id = ANY(?::text[]) AND n.hold_until > ? AND n.active),
  wants AS (
    SELECT pool_name, count(*) AS n FROM wanting
    WHERE NOT (may_hold AND visitor_id IN (SELECT visitor_id FROM held)) GROUP BY pool_name),
  free AS (
    SELECT w.pool_name, f.id, f.number, f.free_since FROM wants AS w CROSS JOIN LATERAL (
      SELECT id, number, free_since FROM tracking_numbers
      WHERE pool_name = w.pool_name AND kind = 'pool' AND active AND (hold_until IS NULL OR hold_until <= ?)
      ORDER BY free_since ASC, id ASC LIMIT w.n FOR UPDATE SKIP LOCKED) AS f)
SELECT NULL AS pool_name, visitor_id, NULL::integer AS id, NULL AS number, NULL::bigint AS free_since FROM held
UNION ALL SELECT pool_name, NULL, id, number, free_since FROM free
ORDER BY pool_name NULLS FIRST, free_since ASC, id ASC`;

/**
 * Everything the batch writes, in one statement whatever its size (each statement is a round
 * trip to the server, and on a busy machine a wake-up of both sides): the visits and their
 * landing pages, for each number taken its previous hold row closed as expired, the number row
 * pointed at its visit and the new hold row (HoldStore.take), and the pool events. All parts
 * see the table as it was before the statement, so closing the previous holds cannot close the
 * new ones; rows are inserted in the batch's order (their ids, as one by one).
 */
const COLUMNS = VISIT_COLUMNS.map(([, c]) => c).join(', ');
const WRITE = `
WITH rows AS (SELECT * FROM json_populate_recordset(NULL::visits, ?::json) WITH ORDINALITY AS r),
  takes AS (
    SELECT (t ->> 0)::integer AS number_id, t ->> 1 AS visit_id, (t ->> 2)::bigint AS until, ord
    FROM json_array_elements(?::json) WITH ORDINALITY AS x(t, ord)),
  events AS (SELECT e ->> 0 AS pool_name, e ->> 1 AS kind, e ->> 2 AS visit_id, ord FROM json_array_elements(?::json) WITH ORDINALITY AS x(e, ord)),
  v AS (INSERT INTO visits (${COLUMNS}) SELECT ${COLUMNS} FROM rows ORDER BY ordinality),
  p AS (INSERT INTO visit_pages (visit_id, url, seen_at) SELECT id, landing_url, created_at FROM rows WHERE landing_url IS NOT NULL ORDER BY ordinality),
  c AS (UPDATE number_holds SET ended_reason = 'expired' WHERE ended_reason IS NULL AND number_id IN (SELECT number_id FROM takes)),
  n AS (UPDATE tracking_numbers AS n SET hold_visit_id = t.visit_id, hold_until = t.until, free_since = t.until FROM takes AS t WHERE n.id = t.number_id),
  h AS (INSERT INTO number_holds (number_id, visit_id, held_from, held_until) SELECT number_id, visit_id, ?::bigint, until FROM takes ORDER BY ord)
INSERT INTO pool_events (pool_name, kind, visit_id, held_count, at) SELECT pool_name, kind, visit_id, NULL, ?::bigint FROM events ORDER BY ord`;

/** A row of CHOOSE: a visitor holding a number, or a free number of a pool. */
interface Chosen {
  pool_name: string | null;
  visitor_id: string | null;
  id: number | null;
  number: string | null;
}

export interface PgBulkVisitWriterDeps {
  db: Database;
  holdPolicy: HoldPolicy;
  /** One visit the per-visit way, inside the given transaction (VisitService.startPrepared). */
  startOne: (trx: Knex.Transaction, visit: PreparedVisit) => Promise<ShownNumber>;
}

/**
 * PostgreSQL's VisitBatchWriter: a batch of new visits in one transaction of two statements
 * (CHOOSE, WRITE), with the rules of SQLite's trigger (the comment on VISIT_BATCH_SETUP); the
 * numbers are handed out here, in arrival order. A transaction per visit paid BEGIN, ~9
 * statements and COMMIT for each visit, which capped PostgreSQL at a few hundred a second.
 *
 * A visitor who already holds a number (or asks twice in the batch) and a visit whose pool ran
 * dry take the per-visit path (`startOne`) after the batch's writes, in the same transaction:
 * one commit for the batch, and a repeat request sees the number the first one was given.
 */
export class PgBulkVisitWriter implements VisitBatchWriter {
  constructor(private readonly d: PgBulkVisitWriterDeps) {}

  write(batch: PreparedVisit[], now: number): Promise<ShownNumber[]> {
    return this.d.db.transaction(async (trx) => {
      const shown = await this.writeBulk(trx, batch, now);
      const out: ShownNumber[] = [];
      // In arrival order, after the batch's writes, as SQLite's per-visit cases run after its batch.
      for (const [i, p] of batch.entries()) out.push(shown[i] ?? (await this.d.startOne(trx, p)));
      return out;
    });
  }

  async close(): Promise<void> {}

  private async writeBulk(trx: Knex.Transaction, batch: PreparedVisit[], now: number): Promise<(ShownNumber | undefined)[]> {
    const decided = batch.map(decidedInJs);
    const wanting = batch.flatMap((p, i) => (decided[i] || !p.pool ? [] : [[p.pool.name, p.visit.visitorId, p.mayHold]]));
    // Passed apart as an array: compared with `= ANY`, the planner looks each up in the index.
    const mayHold = [...new Set(batch.flatMap((p, i) => (!decided[i] && p.mayHold ? [p.visit.visitorId] : [])))];
    const holding = new Set<string>();
    const free = new Map<string, { id: number; number: string }[]>();
    if (wanting.length > 0) {
      const chosen = await trx.raw<{ rows: Chosen[] }>(CHOOSE, [JSON.stringify(wanting), mayHold, now, now]);
      for (const r of chosen.rows) {
        if (r.visitor_id !== null) holding.add(r.visitor_id);
        else if (r.pool_name !== null && r.id !== null && r.number !== null) (free.get(r.pool_name) ?? free.set(r.pool_name, []).get(r.pool_name))?.push({ id: r.id, number: r.number });
      }
    }

    const ends = new HoldEnds(this.d.holdPolicy, now);
    const takes: [number, string, number][] = [];
    const events: [string, string, string][] = [];
    const shown = batch.map((p, i): ShownNumber | undefined => {
      const js = decided[i];
      if (js) {
        if (js.event && p.pool) events.push([p.pool.name, js.event, p.visit.id]);
        return shownFor(p, js.type, js.number, null);
      }
      // A visitor holding a number, also one given to their earlier request in this batch.
      if (!p.pool || (p.mayHold && holding.has(p.visit.visitorId))) return undefined;
      const number = free.get(p.pool.name)?.shift();
      if (!number) return undefined; // the pool ran dry: exhaustion and onExhausted per visit
      holding.add(p.visit.visitorId);
      const until = ends.of(p.pool);
      takes.push([number.id, p.visit.id, until]);
      return shownFor(p, 'dynamic', number.number, until);
    });
    // The visits the batch writes, each with the number it is shown; the others go per visit.
    const rows = batch.flatMap((p, i) => {
      const s = shown[i];
      if (!s) return [];
      return [{ ...Object.fromEntries(VISIT_COLUMNS.map(([field, column]) => [column, p.visit[field]])), pool_name: s.pool, number: s.number, number_type: s.type }];
    });
    await trx.raw(WRITE, [JSON.stringify(rows), JSON.stringify(takes), JSON.stringify(events), now, now]);
    return shown;
  }
}
