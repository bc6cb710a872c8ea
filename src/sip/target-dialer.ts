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
  dialog?: Srf.Dialog;
}

/**
 * One forwarding attempt: INVITE the target, CANCEL it when the ring timer fires or the caller
 * gives up, and settle every race so no leg is left behind:
 * - caller CANCEL before our INVITE went out: the CANCEL is sent as soon as drachtio confirms
 *   the INVITE (a CANCEL needs the INVITE's transaction);
 * - target 200 racing our CANCEL: the 200 wins at the target, so we BYE the fresh dialog
 *   when the caller is gone; when only the ring timer fired, the target answered in time and
 *   the call goes on.
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

  try {
    const dialog = await r.srf.createUAC(r.uri, r.opts, {
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
      await dialog.destroy().catch((err: unknown) => r.logger.warn({ err: errorMessage(err) }, 'BYE to the target failed'));
      return { outcome: { kind: 'canceled' } };
    }
    return { outcome: { kind: 'answered' }, dialog };
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

/** drachtio-srf rejects with SipError{status} for a final response; anything else is local. */
function sipStatusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

function reasonOf(err: unknown): string | undefined {
  const reason = (err as { reason?: unknown } | null)?.reason;
  return typeof reason === 'string' ? reason : undefined;
}
