import type { CallRecord } from './call-record.js';

export type CallEventType = 'call.started' | 'call.answered' | 'call.completed' | 'call.missed';

/**
 * Where the call path announces what happened to a call (CRM webhooks, GA4). Implementations
 * persist the event (outbox) and deliver later; `publish` must be quick and must never make
 * a call fail: the call path logs a rejection and carries on.
 */
export interface CallEventSink {
  publish(type: CallEventType, call: CallRecord): Promise<void>;
}
