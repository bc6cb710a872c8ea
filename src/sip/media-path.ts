import type { Logger } from 'pino';
import type { CallRecord } from '../calls/call-record.js';
import type { Attribution } from '../tracking/attribution-types.js';

/** The offer for a re-INVITE without SDP, and where the sender's answer goes. */
export interface DelayedOffer {
  offer: string;
  /** The sender's answer from its ACK; undefined when the ACK had none or the call ended first (the session stays as it was). Never rejects. */
  answer(sdp: string | undefined): Promise<void>;
}

/** What the media path reports for the call row when it is released (recording columns). */
export type MediaOutcome = Pick<CallRecord, 'recordingStatus' | 'recordingError' | 'recordingPath' | 'recordingSize' | 'recordingDuration'>;

/** Where the dialled number came from, so per-number / per-pool media settings apply. */
export type MediaRoute = { kind: 'static'; number: string } | { kind: 'pool'; name: string };

/** Per-number / per-pool media settings follow the number the caller dialled. */
export function mediaRouteOf(a: Attribution): MediaRoute | undefined {
  if (a.poolName) return { kind: 'pool', name: a.poolName };
  if (a.type === 'static') return { kind: 'static', number: a.trackingNumber };
  return undefined;
}

/**
 * How the caller's and the target's media meet. The call session is the same with or without
 * FreeSWITCH; only this strategy differs:
 * - signalling only (this file): SDP passes through, media flows end to end;
 * - anchored (the media feature): the caller's offer goes to a FreeSWITCH endpoint, the target
 *   gets FreeSWITCH's offer, the two endpoints are bridged and can be recorded.
 * Every method may be slow (FreeSWITCH round trips) but must not be needed for the call to go on:
 * the media feature falls back to pass-through when FreeSWITCH fails (never drop the caller).
 */
export interface MediaPath {
  /** The SDP offer to send to the target, given the caller's offer. */
  offerForTarget(callerOffer: string): Promise<string>;
  /**
   * The SDP for the caller from the target's SDP: early media (183) or the answer (200).
   * `reofferTarget` re-INVITEs the answered target: an anchored path that fails on answer uses it
   * to point the target straight at the caller (pass-through) instead of failing the call.
   */
  answerForCaller(targetSdp: string, stage: 'early' | 'answer', reofferTarget?: (sdp: string) => Promise<string>): Promise<string>;
  /**
   * Before the target is dialled (after offerForTarget): a recording notice gives the caller early
   * media through `sendEarlyMedia` (183 with SDP) and resolves when it has been played.
   */
  beforeDial?(sendEarlyMedia: (sdp: string) => void): Promise<void>;
  /**
   * Late offer anchored by the media path: the caller's INVITE had no SDP, so `answerForCaller`
   * returned an offer for the caller's 200; this takes the caller's answer from its ACK. Rejects
   * when the media server fails: the path is pass-through from then on.
   */
  callerAnswer?(sdp: string): Promise<void>;
  /** The target rings (180 without SDP) but the caller already has our early media: play ringback. */
  ringback?(): void;
  /** The media server dropped the call's media by itself (crash, media timeout). */
  onMediaLost?(listener: (reason: string) => void): void;
  /**
   * Both legs are up: the place to start recording. Resolves with the recording columns while
   * the call lasts (status 'recording' and the file), so the live row shows the call is recorded.
   */
  connected(): Promise<MediaOutcome | void>;
  /**
   * A re-INVITE from one side. `relay` sends the offer to the other side and resolves with its
   * answer; pass-through uses it, an anchored path answers from its own endpoint instead.
   */
  reinvite(from: 'caller' | 'target', offer: string, relay: (sdp: string) => Promise<string>): Promise<string>;
  /**
   * A re-INVITE without SDP from one side (delayed offer): our 200 carries an offer and the
   * sender's answer comes in its ACK. `relay` re-INVITEs the other side without SDP and hands
   * back its offer; pass-through uses it, an anchored path offers its own endpoint's SDP.
   */
  offerlessReinvite(from: 'caller' | 'target', relay: () => Promise<DelayedOffer>): Promise<DelayedOffer>;
  /** The call is over (any way): free what was allocated; the recording columns, if any. Must not throw. */
  release(): Promise<MediaOutcome | void>;
}

export interface MediaPathFactory {
  create(ctx: { callId: string; logger: Logger; route?: MediaRoute; startedAt: number }): MediaPath;
}

/** Media flows directly between the trunk and the target; calltrack only sees signalling. */
export class PassThroughMedia implements MediaPath {
  async offerForTarget(callerOffer: string): Promise<string> {
    return callerOffer;
  }

  async answerForCaller(targetSdp: string): Promise<string> {
    return targetSdp;
  }

  async connected(): Promise<void> {}

  reinvite(_from: 'caller' | 'target', offer: string, relay: (sdp: string) => Promise<string>): Promise<string> {
    return relay(offer);
  }

  offerlessReinvite(_from: 'caller' | 'target', relay: () => Promise<DelayedOffer>): Promise<DelayedOffer> {
    return relay();
  }

  async release(): Promise<void> {}
}

export const passThroughMedia: MediaPathFactory = { create: () => new PassThroughMedia() };
