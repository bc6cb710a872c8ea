import type { Knex } from 'knex';

/*
 * Taking a number closes its previous hold row: `UPDATE number_holds ... WHERE number_id = ?
 * AND ended_reason IS NULL`. The (number_id, ...) indexes make SQLite visit every hold the
 * number ever had (a busy pool number gets about a hundred a day, tens of thousands a year) to
 * find the one running hold. A partial index of running holds only stays one row per held
 * number, so the lookup costs the same on day one and after a year. Same SQL on PostgreSQL.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX number_holds_running_idx ON number_holds (number_id) WHERE ended_reason IS NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX number_holds_running_idx');
}
