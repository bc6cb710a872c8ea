import type { Knex } from 'knex';

/*
 * The first full schema. Conventions every later migration keeps:
 * - times are BIGINT epoch milliseconds (`*_at`): the same comparisons on SQLite and PostgreSQL,
 *   and no driver guessing at time zones;
 * - phone numbers are E.164 TEXT (the sqlite3 driver would bind a bare number as INTEGER and
 *   drop the +);
 * - JSON values are TEXT (tags, forward targets, payloads), parsed by the stores.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('tracking_numbers', (t) => {
    t.increments('id').primary();
    t.string('number', 20).notNullable().unique();
    t.string('kind', 10).notNullable(); // static | pool | fallback
    t.string('pool_name', 100);
    t.string('source_name', 200);
    t.string('source_medium', 100);
    t.string('source_campaign', 200);
    t.string('source_term', 200);
    t.string('source_content', 200);
    t.text('forward_to').notNullable(); // JSON array of E.164, tried in order
    t.boolean('active').notNullable().defaultTo(true);
    // Current hold, kept on the number row so allocation is one indexed UPDATE/SELECT ... FOR UPDATE.
    t.string('hold_visit_id', 36);
    t.bigInteger('hold_until');
    t.bigInteger('free_since'); // when the last hold ended; allocation prefers the smallest
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.bigInteger('deactivated_at');
    t.index(['pool_name', 'active', 'hold_until'], 'tracking_numbers_pool_idx');
  });

  // History of every config change to a number, so old calls can be explained after edits.
  await knex.schema.createTable('tracking_number_changes', (t) => {
    t.increments('id').primary();
    t.integer('number_id').notNullable().references('id').inTable('tracking_numbers').onDelete('CASCADE');
    t.string('change', 16).notNullable(); // created | updated | deactivated | reactivated
    t.text('before'); // JSON of the changed fields' old values
    t.text('after');
    t.bigInteger('changed_at').notNullable();
    t.index(['number_id', 'changed_at']);
  });

  await knex.schema.createTable('visits', (t) => {
    t.string('id', 36).primary();
    t.string('visitor_id', 64).notNullable();
    t.string('site_host', 255);
    t.text('landing_url');
    t.text('referrer');
    t.string('utm_source', 255);
    t.string('utm_medium', 255);
    t.string('utm_campaign', 255);
    t.string('utm_term', 255);
    t.string('utm_content', 255);
    t.string('gclid', 255);
    t.string('yclid', 255);
    t.string('fbclid', 255);
    // The visit's source as attributed (from utm_*, click ids or the referrer).
    t.string('source', 255);
    t.string('medium', 255);
    t.string('campaign', 255);
    t.string('term', 255);
    t.string('content', 255);
    t.string('ga_client_id', 100);
    t.string('ym_client_id', 100);
    t.text('user_agent');
    t.string('ip', 45);
    t.string('region', 100);
    t.boolean('is_bot').notNullable().defaultTo(false);
    t.string('pool_name', 100);
    t.string('number', 20); // the number shown to this visit
    t.string('number_type', 10); // dynamic | fallback | static | none
    t.integer('pages_seen').notNullable().defaultTo(1);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('last_seen_at').notNullable();
    t.index(['visitor_id', 'last_seen_at']);
    t.index(['created_at']);
  });

  await knex.schema.createTable('visit_pages', (t) => {
    t.increments('id').primary();
    t.string('visit_id', 36).notNullable().references('id').inTable('visits').onDelete('CASCADE');
    t.text('url').notNullable();
    t.bigInteger('seen_at').notNullable();
    t.index(['visit_id', 'seen_at']);
  });

  // Every hold ever given: attribution reads "who held number N at time T" from here.
  await knex.schema.createTable('number_holds', (t) => {
    t.increments('id').primary();
    t.integer('number_id').notNullable().references('id').inTable('tracking_numbers');
    t.string('visit_id', 36).notNullable().references('id').inTable('visits').onDelete('CASCADE');
    t.bigInteger('held_from').notNullable();
    t.bigInteger('held_until').notNullable(); // extended by activity
    t.bigInteger('released_at'); // the page said goodbye (pagehide)
    t.string('ended_reason', 16); // null while running; expired | taken-over
    t.index(['number_id', 'held_from']);
    t.index(['number_id', 'held_until']);
    t.index(['visit_id']);
  });

  // Exhaustions, fallback shows, take-overs, reveals, bots: what pool sizing is judged on.
  await knex.schema.createTable('pool_events', (t) => {
    t.increments('id').primary();
    t.string('pool_name', 100).notNullable();
    t.string('kind', 20).notNullable();
    t.string('visit_id', 36);
    t.integer('held_count'); // numbers held at that moment
    t.bigInteger('at').notNullable();
    t.index(['pool_name', 'at']);
  });

  await knex.schema.createTable('calls', (t) => {
    t.string('id', 36).primary();
    t.string('sip_call_id', 255).unique();
    t.string('tracking_number', 20).notNullable();
    t.integer('tracking_number_id').references('id').inTable('tracking_numbers');
    t.string('caller_number', 64);
    t.string('forwarded_to', 64);
    t.string('trunk', 100);
    t.bigInteger('started_at').notNullable(); // INVITE received
    t.bigInteger('ringing_at'); // first 180/183 from the target
    t.bigInteger('answered_at');
    t.bigInteger('ended_at');
    // ringing | answered (also while talking) | busy | no-answer | canceled | failed | rejected
    t.string('status', 16).notNullable();
    t.integer('sip_code');
    t.string('hangup_by', 8); // caller | callee | system
    t.double('ring_seconds');
    t.double('talk_seconds');
    // Attribution snapshot, copied at INVITE time so later config or visit pruning cannot change history.
    t.string('attribution_type', 16); // static | dynamic | fallback | unattributed | unknown
    t.string('pool_name', 100);
    t.string('visit_id', 36);
    t.boolean('late').notNullable().defaultTo(false);
    t.string('source', 255);
    t.string('medium', 255);
    t.string('campaign', 255);
    t.string('term', 255);
    t.string('content', 255);
    t.text('referrer');
    t.text('landing_page');
    t.string('ga_client_id', 100);
    t.string('ym_client_id', 100);
    t.string('gclid', 255);
    t.string('yclid', 255);
    t.boolean('first_call');
    t.boolean('target_call');
    t.text('first_touch'); // JSON: the first call's attribution for a repeat caller
    t.text('tags').notNullable().defaultTo('[]');
    t.text('note');
    t.double('deal_value');
    t.string('recording_status', 16); // null | recording | saved | unavailable | pruned | missing
    t.text('recording_error');
    t.text('recording_path');
    t.bigInteger('recording_size');
    t.double('recording_duration');
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['started_at']);
    t.index(['tracking_number', 'started_at']);
    t.index(['caller_number', 'started_at']);
    t.index(['status', 'started_at']);
    t.index(['visit_id']);
  });

  // Transactional outbox: an event is written with the call update and delivered later,
  // so a slow CRM never delays a call and nothing is lost across restarts.
  await knex.schema.createTable('webhook_outbox', (t) => {
    t.increments('id').primary();
    t.string('event_id', 36).notNullable().unique();
    t.string('target', 100).notNullable(); // webhook name, or ga4
    t.string('event_type', 40).notNullable();
    t.string('call_id', 36);
    t.text('payload').notNullable();
    t.string('status', 12).notNullable(); // pending | delivered | failed
    t.integer('attempts').notNullable().defaultTo(0);
    t.bigInteger('next_attempt_at').notNullable();
    t.bigInteger('last_attempt_at');
    t.integer('last_status');
    t.text('last_error');
    t.bigInteger('delivered_at');
    t.bigInteger('created_at').notNullable();
    t.index(['status', 'next_attempt_at']);
    t.index(['call_id', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'webhook_outbox',
    'calls',
    'pool_events',
    'number_holds',
    'visit_pages',
    'visits',
    'tracking_number_changes',
    'tracking_numbers',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
