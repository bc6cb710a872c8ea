import type { CallEventSink, CallEventType } from '../../src/calls/call-events.js';
import type { CallRecord } from '../../src/calls/call-record.js';
import { Watched } from './fake-drachtio/waiters.js';

/** A CallEventSink that keeps what it was given, so tests can wait for "call.completed". */
export class RecordingEventSink implements CallEventSink {
  readonly events = new Watched<{ type: CallEventType; call: CallRecord }>();
  failing = false;

  async publish(type: CallEventType, call: CallRecord): Promise<void> {
    if (this.failing) throw new Error('webhook outbox unavailable');
    this.events.add({ type, call });
  }

  /** The final event (completed or missed) for the call with this SIP Call-ID. */
  async final(sipCallId: string): Promise<{ type: CallEventType; call: CallRecord }> {
    return this.events.find((e) => e.call.sipCallId === sipCallId && (e.type === 'call.completed' || e.type === 'call.missed'), `the final event of ${sipCallId}`, undefined, () =>
      this.events.all.map((e) => `${e.type}:${e.call.sipCallId}`).join(', ') || 'no events',
    );
  }

  typesFor(sipCallId: string): CallEventType[] {
    return this.events.all.filter((e) => e.call.sipCallId === sipCallId).map((e) => e.type);
  }
}
