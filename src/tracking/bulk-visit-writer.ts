import type { Knex } from 'knex';
import type { PoolConfig } from '../config/schema.js';
import { selectStaticNumber } from './pool-match.js';
import type { NumberAllocator } from './number-allocator.js';
import { firstHoldEnd } from './tracking-strategy.js';
import type { PoolEventKind } from './pool-event-store.js';
import type { PreparedVisit, ShownNumber } from './visit-service.js';
import { VISIT_COLUMNS, type VisitStore } from './visit-store.js';


const placeholders = (rows: number, cols: number) => Array.from({ length: rows }, () => `(${Array(cols).fill('?').join(', ')})`).join(', ');
const list = (n: number) => Array(n).fill('?').join(', ');

/**
 * The multi-row statements of a group commit (VisitGroupCommit): N new visits cost one
 * INSERT of visits, one of landing pages, one SELECT of free numbers per pool, one UPDATE
 * closing the numbers' previous hold rows, one UPDATE of the number rows per pool and one
 * INSERT of hold rows, instead of ~9 statements per visit. The visit row is written once, with
 * the number it was shown.
 *
 * The statements are raw SQL with the text cached per row count: the batch path runs for every
 * new visit, and knex's query builder would rebuild (and re-escape) a 30-column, N-row INSERT
 * each time. They run on SQLite only (no FOR UPDATE: its single writer already serialises
 * allocation; PostgreSQL keeps the per-visit path with SKIP LOCKED).
 *
 * Anything rare (no free number left, a visitor who already holds one) goes through the usual
 * per-visit code in the same transaction, so exhaustion events, take-overs and hand-overs keep
 * exactly one implementation.
 */
export class BulkVisitWriter {
  private readonly sql = new Map<string, string>();
  private prepared = new WeakMap<object, Map<string, SqliteStatement>>();
  private readonly open = new Set<SqliteStatement>();

  constructor(
    private readonly allocator: NumberAllocator,
    private readonly visits: VisitStore,
  ) {}

  /**
   * Indexes of the visits that must take the per-visit path: the visitor already holds a
   * number (same number, maybe the same visit), or asked twice in this batch (the second
   * request must see the number the first one is given).
   */
  async needsOneByOne(trx: Knex.Transaction, batch: PreparedVisit[], now: number): Promise<Set<number>> {
    const slow = new Set<number>();
    const asking = batch.flatMap((p, i) => (p.mayHold ? [{ i, visitorId: p.visit.visitorId }] : []));
    if (asking.length === 0) return slow;
    const ids = [...new Set(asking.map((a) => a.visitorId))];
    const rows = (await this.run(
      trx,
      `held:${ids.length}`, () =>
        `SELECT DISTINCT v.visitor_id AS visitor_id FROM tracking_numbers n JOIN visits v ON v.id = n.hold_visit_id ` +
        `WHERE v.visitor_id IN (${list(ids.length)}) AND n.hold_until > ? AND n.active = ?`,
      [...ids, now, true],
    )) as { visitor_id: string }[];
    const seen = new Set(rows.map((r) => r.visitor_id));
    for (const a of asking) {
      if (seen.has(a.visitorId)) slow.add(a.i);
      seen.add(a.visitorId);
    }
    return slow;
  }

  /** New visits of visitors holding no number; results in the batch's order. */
  async writeNew(trx: Knex.Transaction, batch: PreparedVisit[], now: number): Promise<ShownNumber[]> {
    if (batch.length === 0) return [];
    const shown: ShownNumber[] = [];
    // By name: after a config reload one batch may carry two PoolConfig objects of one pool,
    // and two SELECTs before the UPDATE would both return the same free numbers.
    const wanting = new Map<string, { pool: PoolConfig; indexes: number[] }>();
    const events: { pool: string; kind: PoolEventKind; visitId: string }[] = [];
    batch.forEach((p, i) => {
      const base = { visitId: p.visit.id, visitorId: p.visit.visitorId, pool: p.pool?.name ?? null, holdUntil: null };
      if (!p.pool) {
        const fixed = selectStaticNumber(p.cfg.numbers, p.facts);
        shown.push({ ...base, type: fixed ? 'static' : 'none', number: fixed?.number ?? null });
      } else if (p.isBot || p.rateLimited) {
        events.push({ pool: p.pool.name, kind: p.isBot ? 'bot' : 'rate-limited', visitId: p.visit.id });
        shown.push({ ...base, ...fallbackOf(p.pool) });
      } else {
        const w = wanting.get(p.pool.name) ?? { pool: p.pool, indexes: [] };
        w.indexes.push(i);
        wanting.set(p.pool.name, w);
        shown.push({ ...base, type: 'none', number: null }); // decided below
      }
    });

    const taken: { pool: PoolConfig; ids: number[]; visitIds: string[]; until: number }[] = [];
    const exhausted: number[] = [];
    for (const { pool, indexes } of wanting.values()) {
      const free = (await this.run(
        trx,
        'free', () =>
          `SELECT id, number FROM tracking_numbers WHERE pool_name = ? AND kind = 'pool' AND active = ? ` +
          `AND (hold_until IS NULL OR hold_until <= ?) ORDER BY free_since ASC, id ASC LIMIT ?`,
        [pool.name, true, now, indexes.length],
      )) as { id: number; number: string }[];
      // Where a new hold ends: the same rule as NumberAllocator.allocate.
      const until = firstHoldEnd(this.allocator.holdPolicy, pool, now);
      const got = { pool, ids: [] as number[], visitIds: [] as string[], until };
      indexes.forEach((i, k) => {
        const n = free[k];
        const s = shown[i];
        if (!s) return;
        if (!n) return void exhausted.push(i);
        Object.assign(s, { type: 'dynamic', number: n.number, holdUntil: until });
        got.ids.push(n.id);
        got.visitIds.push(s.visitId);
      });
      if (got.ids.length > 0) taken.push(got);
    }

    await this.insertVisits(trx, batch, shown);
    await this.insertHolds(trx, taken, now);
    if (events.length > 0) {
      await this.run(
        trx,
        `events:${events.length}`, () => `INSERT INTO pool_events (pool_name, kind, visit_id, held_count, at) VALUES ${placeholders(events.length, 5)}`,
        events.flatMap((e) => [e.pool, e.kind, e.visitId, null, now]),
      );
    }
    // The pool ran dry inside this batch: the allocator records the exhaustion and applies
    // onExhausted (fallback or take-over) for each remaining visit, as it does one by one.
    for (const i of exhausted) {
      const p = batch[i];
      const s = shown[i];
      if (!p?.pool || !s) continue;
      const a = await this.allocator.allocate(trx, p.pool, p.visit.id, now);
      Object.assign(s, { type: a.type, number: a.number, holdUntil: a.holdUntil });
      await this.visits.setShownNumber(trx, p.visit.id, { poolName: p.pool.name, number: a.number, numberType: a.type });
    }
    return shown;
  }

  private async insertVisits(trx: Knex.Transaction, batch: PreparedVisit[], shown: ShownNumber[]): Promise<void> {
    const values: Knex.Value[] = [];
    batch.forEach((p, i) => {
      const s = shown[i];
      const row = { ...p.visit, poolName: s?.pool ?? null, number: s?.number ?? null, numberType: s?.type ?? 'none' };
      for (const [field] of VISIT_COLUMNS) values.push(row[field]);
    });
    const n = batch.length;
    await this.run(
      trx,
      `visits:${n}`, () => `INSERT INTO visits (${VISIT_COLUMNS.map(([, c]) => c).join(', ')}) VALUES ${placeholders(n, VISIT_COLUMNS.length)}`,
      values,
    );
    const pages = batch.filter((p) => p.visit.landingUrl);
    if (pages.length === 0) return;
    await this.run(
      trx,
      `pages:${pages.length}`, () => `INSERT INTO visit_pages (visit_id, url, seen_at) VALUES ${placeholders(pages.length, 3)}`,
      pages.flatMap((p) => [p.visit.id, p.visit.landingUrl, p.visit.createdAt]),
    );
  }

  /** Same writes as HoldStore.take(..., 'expired') for each taken number, in a few statements. */
  private async insertHolds(trx: Knex.Transaction, taken: { pool: PoolConfig; ids: number[]; visitIds: string[]; until: number }[], now: number) {
    const ids = taken.flatMap((t) => t.ids);
    if (ids.length === 0) return;
    // The previous holders' hold rows had ended (the numbers were free): close them as expired.
    await this.run(
      trx,
      `close:${ids.length}`, () => `UPDATE number_holds SET ended_reason = 'expired' WHERE ended_reason IS NULL AND number_id IN (${list(ids.length)})`,
      ids,
    );
    for (const t of taken) {
      const n = t.ids.length;
      await this.run(
        trx,
        `numbers:${n}`, () =>
          `UPDATE tracking_numbers SET hold_until = ?, free_since = ?, hold_visit_id = CASE id ${'WHEN ? THEN ? '.repeat(n)}END ` +
          `WHERE id IN (${list(n)})`,
        [t.until, t.until, ...t.ids.flatMap((id, k) => [id, t.visitIds[k] ?? null]), ...t.ids],
      );
    }
    const rows = taken.flatMap((t) => t.ids.map((id, k) => [id, t.visitIds[k] ?? null, now, t.until]));
    await this.run(
      trx,
      `holds:${rows.length}`, () => `INSERT INTO number_holds (number_id, visit_id, held_from, held_until) VALUES ${placeholders(rows.length, 4)}`,
      rows.flat(),
    );
  }

  /**
   * Runs one statement of the batch. Through knex, node-sqlite3 prepares every statement anew:
   * a prepare and a step, each a trip to the driver's thread pool (and on a loaded machine each
   * trip waits for a core). Kept prepared per connection, a statement costs one trip, which
   * halves the wait of a batch. Batches above PREPARED_ROWS rows (rare: only under a burst)
   * go through knex rather than keep a large prepared statement per size in memory.
   */
  private async run(trx: Knex.Transaction, key: string, build: () => string, params: Knex.Value[]): Promise<unknown[]> {
    const rows = Number(key.split(':')[1] ?? 0);
    const sql = this.text(key, build);
    // Inside a transaction knex hands out the transaction's own connection (no new checkout).
    const conn = rows <= PREPARED_ROWS ? ((await trx.client.acquireConnection()) as unknown) : null;
    if (!isSqliteConnection(conn)) return (await trx.raw(sql, params)) as unknown[];
    let stmts = this.prepared.get(conn);
    if (!stmts) this.prepared.set(conn, (stmts = new Map()));
    let stmt = stmts.get(key);
    if (!stmt) {
      stmt = await new Promise<SqliteStatement>((resolve, reject) => {
        const s: SqliteStatement = conn.prepare(sql, (err) => (err ? reject(err) : resolve(s)));
      });
      stmts.set(key, stmt);
      this.open.add(stmt);
    }
    const ready = stmt;
    return new Promise((resolve, reject) => ready.all(params, (err, result) => (err ? reject(err) : resolve(result))));
  }

  /**
   * Finalizes the kept statements: SQLite refuses to close a connection that still has
   * statements (SQLITE_BUSY), so the app calls this before destroying the database.
   */
  async close(): Promise<void> {
    const all = [...this.open];
    this.open.clear();
    this.prepared = new WeakMap();
    await Promise.all(all.map((s) => new Promise<void>((resolve) => s.finalize(() => resolve()))));
  }

  private text(key: string, build: () => string): string {
    let sql = this.sql.get(key);
    if (sql === undefined) {
      sql = build();
      this.sql.set(key, sql);
    }
    return sql;
  }
}

/** Largest row count whose statements are kept prepared (see BulkVisitWriter.run). */
const PREPARED_ROWS = 64;

interface SqliteStatement {
  all(params: unknown[], cb: (err: Error | null, rows: unknown[]) => void): void;
  finalize(cb: (err: Error | null) => void): void;
}

interface SqliteConnection {
  prepare(sql: string, cb: (err: Error | null) => void): SqliteStatement;
}

function isSqliteConnection(c: unknown): c is SqliteConnection {
  return typeof c === 'object' && c !== null && typeof (c as { prepare?: unknown }).prepare === 'function';
}

function fallbackOf(pool: PoolConfig): Pick<ShownNumber, 'type' | 'number'> {
  return pool.fallbackNumber ? { type: 'fallback', number: pool.fallbackNumber } : { type: 'none', number: null };
}
