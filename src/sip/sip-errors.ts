import type { CallStatus, HangupSide } from '../calls/call-record.js';
import { AppError } from '../errors.js';

/** A final response we send to the caller. */
export interface SipReply {
  status: number;
  reason?: string;
  headers?: Record<string, string>;
}

/**
 * The one place where outcomes become SIP responses and SIP responses become dispositions.
 * Keeping both directions here means the code the caller hears and the status in the call row
 * cannot drift apart.
 */
export function sipReplyForError(err: unknown): SipReply {
  if (err instanceof AppError) {
    switch (err.kind) {
      case 'forbidden':
      case 'unauthorized':
        return { status: 403, reason: 'Forbidden' };
      case 'not-found':
        return { status: 404, reason: 'Not Found' };
      case 'invalid-input':
        return { status: 400, reason: 'Bad Request' };
      case 'unavailable':
        return { status: 503, reason: 'Service Unavailable', headers: { 'Retry-After': '30' } };
      default:
        return { status: 500, reason: 'Server Internal Error' };
    }
  }
  return { status: 500, reason: 'Server Internal Error' };
}

export const REPLY_UNTRUSTED: SipReply = { status: 403, reason: 'Forbidden' };
export const REPLY_UNKNOWN_NUMBER: SipReply = { status: 404, reason: 'Not Found' };
export const REPLY_NO_ANSWER: SipReply = { status: 480, reason: 'Temporarily Unavailable' };
export const REPLY_BUSY: SipReply = { status: 486, reason: 'Busy Here' };

/** While draining, carriers should retry on another node (or after the restart). */
export function replyShuttingDown(retryAfterSeconds: number): SipReply {
  return { status: 503, reason: 'Service Unavailable', headers: { 'Retry-After': String(Math.max(1, retryAfterSeconds)) } };
}

/** How one forwarding attempt ended, before failover decides what happens next. */
export type AttemptOutcome =
  | { kind: 'answered' }
  | { kind: 'no-answer'; status: number } // our ring timer fired (487 after our CANCEL), or 408/480
  | { kind: 'busy'; status: number } // 486, 600
  | { kind: 'failed'; status: number; reason?: string } // anything else, incl. transport errors (503)
  | { kind: 'canceled' }; // the caller hung up first

/** Disposition of a final response from the target. `timedOut`: we sent the CANCEL because of the ring timer. */
export function classifyTargetFailure(status: number, timedOut: boolean, reason?: string): AttemptOutcome {
  if (timedOut && status === 487) return { kind: 'no-answer', status: 480 };
  if (status === 408 || status === 480) return { kind: 'no-answer', status };
  if (status === 486 || status === 600) return { kind: 'busy', status };
  return { kind: 'failed', status, ...(reason ? { reason } : {}) };
}

/** What the caller is told when every target has been tried. */
export function replyForFinalOutcome(outcome: AttemptOutcome): SipReply {
  switch (outcome.kind) {
    case 'busy':
      return REPLY_BUSY;
    case 'no-answer':
      return REPLY_NO_ANSWER;
    case 'failed':
      // A 4xx/6xx from the target says something about the number: pass it on. A 5xx is about
      // the target's server, not the call: the caller's carrier should not retry us, so 503
      // without Retry-After would invite retries; 502 says "the next hop failed".
      if (outcome.status >= 400 && outcome.status < 500 && outcome.status !== 487) return { status: outcome.status };
      if (outcome.status >= 600) return { status: outcome.status };
      return { status: 502, reason: 'Bad Gateway' };
    default:
      return { status: 500, reason: 'Server Internal Error' };
  }
}

/** The row's status and hangup side for a call that ended without being answered. */
export function dispositionFor(outcome: AttemptOutcome): { status: CallStatus; hangupBy: HangupSide } {
  switch (outcome.kind) {
    case 'answered':
      return { status: 'answered', hangupBy: 'caller' };
    case 'canceled':
      return { status: 'canceled', hangupBy: 'caller' };
    case 'busy':
      return { status: 'busy', hangupBy: 'callee' };
    case 'no-answer':
      return { status: 'no-answer', hangupBy: 'system' };
    case 'failed':
      return { status: 'failed', hangupBy: 'system' };
  }
}
