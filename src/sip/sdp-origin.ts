import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import { reinvite } from './dialog-modify.js';

/**
 * Keeps one SDP origin (`o=` line) on a leg whose media source changes under it.
 *
 * A caller that got early media from one target (a 183 with that target's SDP) has that SDP
 * as the answer of its session: RFC 3261 §13.2.1 lets the 200 carry no other, and RFC 3264 §8
 * says every later SDP of the session keeps the origin's username and session id with a higher
 * version. When a second target answers after failover, calltrack answers the caller with the
 * early SDP and then re-INVITEs it with the new target's media under the same origin, version
 * + 1; every later SDP sent to the caller (re-INVITEs, answers) goes through here too.
 */
export class SdpOrigin {
  private readonly fields: string[];
  private version: bigint;
  /** How many SDPs have gone out under the origin (next() calls). */
  issued = 0;

  constructor(established: string) {
    const line = originLine(established);
    this.fields = line ? line.slice(2).trim().split(/\s+/) : [];
    this.version = this.fields.length === 6 ? parseVersion(this.fields[2]) : 0n;
  }

  /** `sdp` with the kept origin and the next version (unchanged if either SDP has no valid o= line). */
  next(sdp: string): string {
    this.issued++;
    if (this.fields.length !== 6 || originLine(sdp) === undefined) return sdp;
    this.version += 1n;
    const [user, session, , net, addrType, address] = this.fields;
    const origin = `o=${user} ${session} ${this.version} ${net} ${addrType} ${address}`;
    return sdp.replace(/^o=.*$/m, origin);
  }
}

/** True when two SDPs describe the same media (everything but the o= line is equal). */
export function sameMedia(a: string, b: string): boolean {
  const strip = (s: string) => s.replace(/^o=.*$/m, '').replace(/\r\n/g, '\n').trim();
  return strip(a) === strip(b);
}

function originLine(sdp: string): string | undefined {
  return /^o=.*$/m.exec(sdp)?.[0]?.replace(/\r$/, '');
}

function parseVersion(v: string | undefined): bigint {
  try {
    return BigInt(v ?? '0');
  } catch {
    return 0n;
  }
}

/** How long the switch waits for the caller's ACK of our 200 (retransmitted until it comes; 4 s covers several). */
const CALLER_ACK_WAIT_MS = 4_000;

// RFC 3261 14.1: after a 491 the side that did not choose the Call-ID (calltrack, on the
// caller's leg) tries again after a random 0-2 s; a few tries, then the call goes on as it is.
const GLARE_RETRIES = 3;
const GLARE_WAIT_MS = 2_000;

/**
 * The caller was answered with `early` (its early-media answer); the call's media is `sdp`:
 * re-INVITE the caller with it under the early answer's origin, once the caller's ACK is in (a
 * re-INVITE before it may get 491). Runs beside the dialog relay, so a BYE or an in-dialog
 * request from either leg meanwhile is handled as in any answered call. A 491 (the caller's own
 * re-INVITE crossed ours) is retried with the same offer. Nothing is sent when the caller is
 * gone, or when SDP from the answering target already reached it through the relay (a
 * re-INVITE of the target's own carries that target's media). A refusal is logged: the call goes
 * on as it would have without the switch. Never rejects.
 */
export async function moveCallerToNewMedia(caller: Srf.Dialog, origin: SdpOrigin, sdp: string, logger: Logger): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, CALLER_ACK_WAIT_MS);
    caller.once('ack', () => (clearTimeout(timer), resolve()));
  });
  if (!caller.connected || origin.issued > 0) return;
  const offer = origin.next(sdp);
  const ours = origin.issued;
  for (let attempt = 1; ; attempt++) {
    try {
      await reinvite(caller, offer);
      return;
    } catch (err) {
      if (!caller.connected || origin.issued !== ours) return;
      if ((err as { status?: unknown }).status === 491 && attempt < GLARE_RETRIES) {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * GLARE_WAIT_MS));
        continue;
      }
      logger.warn({ err: errorMessage(err), attempts: attempt }, 'the caller refused the new media; the call goes on');
      return;
    }
  }
}
