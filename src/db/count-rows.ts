import type { Knex } from 'knex';

/**
 * How many rows a query would return (its select and order dropped): for dry runs and reports
 * that count what a prune or an erasure would touch. COUNT comes back as a string on PostgreSQL.
 */
export async function countRows(query: Knex.QueryBuilder): Promise<number> {
  const row = (await query.clone().clearSelect().clearOrder().count({ n: '*' }).first()) as { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}
