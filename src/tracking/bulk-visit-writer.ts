import type { BatchQuery } from '../db/prepared-statements.js';
import type { SqliteHotPath } from '../db/sqlite-hot-path.js';
import type { NumberAllocator } from './number-allocator.js';
import { activityHoldFloor } from './tracking-strategy.js';
import { decidedInJs, HoldEnds, shownFor, type VisitBatchWriter } from './visit-batch.js';
import type { PreparedVisit, ShownNumber } from './visit-service.js';
import { isDirect } from './visit-source.js';
import { VISIT_COLUMNS, type ShownNumberType } from './visit-store.js';

/** What the batch row carries besides the visit's own columns. */
const EXTRA = ['wants_number', 'may_hold', 'hold_until', 'now', 'event_kind', 'hold_floor', 'any_campaign'] as const;
const BATCH_COLUMNS = [...VISIT_COLUMNS.map(([, c]) => c), ...EXTRA];
/** Where the columns decided at write time sit in a batch row. */
const AT = {
  poolName: VISIT_COLUMNS.findIndex(([f]) => f === 'poolName'),
  number: VISIT_COLUMNS.findIndex(([f]) => f === 'number'),
  numberType: VISIT_COLUMNS.findIndex(([f]) => f === 'numberType'),
};

/** The numbers the visitor of the row being inserted holds now (as HoldStore.heldByVisitor). */
const HELD_BY_VISITOR = `main.tracking_numbers n JOIN main.visits v ON v.id = n.hold_visit_id
  WHERE v.visitor_id = NEW.visitor_id AND n.hold_until > NEW.now AND n.active = 1`;

/**
 * The group commit's write (VisitGroupCommit) as one statement: the batch goes to SQLite as a
 * single JSON parameter, unpacked by `jsonb_each` into an INSERT on a temporary view, whose
 * INSTEAD OF trigger runs the allocation for each visit in arrival order. One statement is one
 * implicit transaction, so the batch is atomic without BEGIN/COMMIT, and no other writer (a CLI
 * beside `serve`) can take a number between choosing and holding it.
 *
 * Why in SQL: each statement through node-sqlite3 is a hand-off to its thread pool and back.
 * On a two-core machine whose other core is busy (the HTTP clients), the hand-off wakes a
 * thread that preempts the event loop, about 0.1 ms each; the ~9 statements a batch took in
 * JavaScript-driven form cost more than the batch's actual work. Now a batch is this one
 * INSERT, which also returns the number each visit got.
 *
 * The trigger does, per visit that wants a pool number (rules as HoldStore.take with the
 * previous hold 'expired', and NumberAllocator.allocate): pick the number free the longest
 * (`free_since`, then id), write the visit with it, close the number's previous hold row, hold
 * it until `hold_until`, write the hold row and the landing page. Visits that do not want one
 * (no pool, bots, rate-limited) are written with what JavaScript decided, plus their pool
 * event. The trigger leaves out, writing nothing: a visitor who already holds a number (the
 * WHEN clause, which also catches a visitor asking twice in one batch), and a visit whose pool
 * ran dry.
 *
 * A visitor who already holds a number goes to the second trigger (a second browser tab: the
 * snippet keeps its visit per tab, its visitor id per site), with the rules of
 * VisitService.continueVisitor for the common case, the held number of the same pool and the same
 * campaign (`any_campaign`: the new page is a direct visit): the held visit goes on, its hold
 * extended to max(current end, `hold_floor`) (NULL for a fixed hold: unchanged), number row
 * and running hold row alike (HoldStore.setHoldEnd), its activity, new page and new GA4 session
 * id recorded (VisitStore.recordActivity); no visit row is written. What it did goes to the
 * one-row temp table `visit_continued`, which RETURNING reads. Anything else (a new campaign hands
 * the number over to a new visit, another pool) and the dry pools come back from RETURNING with
 * neither a number type nor a continued visit and take the per-visit path, which keeps the one
 * implementation of hand-overs, exhaustion events and onExhausted.
 */
export const VISIT_BATCH_SETUP = `
CREATE TEMP VIEW IF NOT EXISTS visit_batch AS SELECT ${BATCH_COLUMNS.map((c) => `NULL AS ${c}`).join(', ')};
CREATE TEMP TRIGGER IF NOT EXISTS visit_batch_insert INSTEAD OF INSERT ON visit_batch
WHEN NOT (NEW.may_hold AND EXISTS (SELECT 1 FROM ${HELD_BY_VISITOR}))
BEGIN
  INSERT INTO main.visits (${VISIT_COLUMNS.map(([, c]) => c).join(', ')})
    SELECT ${VISIT_COLUMNS.map(([, c]) => (c === 'number' ? 'f.number' : c === 'number_type' ? `'dynamic'` : `NEW.${c}`)).join(', ')}
    FROM (SELECT number FROM main.tracking_numbers
          WHERE pool_name = NEW.pool_name AND kind = 'pool' AND active = 1 AND (hold_until IS NULL OR hold_until <= NEW.now)
          ORDER BY free_since ASC, id ASC LIMIT 1) AS f
    WHERE NEW.wants_number;
  UPDATE main.number_holds SET ended_reason = 'expired'
    WHERE NEW.wants_number AND ended_reason IS NULL
      AND number_id = (SELECT id FROM main.tracking_numbers WHERE number = (SELECT number FROM main.visits WHERE id = NEW.id));
  UPDATE main.tracking_numbers SET hold_visit_id = NEW.id, hold_until = NEW.hold_until, free_since = NEW.hold_until
    WHERE NEW.wants_number AND number = (SELECT number FROM main.visits WHERE id = NEW.id);
  INSERT INTO main.number_holds (number_id, visit_id, held_from, held_until)
    SELECT id, NEW.id, NEW.now, NEW.hold_until FROM main.tracking_numbers WHERE NEW.wants_number AND hold_visit_id = NEW.id;
  INSERT INTO main.visits (${VISIT_COLUMNS.map(([, c]) => c).join(', ')})
    SELECT ${VISIT_COLUMNS.map(([, c]) => `NEW.${c}`).join(', ')} WHERE NOT NEW.wants_number;
  INSERT INTO main.pool_events (pool_name, kind, visit_id, held_count, at)
    SELECT NEW.pool_name, NEW.event_kind, NEW.id, NULL, NEW.now WHERE NEW.event_kind IS NOT NULL;
  INSERT INTO main.visit_pages (visit_id, url, seen_at)
    SELECT NEW.id, NEW.landing_url, NEW.now WHERE NEW.landing_url IS NOT NULL AND EXISTS (SELECT 1 FROM main.visits WHERE id = NEW.id);
END;
CREATE TEMP TABLE IF NOT EXISTS visit_continued (
  new_id TEXT PRIMARY KEY, visit_id TEXT NOT NULL, number_id INTEGER NOT NULL, number TEXT NOT NULL, hold_until INTEGER NOT NULL, new_page INTEGER NOT NULL);
CREATE TEMP TRIGGER IF NOT EXISTS visit_batch_continue INSTEAD OF INSERT ON visit_batch
WHEN NEW.may_hold AND EXISTS (SELECT 1 FROM ${HELD_BY_VISITOR})
BEGIN
  -- The rows before this one have had their RETURNING values computed already.
  DELETE FROM temp.visit_continued;
  -- new_page: the landing page is recorded unless it is the held visit's last page again.
  INSERT INTO temp.visit_continued (new_id, visit_id, number_id, number, hold_until, new_page)
    SELECT NEW.id, v.id, h.id, h.number, CASE WHEN NEW.hold_floor IS NULL THEN h.hold_until ELSE max(h.hold_until, NEW.hold_floor) END,
      NEW.landing_url IS NOT NULL AND NEW.landing_url IS NOT (SELECT url FROM main.visit_pages WHERE visit_id = v.id ORDER BY id DESC LIMIT 1)
    FROM (SELECT n.id, n.number, n.pool_name, n.hold_until, n.hold_visit_id FROM ${HELD_BY_VISITOR} ORDER BY n.hold_until DESC LIMIT 1) AS h
    JOIN main.visits v ON v.id = h.hold_visit_id
    WHERE h.pool_name IS NEW.pool_name AND (NEW.any_campaign OR (v.source IS NEW.source AND v.medium IS NEW.medium AND v.campaign IS NEW.campaign));
  UPDATE main.tracking_numbers SET hold_until = c.hold_until, free_since = c.hold_until
    FROM temp.visit_continued AS c WHERE tracking_numbers.id = c.number_id AND tracking_numbers.hold_visit_id = c.visit_id;
  UPDATE main.number_holds SET held_until = c.hold_until
    FROM temp.visit_continued AS c WHERE number_holds.number_id = c.number_id AND number_holds.visit_id = c.visit_id AND number_holds.ended_reason IS NULL;
  UPDATE main.visits SET last_seen_at = NEW.now, pages_seen = pages_seen + c.new_page, ga_session_id = coalesce(NEW.ga_session_id, visits.ga_session_id)
    FROM temp.visit_continued AS c WHERE visits.id = c.visit_id;
  INSERT INTO main.visit_pages (visit_id, url, seen_at) SELECT visit_id, NEW.landing_url, NEW.now FROM temp.visit_continued WHERE new_page;
END;`;

// jsonb_each, not json_each: json_each hands each row's array back as JSON text, which every
// `->>` then parses again (41 times a row); jsonb_each hands out the parsed (binary) form, and
// `->>` just steps to the element. Measured: 50 -> 17 µs of SQLite time per inserted visit.
// RETURNING reads back what the trigger wrote for each row: SQLite computes a row's RETURNING
// values once that row has been inserted, here once its INSTEAD OF trigger has run (the group
// commit tests check every answer against the stored visit), which saves the driver hand-off a
// separate SELECT would cost. A visit the trigger left out comes back with a NULL number_type.
const written = (column: string) => `(SELECT v.${column} FROM main.visits AS v WHERE v.id = visit_batch.id)`;
const continued = (column: string) => `(SELECT c.${column} FROM temp.visit_continued AS c WHERE c.new_id = visit_batch.id)`;
const INSERT_BATCH =
  `INSERT INTO visit_batch (${BATCH_COLUMNS.join(', ')}) SELECT ${BATCH_COLUMNS.map((_, k) => `value ->> ${k}`).join(', ')} FROM jsonb_each(?) ` +
  `RETURNING id, ${written('number')} AS number, ${written('number_type')} AS number_type, ` +
  `${continued('visit_id')} AS continued_id, ${continued('number')} AS continued_number, ${continued('hold_until')} AS continued_until`;

/** SQLite's VisitBatchWriter; its statement runs prepared on knex's connection (SqliteHotPath, made with VISIT_BATCH_SETUP). */
export class BulkVisitWriter implements VisitBatchWriter {
  constructor(
    private readonly allocator: NumberAllocator,
    private readonly hotPath: SqliteHotPath,
  ) {}

  write(batch: PreparedVisit[], now: number): Promise<(ShownNumber | undefined)[]> {
    return this.hotPath.withConnection((query) => this.insertBatch(query, batch, now));
  }

  close(): Promise<void> {
    return this.hotPath.close();
  }

  /**
   * New visits, in the batch's order; `undefined` for a visit the trigger left to the
   * per-visit path (its visitor holds a number, or its pool ran dry in this batch).
   */
  private async insertBatch(query: BatchQuery, batch: PreparedVisit[], now: number): Promise<(ShownNumber | undefined)[]> {
    if (batch.length === 0) return [];
    const ends = new HoldEnds(this.allocator.holdPolicy, now);
    const rows = batch.map((p) => {
      const decided = decidedInJs(p);
      const until = !decided && p.pool ? ends.of(p.pool) : null;
      const row: unknown[] = VISIT_COLUMNS.map(([field]) => p.visit[field]);
      row[AT.poolName] = p.pool?.name ?? null;
      row[AT.number] = decided?.number ?? null;
      row[AT.numberType] = decided?.type ?? 'none';
      const floor = p.pool ? activityHoldFloor(this.allocator.holdPolicy, p.pool, now) : null;
      row.push(decided ? 0 : 1, p.mayHold ? 1 : 0, until, now, decided?.event ?? null, floor, isDirect(p.source) ? 1 : 0);
      return row;
    });
    const stored = (await query(INSERT_BATCH, [JSON.stringify(rows)])) as {
      id: string;
      number: string | null;
      number_type: ShownNumberType | null;
      continued_id: string | null;
      continued_number: string | null;
      continued_until: number | null;
    }[];
    const byId = new Map(stored.map((w) => [w.id, w]));
    return batch.map((p) => {
      const w = byId.get(p.visit.id);
      if (w?.continued_id) return shownFor(p, 'dynamic', w.continued_number, w.continued_until, w.continued_id);
      if (!w?.number_type) return undefined;
      return shownFor(p, w.number_type, w.number, w.number_type === 'dynamic' ? ends.known(p.pool?.name) : null);
    });
  }
}
