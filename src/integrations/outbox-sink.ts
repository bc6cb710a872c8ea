import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { CallEventSink, CallEventType } from '../calls/call-events.js';
import { callToJson } from '../calls/call-json.js';
import type { CallRecord } from '../calls/call-record.js';
import { isTargetCall, targetCallRules } from '../calls/target-call.js';
import type { Clock } from '../clock.js';
import type { CalltrackConfig } from '../config/schema.js';
import { webhookTargetName } from './delivery-targets.js';
import { GA4_TARGET, ga4EventId, ga4Payload } from './ga4.js';
import type { NewOutboxEntry, OutboxStore } from './outbox-store.js';

/** The body every webhook receives. */
export interface WebhookEvent {
  /** Unique per delivery target; receivers dedupe on it (delivery is at least once). */
  id: string;
  type: CallEventType;
  /** When it happened (ISO 8601, UTC). */
  time: string;
  call: ReturnType<typeof callToJson>;
}

/**
 * The call path's CallEventSink: `publish` writes one outbox row per interested receiver (each
 * webhook subscribed to the event; GA4 for a finished call with a GA client id) and returns.
 * Delivery happens later in the OutboxDispatcher, so a slow or dead CRM never delays a call.
 * Pass the call transaction as `q` to write the events atomically with the call update.
 */
export class OutboxCallEventSink implements CallEventSink {
  constructor(
    private readonly db: Knex,
    private readonly store: OutboxStore,
    private readonly config: { readonly current: CalltrackConfig },
    private readonly clock: Clock,
    private readonly retentionMs: number,
    private readonly onQueued: () => void = () => {},
  ) {}

  async publish(type: CallEventType, call: CallRecord, q: Knex | Knex.Transaction = this.db): Promise<void> {
    const entries = this.entriesFor(type, call);
    if (entries.length === 0) return;
    await this.store.enqueue(q, entries, this.clock.now(), this.retentionMs);
    // Inside a caller's transaction the rows are not visible until it commits; the next poll finds them.
    if (q === this.db) this.onQueued();
  }

  entriesFor(type: CallEventType, call: CallRecord): NewOutboxEntry[] {
    const cfg = this.config.current;
    const rules = targetCallRules(cfg);
    const entries: NewOutboxEntry[] = [];
    const hooks = cfg.webhooks.filter((h) => !h.events || h.events.includes(type));
    if (hooks.length > 0) {
      const call_ = callToJson(call, { publicUrl: cfg.http.publicUrl, targetCall: isTargetCall(call, rules) });
      const time = new Date(this.clock.now()).toISOString();
      for (const hook of hooks) {
        const event: WebhookEvent = { id: randomUUID(), type, time, call: call_ };
        entries.push({ eventId: event.id, target: webhookTargetName(hook), eventType: type, callId: call.id, payload: JSON.stringify(event) });
      }
    }
    if ((type === 'call.completed' || type === 'call.missed') && cfg.analytics.ga4) {
      const payload = ga4Payload(call, rules);
      if (payload) {
        entries.push({ eventId: ga4EventId(call.id), target: GA4_TARGET, eventType: 'phone_call', callId: call.id, payload: JSON.stringify(payload) });
      }
    }
    return entries;
  }
}
