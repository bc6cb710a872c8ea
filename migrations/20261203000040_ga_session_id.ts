import type { Knex } from 'knex';

/*
 * The GA4 session id (gtag's `_ga_<container>` cookie) of a visit, and of the calls credited to
 * it: a Measurement Protocol event needs it in its params to be shown with the online session's
 * source / medium / campaign (session attribution). Decimal digits (gtag writes the session's
 * start in Unix seconds), kept as text: it goes to Google and webhooks exactly as the page sent it.
 */
const COLUMN = 'ga_session_id';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('visits', (t) => t.string(COLUMN, 20));
  await knex.schema.alterTable('calls', (t) => t.string(COLUMN, 20));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('calls', (t) => t.dropColumn(COLUMN));
  await knex.schema.alterTable('visits', (t) => t.dropColumn(COLUMN));
}
