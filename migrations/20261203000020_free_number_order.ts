import type { Knex } from 'knex';

/*
 * "The free number free the longest" orders by (free_since, id), and free_since ties often: every
 * number of a freshly synced pool has the same one, and so do the numbers a batch of new visits
 * takes (their holds end together). With the index on (pool_name, free_since) alone, the database
 * sorted all tied rows by id before handing out the first (every free number of a new pool: ~2-4
 * ms on PostgreSQL for 6,000 numbers, per allocation). With id in the index the walk is already in
 * the query's order and stops after the rows it needs. It replaces the (pool_name, free_since)
 * index, of which it is a prefix.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX tracking_numbers_pool_free_order_idx ON tracking_numbers (pool_name, free_since, id)');
  await knex.raw('DROP INDEX tracking_numbers_pool_free_idx');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX tracking_numbers_pool_free_idx ON tracking_numbers (pool_name, free_since)');
  await knex.raw('DROP INDEX tracking_numbers_pool_free_order_idx');
}
