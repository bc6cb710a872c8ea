import type { Logger } from 'pino';

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
  /** The SDP for the caller from the target's SDP: early media (183) or the answer (200). */
  answerForCaller(targetSdp: string, stage: 'early' | 'answer'): Promise<string>;
  /** Both legs are up: the place to start recording. */
  connected(): Promise<void>;
  /**
   * A re-INVITE from one side. `relay` sends the offer to the other side and resolves with its
   * answer; pass-through uses it, an anchored path answers from its own endpoint instead.
   */
  reinvite(from: 'caller' | 'target', offer: string, relay: (sdp: string) => Promise<string>): Promise<string>;
  /** The call is over (any way): free what was allocated. Must not throw. */
  release(): Promise<void>;
}

export interface MediaPathFactory {
  create(ctx: { callId: string; logger: Logger }): MediaPath;
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

  async release(): Promise<void> {}
}

export const passThroughMedia: MediaPathFactory = { create: () => new PassThroughMedia() };
