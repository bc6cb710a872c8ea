import type { Knex } from 'knex';

/*
 * Whether a call came while its number's business-hours schedule was closed, so it went to
 * afterHoursForwardTo: true or false for a number with a schedule, null for one without (and
 * for every call before schedules existed). forwarded_to names only the target that answered;
 * a missed call after hours would otherwise not say that it rang the owner's mobile.
 */
const COLUMN = 'after_hours';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('calls', (t) => t.boolean(COLUMN));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('calls', (t) => t.dropColumn(COLUMN));
}
