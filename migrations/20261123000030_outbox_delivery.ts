import type { Knex } from 'knex';

/*
 * Delivery bookkeeping for the webhook outbox:
 * - claimed_until: a dispatcher leases an entry while it posts it, so two calltrack nodes on one
 *   PostgreSQL database never deliver the same entry at once; a lease left by a crashed process
 *   simply runs out and the entry is retried (delivery is at least once; receivers dedupe on
 *   the event id);
 * - expires_at: when retrying stops. Set at enqueue (24 h) and again by `webhooks retry`.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_outbox', (t) => {
    t.bigInteger('claimed_until');
    t.bigInteger('expires_at');
    t.index(['target', 'status'], 'webhook_outbox_target_status_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_outbox', (t) => {
    t.dropIndex(['target', 'status'], 'webhook_outbox_target_status_idx');
    t.dropColumn('claimed_until');
    t.dropColumn('expires_at');
  });
}
