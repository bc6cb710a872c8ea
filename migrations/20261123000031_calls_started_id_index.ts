import type { Knex } from 'knex';

/*
 * Listing, export and pagination walk calls in (started_at, id) order with a row-value keyset
 * condition `(started_at, id) > (?, ?)`. With only the started_at index SQLite sorted the whole
 * remaining table for every page (an export of a million rows took minutes); with this index
 * each page is a range scan, on SQLite and PostgreSQL alike.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('calls', (t) => {
    t.index(['started_at', 'id'], 'calls_started_at_id_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('calls', (t) => {
    t.dropIndex(['started_at', 'id'], 'calls_started_at_id_idx');
  });
}
