import { EventEmitter } from 'node:events';
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import { classifyTargetFailure, type AttemptOutcome } from './sip-errors.js';

/**
 * "The caller hung up" (or calltrack is shutting down) as a flag plus listeners, so every
 * await in a call session can check it afterwards and the dialer can CANCEL the target the
 * moment it happens. Registered on req 'cancel' before the first await (drachtio-srf#113:
 * a CANCEL that arrives during a lookup is otherwise lost).
 */
export class CancelSignal {
  private fired: 'caller' | 'system' | undefined;
  private readonly listeners = new Set<() => void>();

  get canceled(): boolean {
    return this.fired !== undefined;
  }

  get by(): 'caller' | 'system' | undefined {
    return this.fired;
  }

  fire(by: 'caller' | 'system'): void {
    if (this.fired) return;
    this.fired = by;
    for (const listener of [...this.listeners]) listener();
  }

  /** Runs `listener` on cancel (at once if already canceled); returns an unsubscribe. */
  onCancel(listener: () => void): () => void {
    if (this.fired) {
      listener();
      return () => undefined;
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export interface DialRequest {
  srf: Srf;
  uri: string;
  opts: Srf.UacOptions;
  ringTimeoutMs: number;
  cancel: CancelSignal;
  onProvisional(res: Srf.SrfResponse): void;
  logger: Logger;
}

export interface DialResult {
  outcome: AttemptOutcome;
  /** Answered, early offer: the target's dialog (its 200 ACKed). */
  dialog?: Srf.Dialog;
  /** Answered, late offer: the target's 200 carries its offer and waits for our ACK with the answer. */
  lateOffer?: Srf.LateOfferAnswer;
}

/**
 * One forwarding attempt: INVITE the target, CANCEL it when the ring timer fires or the caller
 * gives up, and settle every race so no leg is left behind:
 * - caller CANCEL before our INVITE went out: the CANCEL is sent as soon as drachtio confirms
 *   the INVITE (a CANCEL needs the INVITE's transaction);
 * - target 200 racing our CANCEL: the 200 wins at the target, so we BYE the fresh dialog
 *   when the caller is gone; when only the ring timer fired, the target answered in time and
 *   the call goes on.
 * An INVITE without SDP (the caller made a late offer) goes out without SDP too; the target's 200
 * then carries the offer and is left un-ACKed (`noAck`): the ACK must carry the caller's answer,
 * which only arrives in the caller's ACK (see late-offer.ts).
 */
export async function dialTarget(r: DialRequest): Promise<DialResult> {
  let invite: Srf.SrfRequest | undefined;
  let cancelSent = false;
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;

  const sendCancel = (why: string) => {
    if (!invite || cancelSent) return;
    cancelSent = true;
    try {
      invite.cancel({ headers: { Reason: `SIP;cause=487;text="${why}"` } });
    } catch (err) {
      r.logger.warn({ err: errorMessage(err), target: r.uri }, 'could not CANCEL the forward');
    }
  };
  const unsubscribe = r.cancel.onCancel(() => sendCancel(r.cancel.by === 'system' ? 'shutting down' : 'caller hung up'));

  const lateOffer = !r.opts.localSdp;
  try {
    const leg = await r.srf.createUAC(r.uri, { ...r.opts, noAck: true }, {
      cbRequest: (err, req) => {
        if (err) return;
        invite = req;
        timer = setTimeout(() => {
          timedOut = true;
          r.logger.info({ target: r.uri, ringTimeoutMs: r.ringTimeoutMs }, 'ring timeout: cancelling the forward');
          sendCancel('ring timeout');
        }, r.ringTimeoutMs);
        if (r.cancel.canceled) sendCancel('caller hung up');
      },
      cbProvisional: (res) => {
        try {
          r.onProvisional(res);
        } catch (err) {
          r.logger.warn({ err: errorMessage(err) }, 'relaying a provisional response failed');
        }
      },
    });
    if (r.cancel.canceled) {
      r.logger.info({ target: r.uri }, 'target answered as the caller hung up: ending the target leg');
      // A late-offer leg is ACKed with the target's own SDP, then BYEd (srf.js destroy()).
      await leg.destroy().catch((err: unknown) => r.logger.warn({ err: errorMessage(err) }, 'BYE to the target failed'));
      return { outcome: { kind: 'canceled' } };
    }
    if (!isDialog(leg)) return { outcome: { kind: 'answered' }, lateOffer: leg };
    if (lateOffer && !leg.remote.sdp) {
      // RFC 3264: the 200 to an offerless INVITE must carry the offer. Without one there is no
      // media to set up; the library has ACKed it already, so end it and try the next target.
      r.logger.warn({ target: r.uri }, 'the target answered an INVITE without SDP with a 200 without SDP (no offer): ending that leg');
      await leg.destroy().catch((err: unknown) => r.logger.warn({ err: errorMessage(err) }, 'BYE to the target failed'));
      return { outcome: { kind: 'failed', status: 502, reason: 'target answered without SDP' } };
    }
    return { outcome: { kind: 'answered' }, dialog: leg };
  } catch (err) {
    if (r.cancel.canceled) return { outcome: { kind: 'canceled' } };
    const status = sipStatusOf(err);
    if (status !== undefined) return { outcome: classifyTargetFailure(status, timedOut, reasonOf(err)) };
    r.logger.warn({ err: errorMessage(err), target: r.uri }, 'forward failed before reaching the target');
    return { outcome: { kind: 'failed', status: 503, reason: errorMessage(err) } };
  } finally {
    clearTimeout(timer);
    unsubscribe();
  }
}

/** What answered in the end (or why nothing did), and which target it was. */
export type DialInTurnResult = DialResult & { target: string };

/**
 * Dials the forward targets one after the other until one answers or the caller gives up; the
 * last attempt's result. Resolves once every 18x relayed to the caller has gone out, so the
 * caller never sees a 200 overtake the 183 before it.
 */
export async function dialInTurn(
  targets: readonly { number: string; uri: string; opts: Srf.UacOptions }[],
  ctx: Pick<DialRequest, 'srf' | 'ringTimeoutMs' | 'cancel' | 'logger'>,
  provisional: { relay(res: Srf.SrfResponse, target: string): void; settled(): Promise<void> },
): Promise<DialInTurnResult> {
  let last: DialInTurnResult = { outcome: { kind: 'failed', status: 503, reason: 'no forward targets' }, target: '' };
  for (const target of targets) {
    if (ctx.cancel.canceled) return { ...last, outcome: { kind: 'canceled' } };
    ctx.logger.info({ target: target.number, uri: target.uri }, 'forwarding');
    const result = await dialTarget({ ...ctx, uri: target.uri, opts: target.opts, onProvisional: (res) => provisional.relay(res, target.number) });
    last = { ...result, target: target.number };
    if (result.outcome.kind === 'answered' || result.outcome.kind === 'canceled') break;
    ctx.logger.info({ target: target.number, outcome: result.outcome }, 'target did not answer; trying the next one if any');
  }
  await provisional.settled();
  return last;
}

/** createUAC with noAck gives a Dialog (an EventEmitter) or, for a late offer, a plain LateOfferAnswer. */
function isDialog(leg: Srf.Dialog | Srf.LateOfferAnswer): leg is Srf.Dialog {
  return leg instanceof EventEmitter;
}

/** drachtio-srf rejects with SipError{status} for a final response; anything else is local. */
function sipStatusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

function reasonOf(err: unknown): string | undefined {
  const reason = (err as { reason?: unknown } | null)?.reason;
  return typeof reason === 'string' ? reason : undefined;
}
