import type { Database } from '../db/connect.js';
import { activityHoldFloor, type HoldPolicy } from './tracking-strategy.js';
import { decidedInJs, HoldEnds, shownFor, type VisitBatchWriter } from './visit-batch.js';
import type { PreparedVisit, ShownNumber } from './visit-service.js';
import { isDirect } from './visit-source.js';
import { VISIT_COLUMNS, type ShownNumberType } from './visit-store.js';

const COLUMNS = VISIT_COLUMNS.map(([, c]) => c);

/**
 * The ids of the numbers taken, as an array: joined with `taken` (which the planner guesses at
 * a hundred rows or more), the updates of `tracking_numbers` and `number_holds` read the whole
 * table or all running holds (~1.5 ms each with 6,000 numbers); `= ANY` looks each up in its index.
 */
const TAKEN_IDS = 'ARRAY(SELECT number_id FROM taken)';
const GOING_ON_IDS = 'ARRAY(SELECT number_id FROM going_on)';

/**
 * A batch of new visits as ONE statement: it chooses the numbers and writes everything, and
 * commits on its own (no BEGIN/COMMIT: one round trip to the server instead of four). The rules
 * are those of SQLite's trigger (the comment on VISIT_BATCH_SETUP).
 *
 * Parameters: the visitors who may hold a number (as an array, at each of its three uses: compared
 * with `= ANY` a given array, the planner looks each up in the index; with one it computes, such as
 * `settled`'s, it read every visit); `rows`, every visit of the batch as a visits row (in the
 * batch's order; those decided in JavaScript carry their number and type, those wanting a pool
 * number carry the type 'dynamic' and no number yet); `wanting`, the visits wanting a pool number
 * as `[visit id, pool, visitor id, may hold, hold until, hold floor, direct]` (the floor a running
 * hold moves to on activity, null when it never moves: activityHoldFloor); the pool `events`
 * decided in JavaScript (bots, rate-limited, fallbacks without a pool number).
 *
 * - `settled`: the visitors who may hold a number that this statement decides for (VisitorLocks):
 *   `claimed` got their visitor locks without waiting (calltrack_claim_visitors) and read their
 *   visit rows with a snapshot taken after the locks; `seen` reads them with the statement's
 *   snapshot. A visitor whose lock another node's transaction holds, or whose visits changed
 *   between the two (compared by xmin: another node committed for it after this statement began),
 *   is left out of `wanting`, and its visits go per visit, which waits for the lock and then reads
 *   afresh. Without this, two nodes seeing a visitor's first tabs at once gave it two numbers.
 * - `held`: the numbers the settled visitors hold now (as HoldStore.heldByVisitor, with their
 *   visit's campaign), locked `FOR UPDATE` in id order (waiting, as heldByVisitor does; a number
 *   can change hands to a visitor settled by another node's batch); `latest` is each visitor's latest.
 * - `going_on`: VisitService.continueVisitor's common case, by its rules: a visitor's first visit
 *   in the batch, holding a number of the same pool, direct or of its held visit's campaign
 *   (isSameCampaign), goes on with that visit: no visit row; the hold ends at the later of its end
 *   and the floor (extendedHoldEnd), on the number row and the running hold row; the held visit
 *   is seen now, takes the GA4 session id the new page sent (if any), and the page is added
 *   (pages_seen + 1) unless it is the visit's last page. A hand-over (new campaign), another pool
 *   and a repeat in the batch (the statement cannot see its own inserts) stay on the per-visit path.
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
 *   new ones; rows are inserted in the batch's order (their ids, as one by one). No row is written
 *   twice: held numbers (hold_until > now) and free ones (<= now) are disjoint, and so are their
 *   running hold rows; the visits gone on with are old rows, the inserted ones new.
 *
 * It returns the visits it wrote and those gone on with (`asked_id` the new visit's id, `visit_id`
 * the one answered); the others take the per-visit path.
 */
const BATCH = `
WITH claimed AS MATERIALIZED (SELECT claimed_id, fingerprint FROM calltrack_claim_visitors(?::text[])),
  seen AS (SELECT visitor_id, string_agg(xmin::text, ',' ORDER BY id) AS fingerprint FROM visits WHERE visitor_id = ANY(?::text[]) GROUP BY visitor_id),
  settled AS MATERIALIZED (
    SELECT c.claimed_id AS visitor_id FROM claimed AS c LEFT JOIN seen AS s ON s.visitor_id = c.claimed_id
    WHERE c.fingerprint IS NOT DISTINCT FROM s.fingerprint),
  rows AS (SELECT * FROM json_populate_recordset(NULL::visits, ?::json) WITH ORDINALITY AS r),
  wanting AS (
    SELECT w ->> 0 AS visit_id, w ->> 1 AS pool_name, w ->> 2 AS visitor_id, (w ->> 3)::boolean AS may_hold, (w ->> 4)::bigint AS until,
      (w ->> 5)::bigint AS floor, (w ->> 6)::boolean AS direct, ord
    FROM json_array_elements(?::json) WITH ORDINALITY AS x(w, ord)
    WHERE NOT (w ->> 3)::boolean OR w ->> 2 IN (SELECT visitor_id FROM settled)),
  held AS MATERIALIZED (
    SELECT n.id, n.number, n.pool_name, n.hold_visit_id, n.hold_until, v.visitor_id, v.source, v.medium, v.campaign
    FROM tracking_numbers AS n JOIN visits AS v ON v.id = n.hold_visit_id
    WHERE v.visitor_id = ANY(?::text[]) AND v.visitor_id IN (SELECT visitor_id FROM settled) AND n.hold_until > ? AND n.active
    ORDER BY n.id
    FOR UPDATE OF n),
  latest AS (SELECT DISTINCT ON (visitor_id) * FROM held ORDER BY visitor_id, hold_until DESC, id),
  first_ask AS (
    SELECT w.* FROM wanting AS w WHERE NOT EXISTS (SELECT 1 FROM wanting AS e WHERE e.visitor_id = w.visitor_id AND e.ord < w.ord)),
  going_on AS MATERIALIZED (
    SELECT r.ordinality, l.hold_visit_id AS previous_id, w.visit_id, l.id AS number_id, l.number, GREATEST(l.hold_until, w.floor) AS until,
      r.landing_url, r.created_at, r.ga_session_id,
      COALESCE(r.landing_url, '') <> '' AND r.landing_url IS DISTINCT FROM
        (SELECT url FROM visit_pages WHERE visit_id = l.hold_visit_id ORDER BY id DESC LIMIT 1) AS new_page
    FROM first_ask AS w JOIN latest AS l ON l.visitor_id = w.visitor_id AND l.pool_name = w.pool_name JOIN rows AS r ON r.id = w.visit_id
    WHERE w.may_hold AND (w.direct
      OR (l.source IS NOT DISTINCT FROM r.source AND l.medium IS NOT DISTINCT FROM r.medium AND l.campaign IS NOT DISTINCT FROM r.campaign))),
  eligible AS MATERIALIZED (
    SELECT w.*, row_number() OVER (PARTITION BY w.pool_name ORDER BY w.ord) AS rank FROM wanting AS w
    WHERE NOT (w.may_hold AND (w.visitor_id IN (SELECT visitor_id FROM held) OR w.ord NOT IN (SELECT ord FROM first_ask)))),
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
  p AS (
    INSERT INTO visit_pages (visit_id, url, seen_at)
    SELECT visit_id, url, seen_at FROM (
      SELECT id AS visit_id, landing_url AS url, created_at AS seen_at, ordinality FROM written WHERE landing_url IS NOT NULL
      UNION ALL SELECT previous_id, landing_url, created_at, ordinality FROM going_on WHERE new_page) AS x
    ORDER BY ordinality),
  c AS (UPDATE number_holds SET ended_reason = 'expired' WHERE ended_reason IS NULL AND number_id = ANY(${TAKEN_IDS})),
  n AS (
    UPDATE tracking_numbers AS n SET hold_visit_id = t.visit_id, hold_until = t.until, free_since = t.until
    FROM taken AS t WHERE n.id = t.number_id AND n.id = ANY(${TAKEN_IDS})),
  h AS (INSERT INTO number_holds (number_id, visit_id, held_from, held_until) SELECT number_id, visit_id, ?::bigint, until FROM taken ORDER BY ord),
  pe AS (INSERT INTO pool_events (pool_name, kind, visit_id, held_count, at) SELECT pool_name, kind, visit_id, NULL, ?::bigint FROM events ORDER BY ord),
  gn AS (
    UPDATE tracking_numbers AS n SET hold_until = g.until, free_since = g.until
    FROM going_on AS g WHERE n.id = g.number_id AND n.hold_visit_id = g.previous_id AND n.id = ANY(${GOING_ON_IDS})),
  gh AS (
    UPDATE number_holds AS h SET held_until = g.until FROM going_on AS g
    WHERE h.number_id = g.number_id AND h.visit_id = g.previous_id AND h.ended_reason IS NULL AND h.number_id = ANY(${GOING_ON_IDS})),
  gv AS (
    UPDATE visits AS pv SET last_seen_at = g.created_at, pages_seen = pv.pages_seen + CASE WHEN g.new_page THEN 1 ELSE 0 END,
      ga_session_id = COALESCE(g.ga_session_id, pv.ga_session_id)
    FROM going_on AS g WHERE pv.id = g.previous_id AND pv.id = ANY(ARRAY(SELECT previous_id FROM going_on)))
SELECT id AS asked_id, id AS visit_id, number, number_type, NULL::bigint AS hold_until FROM v
UNION ALL SELECT visit_id, previous_id, number, 'dynamic', until FROM going_on`;

interface BatchAnswer {
  /** The new visit the batch was asked for. */
  asked_id: string;
  /** The visit answered: the new one, or the one a visitor holding a number goes on with. */
  visit_id: string;
  number: string | null;
  number_type: ShownNumberType;
  /** Only for a visit that went on (the hold's extended end). */
  hold_until: number | null;
}

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
 * A visitor who holds a number and cannot go on with its visit in the statement (a new campaign,
 * another pool, asking twice in the batch), a visitor another node is deciding for at the same
 * moment (`settled`), and a visit whose pool ran dry come back `undefined`:
 * VisitGroupCommit runs them through the per-visit path after the statement has committed (in
 * one transaction of their own, as on SQLite), so a repeat request sees the number the first one
 * was given.
 */
export class PgBulkVisitWriter implements VisitBatchWriter {
  constructor(private readonly d: PgBulkVisitWriterDeps) {}

  async write(batch: PreparedVisit[], now: number): Promise<(ShownNumber | undefined)[]> {
    if (batch.length === 0) return [];
    const ends = new HoldEnds(this.d.holdPolicy, now);
    const wanting: [string, string, string, boolean, number, number | null, boolean][] = [];
    const events: [string, string, string][] = [];
    const rows = batch.map((p) => {
      const decided = decidedInJs(p);
      if (decided?.event && p.pool) events.push([p.pool.name, decided.event, p.visit.id]);
      if (!decided && p.pool) {
        const floor = activityHoldFloor(this.d.holdPolicy, p.pool, now);
        wanting.push([p.visit.id, p.pool.name, p.visit.visitorId, p.mayHold, ends.of(p.pool), floor, isDirect(p.source)]);
      }
      const row = Object.fromEntries(VISIT_COLUMNS.map(([field, column]) => [column, p.visit[field]]));
      return { ...row, pool_name: p.pool?.name ?? null, number: decided?.number ?? null, number_type: decided?.type ?? 'dynamic' };
    });
    const mayHold = [...new Set(wanting.flatMap(([, , visitor, may]) => (may ? [visitor] : [])))];
    const result = await this.d.db.raw<{ rows: BatchAnswer[] }>(BATCH, [
      mayHold,
      mayHold,
      JSON.stringify(rows),
      JSON.stringify(wanting),
      mayHold,
      now,
      now,
      JSON.stringify(events),
      now,
      now,
    ]);
    const byId = new Map(result.rows.map((w) => [w.asked_id, w]));
    return batch.map((p) => {
      const w = byId.get(p.visit.id);
      if (!w) return undefined;
      // A visit that went on: the answer names the visit it continues and the hold's new end.
      if (w.visit_id !== w.asked_id) return shownFor(p, 'dynamic', w.number, w.hold_until, w.visit_id);
      return shownFor(p, w.number_type, w.number, w.number_type === 'dynamic' ? ends.known(p.pool?.name) : null);
    });
  }

  async close(): Promise<void> {}
}
