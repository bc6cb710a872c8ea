import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import { AnchoredMediaPath, type AnchoredCall, type RecordingOutcome } from './anchored-media-path.js';
import type { RecordingDirs } from './media-policy.js';
import type { MediaPort, Timers } from './media-port.js';

export type { RecordingOutcome };

export type ForwardOutcome =
  /** FreeSWITCH could not be used and nothing was sent to the callee yet: forward as a plain B2BUA, unrecorded. */
  | { kind: 'plain'; reason: string }
  /** Both parties talk. `anchored` is false after a mid-setup failure re-pointed the callee at the caller. */
  | { kind: 'answered'; anchored: boolean }
  /** The callee gave a final non-2xx (or never answered): send `status` to the caller. */
  | { kind: 'failed'; status: number; disposition: 'busy' | 'no-answer' | 'failed' }
  /** The caller gave up; the callee was cancelled or hung up. Nothing more to send. */
  | { kind: 'canceled' };

export interface AnswerOnBridgeDeps {
  port: MediaPort;
  dirs: RecordingDirs;
  timers: Timers;
  logger: Logger;
}

export interface AnswerOnBridgeCall extends AnchoredCall {
  ringTimeoutMs: number;
}

/**
 * The whole answer-on-bridge forward of one call over two SIP legs, with media anchored in
 * FreeSWITCH (AnchoredMediaPath): the caller is answered only when the callee answers (billing
 * starts when a person answers, as without calltrack); 180 relayed, the callee's 183 bridged as
 * early media; on answer: whisper to the callee, bridge, 200 to the caller, then recording.
 * A CallSession that drives its own legs uses AnchoredMediaPath directly instead; this is the
 * same sequence in one place, and what the flow tests exercise. release() ends the media side.
 */
export class AnswerOnBridgeFlow {
  readonly media: AnchoredMediaPath;
  private canceled = false;
  private dialing = false;
  private ringTimedOut = false;
  private earlyMediaSent = false;
  /** A 183 with SDP arrived (its relay may still be in flight): later 18x without SDP are not relayed as 180. */
  private earlyMediaSeen = false;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: AnswerOnBridgeDeps,
    private readonly call: AnswerOnBridgeCall,
  ) {
    this.media = new AnchoredMediaPath({ port: deps.port, dirs: deps.dirs, logger: deps.logger }, call);
  }

  onMediaLost(listener: (reason: string) => void): void {
    this.media.onMediaLost(listener);
  }

  get recording(): RecordingOutcome {
    return this.media.recording;
  }

  async connect(caller: CallerLeg, callee: CalleeLeg): Promise<ForwardOutcome> {
    caller.onCancel(() => {
      this.canceled = true;
      if (this.dialing) callee.cancel('caller-canceled');
    });
    const offer = await this.media.offerForTarget(caller.offer);
    if (!this.media.anchored) return { kind: 'plain', reason: this.media.recording.recordingError ?? 'FreeSWITCH unavailable' };
    if (caller.canceled || this.canceled) return { kind: 'canceled' };
    await this.media.beforeDial((sdp) => {
      this.earlyMediaSent = true;
      caller.sendEarlyMedia(sdp);
    });
    if (this.canceled) return { kind: 'canceled' };

    this.dialing = true;
    const ringTimer = this.deps.timers.setTimeout(() => {
      this.ringTimedOut = true;
      callee.cancel('no-answer');
    }, this.call.ringTimeoutMs);
    let answer: { sdp: string };
    try {
      answer = await callee.dial(offer, (p) => this.onProvisional(caller, p));
    } catch (err) {
      if (this.canceled) return { kind: 'canceled' };
      if (this.ringTimedOut) return { kind: 'failed', status: 480, disposition: 'no-answer' };
      const status = dialFailureStatus(err);
      const disposition = status === 486 || status === 600 ? 'busy' : [408, 480, 487].includes(status) ? 'no-answer' : 'failed';
      return { kind: 'failed', status, disposition };
    } finally {
      this.dialing = false;
      this.deps.timers.clearTimeout(ringTimer);
    }
    if (this.canceled) {
      // The callee's 200 crossed the caller's CANCEL.
      await callee.hangup();
      return { kind: 'canceled' };
    }

    let callerSdp: string;
    try {
      await this.queue;
      callerSdp = await this.media.answerForCaller(answer.sdp, 'answer', (sdp) => callee.reoffer(sdp));
    } catch (err) {
      this.deps.logger.error({ err: errorMessage(err) }, 'could not connect the answered callee; ending the call');
      await callee.hangup().catch((e: unknown) => this.deps.logger.warn({ err: errorMessage(e) }, 'BYE to the callee failed'));
      return { kind: 'failed', status: 500, disposition: 'failed' };
    }
    try {
      await caller.answer(callerSdp);
    } catch (err) {
      this.deps.logger.info({ err: errorMessage(err) }, 'caller left before the answer reached it; hanging up the callee');
      await callee.hangup();
      return { kind: 'canceled' };
    }
    await this.media.connected();
    return { kind: 'answered', anchored: this.media.anchored };
  }

  /** Stops the recording, destroys both endpoints and reports the recording. Idempotent. */
  release(): Promise<RecordingOutcome> {
    return this.media.release();
  }

  private onProvisional(caller: CallerLeg, p: Provisional): void {
    if (this.canceled) return;
    const sdp = p.sdp;
    if (!sdp) {
      if (!this.earlyMediaSent && !this.earlyMediaSeen) caller.sendRinging();
      else if (this.earlyMediaSent) this.media.ringback();
      return;
    }
    this.earlyMediaSeen = true;
    this.queue = this.queue.then(async () => {
      try {
        const callerSdp = await this.media.answerForCaller(sdp, 'early');
        if (!this.earlyMediaSent) {
          this.earlyMediaSent = true;
          caller.sendEarlyMedia(callerSdp);
        }
      } catch (err) {
        // Early media is a nicety; the answer tries again and falls back if it must.
        this.deps.logger.warn({ err: errorMessage(err), status: p.status }, 'could not relay early media');
        if (!this.earlyMediaSent) caller.sendRinging();
      }
    });
  }
}

/**
 * The two SIP legs as the media flow needs them. The SIP call session implements these over
 * drachtio-srf (req/res for the caller, createUAC for the callee); tests implement them in memory.
 */
export interface CallerLeg {
  /** The caller's SDP offer (INVITE body). */
  readonly offer: string;
  /** True once the caller's CANCEL arrived (drachtio-server has already answered it and sent 487). */
  readonly canceled: boolean;
  /** Register before any await: a CANCEL during an await is otherwise lost. */
  onCancel(listener: () => void): void;
  /** 180 without SDP. */
  sendRinging(): void;
  /** 183 with SDP (the caller's FreeSWITCH endpoint): what the caller hears before the answer. */
  sendEarlyMedia(sdp: string): void;
  /** 200 with SDP (drachtio-srf createUAS). Rejects if the caller is gone meanwhile. */
  answer(sdp: string): Promise<void>;
}

export interface Provisional {
  status: number;
  sdp?: string;
}

/** A final non-2xx from the callee, as drachtio-srf's SipError carries it. */
export interface DialFailure {
  status: number;
  reason?: string;
}

export interface CalleeLeg {
  /**
   * Sends the INVITE with `offer` as its SDP; resolves with the callee's answer SDP on 200,
   * rejects with a DialFailure-like error (`status`) on a final non-2xx or after cancel().
   */
  dial(offer: string, onProvisional: (p: Provisional) => void): Promise<{ sdp: string }>;
  /** CANCEL while ringing (no-op once answered or failed). */
  cancel(reason: 'caller-canceled' | 'no-answer'): void;
  /** Re-INVITE the answered callee with a new offer; resolves with its answer SDP. */
  reoffer(sdp: string): Promise<string>;
  /** BYE to an answered callee. */
  hangup(): Promise<void>;
}

export function dialFailureStatus(err: unknown): number {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 300 && status < 700 ? status : 500;
}
