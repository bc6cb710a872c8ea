import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { CallEventSink, CallEventType } from '../calls/call-events.js';
import { callToJson, type CallJson } from '../calls/call-json.js';
import type { CallRecord } from '../calls/call-record.js';
import { isTargetCall, targetCallRules } from '../calls/target-call.js';
import type { Clock } from '../clock.js';
import type { CalltrackConfig } from '../config/schema.js';
import { webhookTargetName } from './delivery-targets.js';
import { GA4_TARGET, ga4EventId, ga4Payload } from './ga4.js';
import { METRICA_EVENT_TYPE, METRICA_TARGET, metricaEventId, metricaPayload } from './metrica.js';
import type { NewOutboxEntry, OutboxStore } from './outbox-store.js';

/** The body every webhook receives. */
export interface WebhookEvent {
  /** Unique per delivery target; receivers dedupe on it (delivery is at least once). */
  id: string;
  type: CallEventType;
  /** When it happened (ISO 8601, UTC). */
  time: string;
  call: WebhookCall;
}

/**
 * The admin API's call object; for a webhook with `recordingLinkDays`, `recording.signedUrl`
 * too: a link that plays without the admin token until it expires (null without a recording).
 */
export type WebhookCall = CallJson & { recording: CallJson['recording'] & { signedUrl?: string | null } };

/** Mints an absolute signed recording link valid for `ttlMs` (see web/recording-links.ts). */
export type RecordingLinkMaker = (callId: string, ttlMs: number) => string;

export interface OutboxSinkOptions {
  /** How long an undelivered event is kept (the dispatcher's give-up age). */
  retentionMs: number;
  /** Called after events were queued outside a transaction: wakes the dispatcher. */
  onQueued?: () => void;
  recordingLinks?: RecordingLinkMaker;
}

/**
 * The call path's CallEventSink: `publish` writes one outbox row per interested receiver (each
 * webhook subscribed to the event; GA4 for a finished call with a GA client id; Metrica for one
 * with a Metrica ClientID or a Yandex Direct yclid) and returns.
 * Delivery happens later in the OutboxDispatcher, so a slow or dead CRM never delays a call.
 * Pass the call transaction as `q` to write the events atomically with the call update.
 */
export class OutboxCallEventSink implements CallEventSink {
  constructor(
    private readonly db: Knex,
    private readonly store: OutboxStore,
    private readonly config: { readonly current: CalltrackConfig },
    private readonly clock: Clock,
    private readonly options: OutboxSinkOptions,
  ) {}

  async publish(type: CallEventType, call: CallRecord, q: Knex | Knex.Transaction = this.db): Promise<void> {
    const entries = this.entriesFor(type, call);
    if (entries.length === 0) return;
    await this.store.enqueue(q, entries, this.clock.now(), this.options.retentionMs);
    // Inside a caller's transaction the rows are not visible until it commits; the next poll finds them.
    if (q === this.db) this.options.onQueued?.();
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
        const event: WebhookEvent = { id: randomUUID(), type, time, call: this.withSignedLink(call_, hook.recordingLinkDays) };
        entries.push({ eventId: event.id, target: webhookTargetName(hook), eventType: type, callId: call.id, payload: JSON.stringify(event) });
      }
    }
    const finished = type === 'call.completed' || type === 'call.missed';
    if (finished && cfg.analytics.ga4) {
      const payload = ga4Payload(call, rules);
      if (payload) {
        entries.push({ eventId: ga4EventId(call.id), target: GA4_TARGET, eventType: 'phone_call', callId: call.id, payload: JSON.stringify(payload) });
      }
    }
    if (finished && cfg.analytics.metrica) {
      const upload = metricaPayload(call);
      if (upload) {
        entries.push({ eventId: metricaEventId(call.id), target: METRICA_TARGET, eventType: METRICA_EVENT_TYPE, callId: call.id, payload: JSON.stringify(upload) });
      }
    }
    return entries;
  }

  /**
   * The link is minted when the event is queued and lives `days` from then: long enough to
   * outlast the outbox's retries and a CRM that fetches the file later. Only a call whose
   * recording is saved gets one (`call.completed`); every other event carries null.
   */
  private withSignedLink(call: CallJson, days: number | undefined): WebhookCall {
    if (days === undefined) return call;
    const make = this.options.recordingLinks;
    let signedUrl: string | null = null;
    try {
      if (make && call.recording.status === 'saved') signedUrl = make(call.id, days * 86_400_000);
    } catch {
      // No admin token to sign with (config check requires one): the event goes out without the link.
    }
    return { ...call, recording: { ...call.recording, signedUrl } };
  }
}
