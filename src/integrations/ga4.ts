import { createHash } from 'node:crypto';
import type { CallRecord } from '../calls/call-record.js';
import { isTargetCall, type TargetCallRules } from '../calls/target-call.js';
import type { CalltrackConfig } from '../config/schema.js';

export const GA4_TARGET = 'ga4';
export const GA4_DEFAULT_ENDPOINT = 'https://www.google-analytics.com/mp/collect';
export const GA4_EVENT_NAME = 'phone_call';

export type Ga4Config = NonNullable<CalltrackConfig['analytics']['ga4']>;

export interface Ga4Payload {
  client_id: string;
  timestamp_micros: number;
  events: { name: typeof GA4_EVENT_NAME; params: Record<string, string | number> }[];
}

/**
 * The Measurement Protocol body for a finished call: the event is stamped with the call's end
 * (GA4 accepts events up to 72 hours old, longer than the outbox retries). Flags are 1/0 so they
 * can be used as metrics as well as dimensions; empty attribution fields are left out.
 */
export function ga4Payload(call: CallRecord, rules: TargetCallRules): Ga4Payload | null {
  if (!call.gaClientId) return null;
  const params: Record<string, string | number> = {};
  for (const key of ['source', 'medium', 'campaign', 'term'] as const) {
    const value = call[key];
    if (value) params[key] = value.slice(0, 100);
  }
  params.status = call.status;
  params.talk_seconds = Math.round(call.talkSeconds ?? 0);
  params.target = isTargetCall(call, rules) ? 1 : 0;
  params.first_call = call.firstCall ? 1 : 0;
  return {
    client_id: call.gaClientId,
    timestamp_micros: (call.endedAt ?? call.startedAt) * 1000,
    events: [{ name: GA4_EVENT_NAME, params }],
  };
}

/** The secret goes in the URL (as Google wants it) and is read from config at send time, never stored in the outbox. */
export function ga4Url(cfg: Ga4Config): string {
  const url = new URL(cfg.endpoint ?? GA4_DEFAULT_ENDPOINT);
  url.searchParams.set('measurement_id', cfg.measurementId);
  url.searchParams.set('api_secret', cfg.apiSecret);
  return url.toString();
}

/** One GA4 hit per call however often it is published (completed and missed): a fixed id the outbox dedupes on. */
export function ga4EventId(callId: string): string {
  const h = createHash('sha256').update(`ga4:${callId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
