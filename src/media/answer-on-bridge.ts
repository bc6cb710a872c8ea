import type { Logger } from 'pino';
import type { CallRecord } from '../calls/call-record.js';
import { errorMessage } from '../errors.js';
import type { MediaEndpoint, MediaPort } from './media-port.js';
import type { MediaPolicy, RecordingDirs } from './media-policy.js';
import { prepareRecordingDir, readRecordingInfo, recordingLocation, type RecordingLocation } from './recording-files.js';
import { dialFailureStatus, type CalleeLeg, type CallerLeg, type Provisional } from './sip-legs.js';
import type { Timers } from './timers.js';

/** G.711 only: what the drachtio_mrf profile offers and every carrier accepts. */
const CODECS = ['PCMU', 'PCMA'];
/** Russian/European ringback (425 Hz, 1 s on, 4 s off), for a caller already given early media by a notice. */
const RINGBACK = 'tone_stream://%(1000,4000,425);loop=-1';

export type ForwardOutcome =
  /** Nothing was sent to the callee yet: connect the call as a plain B2BUA, unrecorded. */
  | { kind: 'plain'; reason: string }
  /** Both parties talk. `anchored` is false after a mid-setup failure re-pointed the callee at the caller. */
  | { kind: 'answered'; anchored: boolean }
  /** The callee gave a final non-2xx (or never answered): send `status` to the caller. */
  | { kind: 'failed'; status: number; disposition: 'busy' | 'no-answer' | 'failed' }
  /** The caller gave up; the callee was cancelled or hung up. Nothing more to send. */
  | { kind: 'canceled' };

export type RecordingOutcome = Pick<
  CallRecord,
  'recordingStatus' | 'recordingError' | 'recordingPath' | 'recordingSize' | 'recordingDuration'
>;

export interface AnswerOnBridgeDeps {
  port: MediaPort;
  dirs: RecordingDirs;
  timers: Timers;
  logger: Logger;
}

export interface AnswerOnBridgeCall {
  /** calltrack's call id: names the recording file. */
  callId: string;
  startedAt: number;
  policy: MediaPolicy;
  ringTimeoutMs: number;
}

/**
 * One call's media, anchored in FreeSWITCH, with the caller answered only when the callee
 * answers (billing starts when a person answers, as without calltrack):
 * caller endpoint from the caller's offer, 3pcc endpoint offered to the callee, 18x relayed
 * (early media bridged), on answer: whisper to the callee, bridge, 200 to the caller, record.
 * FreeSWITCH failing before the callee is dialled yields `plain`; failing after the callee
 * answered re-points the callee at the caller's media. The call session owns both dialogs and
 * calls release() exactly when the call ends, whatever happened.
 */
export class AnswerOnBridgeFlow {
  private epA: MediaEndpoint | undefined;
  private epB: MediaEndpoint | undefined;
  private canceled = false;
  private dialing = false;
  private ringTimedOut = false;
  private earlyMediaSent = false;
  private ringbackPlaying = false;
  private lastCalleeSdp: string | undefined;
  private bridged = false;
  private queue: Promise<void> = Promise.resolve();
  private unavailable: string | undefined;
  private location: RecordingLocation | undefined;
  private released: Promise<RecordingOutcome> | undefined;
  private readonly mediaLost: ((reason: string) => void)[] = [];

  constructor(
    private readonly deps: AnswerOnBridgeDeps,
    private readonly call: AnswerOnBridgeCall,
  ) {}

  /** Called if FreeSWITCH drops a channel of this call after it was set up. */
  onMediaLost(listener: (reason: string) => void): void {
    this.mediaLost.push(listener);
  }

  /** The recording columns while the call is up (status 'recording' or 'unavailable'). */
  get recording(): RecordingOutcome {
    if (this.location) return outcome('recording', null, this.location.relative);
    return this.unavailable && this.call.policy.record ? outcome('unavailable', this.unavailable) : outcome(null);
  }

  async connect(caller: CallerLeg, callee: CalleeLeg): Promise<ForwardOutcome> {
    const log = this.deps.logger;
    caller.onCancel(() => {
      this.canceled = true;
      if (this.dialing) callee.cancel('caller-canceled');
    });
    const avail = this.deps.port.availability();
    if (!avail.ok) return this.plain(avail.reason);
    try {
      this.epA = await this.deps.port.createEndpoint({ remoteSdp: caller.offer, codecs: CODECS });
      this.epB = await this.deps.port.createEndpoint({});
    } catch (err) {
      await this.destroyEndpoints();
      return this.plain(errorMessage(err));
    }
    const [epA, epB] = [this.epA, this.epB];
    for (const ep of [epA, epB]) ep.onGone((reason) => this.lost(`FreeSWITCH dropped channel ${ep.id}: ${reason}`));
    if (caller.canceled || this.canceled) return { kind: 'canceled' };

    if (this.call.policy.recordingNotice && this.call.policy.record) {
      this.sendEarlyMedia(caller);
      try {
        await this.deps.port.play(epA, this.call.policy.recordingNotice);
      } catch (err) {
        // Recording without the notice the operator promised callers is not an option.
        this.unavailable = `recording notice could not be played: ${errorMessage(err)}`;
        log.warn({ err: errorMessage(err) }, 'recording notice failed; the call goes on unrecorded');
      }
      if (this.canceled) return { kind: 'canceled' };
    }

    this.dialing = true;
    const ringTimer = this.deps.timers.setTimeout(() => {
      this.ringTimedOut = true;
      callee.cancel('no-answer');
    }, this.call.ringTimeoutMs);
    let answer: { sdp: string };
    try {
      answer = await callee.dial(epB.localSdp, (p) => this.enqueue(() => this.onProvisional(caller, p)));
    } catch (err) {
      if (this.canceled) return { kind: 'canceled' };
      const status = dialFailureStatus(err);
      if (this.ringTimedOut) return { kind: 'failed', status: 480, disposition: 'no-answer' };
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

    try {
      await this.queue;
      await this.connectCallee(epA, epB, answer.sdp);
    } catch (err) {
      return this.reanchor(caller, callee, `FreeSWITCH failed while connecting the answered call: ${errorMessage(err)}`);
    }
    try {
      await caller.answer(epA.localSdp);
    } catch (err) {
      log.info({ err: errorMessage(err) }, 'caller left before the answer reached it; hanging up the callee');
      await callee.hangup();
      return { kind: 'canceled' };
    }
    await this.startRecording(epA);
    return { kind: 'answered', anchored: true };
  }

  /** Stops the recording, destroys both endpoints and reports the recording. Idempotent. */
  release(): Promise<RecordingOutcome> {
    this.released ??= this.doRelease();
    return this.released;
  }

  private async onProvisional(caller: CallerLeg, p: Provisional): Promise<void> {
    if (this.canceled || !this.epA || !this.epB) return;
    if (!p.sdp) {
      if (!this.earlyMediaSent) caller.sendRinging();
      else if (!this.bridged && !this.ringbackPlaying) {
        // The caller already has our SDP (from the notice): it will not ring by itself.
        this.ringbackPlaying = true;
        this.deps.port.play(this.epA, RINGBACK).catch((err: unknown) => this.deps.logger.debug({ err: errorMessage(err) }, 'ringback ended'));
      }
      return;
    }
    try {
      await this.modifyCallee(this.epB, p.sdp);
      await this.deps.port.bridge(this.epA, this.epB);
      this.bridged = true;
      this.sendEarlyMedia(caller);
    } catch (err) {
      // Early media is a nicety; the answer path tries again and falls back if it must.
      this.deps.logger.warn({ err: errorMessage(err), status: p.status }, 'could not relay early media');
      if (!this.earlyMediaSent) caller.sendRinging();
    }
  }

  private async connectCallee(epA: MediaEndpoint, epB: MediaEndpoint, sdp: string): Promise<void> {
    await this.modifyCallee(epB, sdp);
    if (this.call.policy.whisper) {
      try {
        // Playing on a bridged channel takes it out of the bridge: bridge (again) afterwards.
        await this.deps.port.play(epB, this.call.policy.whisper);
        this.bridged = false;
      } catch (err) {
        this.deps.logger.warn({ err: errorMessage(err) }, 'whisper could not be played; connecting without it');
      }
    }
    if (!this.bridged || this.call.policy.whisper) await this.deps.port.bridge(epA, epB);
    this.bridged = true;
  }

  private async modifyCallee(epB: MediaEndpoint, sdp: string): Promise<void> {
    if (sdp === this.lastCalleeSdp) return;
    await this.deps.port.modify(epB, sdp);
    this.lastCalleeSdp = sdp;
  }

  private async startRecording(epA: MediaEndpoint): Promise<void> {
    const { policy } = this.call;
    if (!policy.record || this.unavailable) return;
    const loc = recordingLocation(this.deps.dirs, this.call.callId, this.call.startedAt);
    try {
      await prepareRecordingDir(loc);
    } catch (err) {
      // FreeSWITCH may still manage (its side of the volume); the file check at the end tells.
      this.deps.logger.warn({ err: errorMessage(err), dir: loc.local }, 'could not create the recording directory');
    }
    try {
      await this.deps.port.startRecording(epA, { path: loc.freeswitch, stereo: policy.stereo });
      this.location = loc;
    } catch (err) {
      this.unavailable = errorMessage(err);
      this.deps.logger.warn({ err: this.unavailable }, 'recording could not be started; the call goes on unrecorded');
    }
  }

  /** FreeSWITCH failed after the callee answered FreeSWITCH's offer: point the callee at the caller instead. */
  private async reanchor(caller: CallerLeg, callee: CalleeLeg, reason: string): Promise<ForwardOutcome> {
    this.deps.logger.warn({ reason }, 'falling back to a plain B2BUA for an answered call');
    this.unavailable = reason;
    await this.destroyEndpoints();
    try {
      const sdp = await callee.reoffer(caller.offer);
      await caller.answer(sdp);
      return { kind: 'answered', anchored: false };
    } catch (err) {
      this.deps.logger.error({ err: errorMessage(err) }, 'could not re-point the callee at the caller; ending the call');
      await callee.hangup().catch((e: unknown) => this.deps.logger.warn({ err: errorMessage(e) }, 'BYE to the callee failed'));
      return this.canceled ? { kind: 'canceled' } : { kind: 'failed', status: 500, disposition: 'failed' };
    }
  }

  private async doRelease(): Promise<RecordingOutcome> {
    const loc = this.location;
    if (loc && this.epA) {
      try {
        await this.deps.port.stopRecording(this.epA, loc.freeswitch);
      } catch (err) {
        // Hanging the channel up closes the file as well.
        this.deps.logger.debug({ err: errorMessage(err) }, 'stop_record_session failed');
      }
    }
    await this.destroyEndpoints();
    if (!loc) return this.recording;
    const info = await readRecordingInfo(loc.local).catch((err: unknown) => {
      this.deps.logger.warn({ err: errorMessage(err), file: loc.local }, 'could not read the recording');
      return undefined;
    });
    if (!info) {
      return outcome('missing', `FreeSWITCH wrote no file at ${loc.freeswitch} (seen by calltrack as ${loc.local}): check that media.recording.dir and freeswitchDir are the same shared directory`, loc.relative);
    }
    const short = info.durationSeconds !== null && info.durationSeconds < this.call.policy.minRecordingSeconds;
    const note = short ? `shorter than recording.minSeconds (${this.call.policy.minRecordingSeconds} s); kept because the call was answered` : null;
    return { ...outcome('saved', note, loc.relative), recordingSize: info.size, recordingDuration: info.durationSeconds };
  }

  private async destroyEndpoints(): Promise<void> {
    const eps = [this.epA, this.epB].filter((e): e is MediaEndpoint => e !== undefined);
    this.epA = undefined;
    this.epB = undefined;
    await Promise.all(eps.map((ep) => this.deps.port.destroy(ep)));
  }

  private plain(reason: string): ForwardOutcome {
    this.unavailable = reason;
    this.deps.logger.warn({ reason }, 'media unavailable: forwarding without FreeSWITCH');
    return { kind: 'plain', reason };
  }

  private sendEarlyMedia(caller: CallerLeg): void {
    if (this.earlyMediaSent || !this.epA) return;
    this.earlyMediaSent = true;
    caller.sendEarlyMedia(this.epA.localSdp);
  }

  private enqueue(step: () => Promise<void>): void {
    this.queue = this.queue.then(step, step);
  }

  private lost(reason: string): void {
    if (this.released || this.epA === undefined) return;
    if (this.location) this.unavailable = reason;
    for (const l of this.mediaLost) l(reason);
  }
}

function outcome(status: RecordingOutcome['recordingStatus'], error: string | null = null, path: string | null = null): RecordingOutcome {
  return { recordingStatus: status, recordingError: error, recordingPath: path, recordingSize: null, recordingDuration: null };
}
