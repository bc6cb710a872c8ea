import type { Knex } from 'knex';

const VISIT_COUNTS_TABLE = 'visit_counts';
const HOUR_MS = 3_600_000;

/** The visit columns a report can group visits on (the same names in `visits` and `visit_counts`). */
export type VisitDimensionColumn = 'source' | 'medium' | 'campaign' | 'term' | 'pool_name' | 'number';
const DIMENSIONS: readonly VisitDimensionColumn[] = ['source', 'medium', 'campaign', 'term', 'pool_name', 'number'];

/** Which visits a report counts; every field narrows (AND). */
export interface VisitCountFilter {
  /** Visits that began at or after this instant (epoch ms). */
  from?: number;
  /** Visits that began before this instant (exclusive). */
  to?: number;
  source?: string;
  medium?: string;
  campaign?: string;
  /** The number the visit was shown. */
  number?: string;
}

/**
 * Before `visits prune` deletes these visits, their counts per UTC hour and report dimension are
 * kept (visit_counts): a report of an old period still counts the visits that did not call,
 * which are most of them. Crawlers are left out here as in the report. Within the prune's
 * transaction, so the counts and the deletion land together or not at all.
 */
export async function archiveVisitCounts(trx: Knex.Transaction, visitIds: readonly string[]): Promise<void> {
  if (visitIds.length === 0) return;
  const hour = trx.raw('created_at - (created_at % ?)', [HOUR_MS]);
  const counts = trx('visits')
    .select(hour, ...DIMENSIONS, trx.raw('COUNT(*)'))
    .whereIn('id', visitIds)
    .andWhere('is_bot', false)
    // Positions, not names: PostgreSQL will not group by an expression's alias inside INSERT ... SELECT.
    .groupByRaw('1, 2, 3, 4, 5, 6, 7');
  // Spliced as text: a subquery binding comes out parenthesised, which SQLite's INSERT ... SELECT refuses.
  const select = counts.toSQL();
  await trx.raw(`INSERT INTO ${VISIT_COUNTS_TABLE} (hour, ${DIMENSIONS.join(', ')}, visits) ${select.sql}`, select.bindings);
}

/**
 * Visits by `column` (or in total when null): those still stored plus the counts pruning kept,
 * bots left out. Keys are the column's values, null for visits without one.
 */
export async function countVisits(db: Knex, filter: VisitCountFilter, column: VisitDimensionColumn | null): Promise<Map<string | null, number>> {
  const key = column ? db.raw('?? AS group_key', [column]) : db.raw('NULL AS group_key');
  const stored = narrow(db('visits').select(key, db.raw('COUNT(*) AS n')).where('is_bot', false), filter, 'created_at');
  const archived = narrow(db(VISIT_COUNTS_TABLE).select(key, db.raw('SUM(visits) AS n')), filter, 'hour');
  if (column) {
    void stored.groupBy(column);
    void archived.groupBy(column);
  }
  const counts = new Map<string | null, number>();
  // Two aggregates merged here rather than one UNION: SQLite takes no parenthesised, grouped members.
  for (const rows of (await Promise.all([stored, archived])) as { group_key: string | null; n: unknown }[][]) {
    // PostgreSQL returns COUNT/SUM as strings; SQLite as numbers; SUM of no rows is NULL.
    for (const r of rows) counts.set(r.group_key, (counts.get(r.group_key) ?? 0) + Number(r.n ?? 0));
  }
  return counts;
}

function narrow(qb: Knex.QueryBuilder, filter: VisitCountFilter, timeColumn: 'created_at' | 'hour'): Knex.QueryBuilder {
  if (filter.from !== undefined) void qb.where(timeColumn, '>=', filter.from);
  if (filter.to !== undefined) void qb.where(timeColumn, '<', filter.to);
  for (const k of ['source', 'medium', 'campaign', 'number'] as const) {
    const value = filter[k];
    if (value !== undefined) void qb.where(k, value);
  }
  return qb;
}
