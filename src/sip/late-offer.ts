import type Srf from 'drachtio-srf';

/**
 * Late offer (RFC 3261 13.2.1, RFC 3264): the caller's INVITE has no SDP, so the target's 200
 * carries the offer, we answer the caller 200 with that offer, and the caller's answer arrives in
 * its ACK. Only then can the target's 200 be ACKed, with that answer; an ACK sent earlier (which is
 * what drachtio-srf does by default) would leave the target without the caller's address: one-way
 * or no audio.
 */

/** RFC 3261 timer H (64 * T1): how long a UAS waits for the ACK to its 200. */
export const ACK_WAIT_MS = 32_000;

export type CallerAnswer =
  | { kind: 'answer'; sdp: string }
  /** The ACK came without SDP: the caller refused (or ignored) the offer; no media can flow. */
  | { kind: 'no-sdp' }
  /** BYE before the ACK (the caller hung up, or drachtio-server gave up waiting for the ACK). */
  | { kind: 'caller-gone' }
  | { kind: 'timeout' }
  /** calltrack ends the call (shutdown) while waiting. */
  | { kind: 'aborted' };

/**
 * Waits for the caller's ACK to the 200 that carried the target's offer. Must be called in the
 * same tick createUAS resolved: the dialog emits 'ack' on a later macrotask (dialog.js handle(),
 * setImmediate), so a listener attached now cannot miss it.
 */
export function waitForCallerAnswer(
  caller: Srf.Dialog,
  opts: { timeoutMs: number; onAbort: (abort: () => void) => () => void },
): Promise<CallerAnswer> {
  return new Promise((resolve) => {
    let settled = false;
    let unsubscribe = () => {};
    const done = (answer: CallerAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      caller.off('ack', onAck);
      caller.off('destroy', onGone);
      unsubscribe();
      resolve(answer);
    };
    const onAck = (ack: Srf.SrfRequest) => done(ack.body ? { kind: 'answer', sdp: ack.body } : { kind: 'no-sdp' });
    const onGone = () => done({ kind: 'caller-gone' });
    caller.on('ack', onAck);
    caller.on('destroy', onGone);
    // Declared before anything can call done() (the abort below may, at once).
    const timer = setTimeout(() => done({ kind: 'timeout' }), opts.timeoutMs);
    // Last: it runs the abort at once when calltrack is already shutting down.
    unsubscribe = opts.onAbort(() => done({ kind: 'aborted' }));
    if (settled) unsubscribe();
  });
}

/** Why a late-offer call could not be connected, for the log line and the BYE's Reason header. */
export function lateOfferFailure(answer: Exclude<CallerAnswer, { kind: 'answer' }>): { why: string; reason: string } {
  switch (answer.kind) {
    case 'no-sdp':
      return {
        why: "the caller's ACK carried no SDP answer to the target's offer (late offer): no media could flow, so both legs are ended",
        reason: 'SIP;cause=488;text="ACK without SDP answer"',
      };
    case 'caller-gone':
      return { why: 'the caller hung up before its ACK arrived (late offer): ending the target leg', reason: 'SIP;cause=487;text="caller hung up"' };
    case 'timeout':
      return { why: `no ACK from the caller within ${ACK_WAIT_MS / 1000} s of its 200 (late offer): ending both legs`, reason: 'SIP;cause=408;text="no ACK from the caller"' };
    case 'aborted':
      return { why: 'calltrack is shutting down: ending a late-offer call before it connected', reason: 'SIP;cause=503;text="shutting down"' };
  }
}
