import type { Knex } from 'knex';

/*
 * When a call's identity (caller number, note, the visitor's analytics ids) was erased, by
 * `calls forget` or `calls anonymise`. Without it an erased call reads like one whose caller
 * withheld the number, and the dashboard said "anonymous caller" to an operator who must be
 * able to tell a privacy erasure from a withheld CLI. Unix milliseconds, as the other times.
 */
const COLUMN = 'identity_erased_at';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('calls', (t) => t.bigInteger(COLUMN));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('calls', (t) => t.dropColumn(COLUMN));
}
