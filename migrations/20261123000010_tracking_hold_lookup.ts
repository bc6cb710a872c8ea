import type { Knex } from 'knex';

/*
 * Lookups that run on every new visit:
 * - "does this visitor already hold a number?" joins visits to tracking_numbers on
 *   hold_visit_id; without an index that join scans every tracking number;
 * - "the free number free the longest": free_since always equals the end of the number's
 *   current hold, so walking (pool_name, free_since) in order meets the free numbers first
 *   and the query stops at the first row instead of sorting the whole pool.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tracking_numbers', (t) => {
    t.index(['hold_visit_id'], 'tracking_numbers_hold_visit_idx');
    t.index(['pool_name', 'free_since'], 'tracking_numbers_pool_free_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tracking_numbers', (t) => {
    t.dropIndex(['hold_visit_id'], 'tracking_numbers_hold_visit_idx');
    t.dropIndex(['pool_name', 'free_since'], 'tracking_numbers_pool_free_idx');
  });
}
