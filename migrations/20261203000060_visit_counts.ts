import type { Knex } from 'knex';

/*
 * Hourly counts of visits that `calltrack visits prune` deleted (no call was credited to them),
 * by the dimensions the source report groups on. The report's conversion (visits that called /
 * visits) would otherwise change once a period's uncalled visits are pruned: those are most of
 * them. Counts carry no personal data, so they are kept. A prune batch appends its own rows; the
 * report sums them, so no row is ever updated and two prunes never contend for one.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('visit_counts', (t) => {
    t.increments('id').primary();
    // Start of the UTC hour the visits began in (epoch ms).
    t.bigInteger('hour').notNullable();
    t.string('source', 255);
    t.string('medium', 255);
    t.string('campaign', 255);
    t.string('term', 255);
    t.string('pool_name', 100);
    t.string('number', 20);
    t.integer('visits').notNullable();
    t.index(['hour']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('visit_counts');
}
