import type { Logger } from 'pino';
import type { CallRecord } from '../calls/call-record.js';
import { errorMessage, MediaUnavailableError } from '../errors.js';
import type { DelayedOffer } from '../sip/media-path.js';
import type { MediaEndpoint, MediaPort } from './media-port.js';
import { needsMedia, type MediaPolicy, type RecordingDirs } from './media-policy.js';
import { prepareRecordingDir, readRecordingInfo, recordingLocation, type RecordingLocation } from './recording-files.js';

/** G.711 only: what the drachtio_mrf profile offers and every carrier accepts. */
const CODECS = ['PCMU', 'PCMA'];

export type RecordingOutcome = Pick<CallRecord, 'recordingStatus' | 'recordingError' | 'recordingPath' | 'recordingSize' | 'recordingDuration'>;

export interface AnchoredCall {
  callId: string;
  startedAt: number;
  policy: MediaPolicy;
}

/**
 * One call's media anchored in FreeSWITCH, step by step as the SIP call session drives it
 * (the shape of the SIP branch's MediaPath: offerForTarget, answerForCaller, connected,
 * reinvite, release). Any FreeSWITCH failure before the target has FreeSWITCH's SDP turns the
 * call into pass-through at once (recording 'unavailable' with the reason); after that, the
 * target is re-pointed at the caller's SDP when the session lets us re-INVITE it.
 */
export class AnchoredMediaPath {
  private epA: MediaEndpoint | undefined;
  private epB: MediaEndpoint | undefined;
  private callerOffer = '';
  /** The caller's INVITE had no SDP: FreeSWITCH offers to the caller too, in its 200 (late offer). */
  private callerOffersLate = false;
  private lastTargetSdp: string | undefined;
  private bridged = false;
  private ringbackPlaying = false;
  private unavailable: string | undefined;
  private location: RecordingLocation | undefined;
  private released: Promise<RecordingOutcome> | undefined;
  private readonly lostListeners: ((reason: string) => void)[] = [];

  constructor(
    private readonly deps: { port: MediaPort; dirs: RecordingDirs; logger: Logger },
    private readonly call: AnchoredCall,
  ) {}

  /** True while both FreeSWITCH endpoints carry the call. */
  get anchored(): boolean {
    return this.epA !== undefined && this.epB !== undefined;
  }

  /** The recording columns as they stand (before release: 'recording', 'unavailable' or null). */
  get recording(): RecordingOutcome {
    if (this.location) return outcome('recording', null, this.location.relative);
    return this.unavailable && this.call.policy.record ? outcome('unavailable', this.unavailable) : outcome(null);
  }

  /** Called if FreeSWITCH drops a channel of this call by itself. */
  onMediaLost(listener: (reason: string) => void): void {
    this.lostListeners.push(listener);
  }

  /**
   * Endpoints for both sides; the target gets FreeSWITCH's offer. Never rejects: falls back to the
   * caller's offer. A late offer (INVITE without SDP) gets two offering (3pcc) endpoints: the
   * caller's 200 will carry its endpoint's offer and its ACK the answer (`callerAnswer`).
   */
  async offerForTarget(callerOffer: string): Promise<string> {
    this.callerOffer = callerOffer;
    if (!needsMedia(this.call.policy)) return callerOffer;
    const avail = this.deps.port.availability();
    if (!avail.ok) return this.passThrough(avail.reason);
    try {
      this.epA = await this.deps.port.createEndpoint(callerOffer ? { remoteSdp: callerOffer, codecs: CODECS } : {});
      this.epB = await this.deps.port.createEndpoint({});
    } catch (err) {
      await this.destroyEndpoints();
      return this.passThrough(errorMessage(err));
    }
    this.callerOffersLate = !callerOffer;
    for (const ep of [this.epA, this.epB]) ep.onGone((reason) => this.lost(`FreeSWITCH dropped channel ${ep.id}: ${reason}`));
    return this.epB.localSdp;
  }

  /**
   * Recording notice: gives the caller early media (183 with our SDP, via `sendEarlyMedia`) and
   * plays the notice before the target is dialled. A notice that fails disables recording.
   */
  async beforeDial(sendEarlyMedia: (sdp: string) => void): Promise<void> {
    // A caller that made no offer cannot take early media without 100rel: its notice plays after its ACK.
    if (!this.epA || !this.hasNotice || this.callerOffersLate) return;
    sendEarlyMedia(this.epA.localSdp);
    await this.playNotice(this.epA);
  }

  /**
   * Late offer: the caller's answer from its ACK to the offer its 200 carried (`answerForCaller`
   * returned its endpoint's SDP). The notice plays, then the caller joins the target. When
   * FreeSWITCH fails here the endpoints are gone and it rejects: the parties must then be pointed
   * at each other by re-INVITEs (the session does).
   */
  async callerAnswer(sdp: string): Promise<void> {
    const [epA, epB] = [this.epA, this.epB];
    if (!epA || !epB) return;
    try {
      await this.deps.port.modify(epA, sdp);
      if (this.hasNotice) await this.playNotice(epA);
      await this.deps.port.bridge(epA, epB);
      this.bridged = true;
    } catch (err) {
      const reason = `FreeSWITCH failed while connecting the caller's answer (late offer): ${errorMessage(err)}`;
      await this.destroyEndpoints();
      this.unavailable = reason;
      throw new MediaUnavailableError(reason);
    }
  }

  private get hasNotice(): boolean {
    return this.call.policy.recordingNotice !== undefined && this.call.policy.record;
  }

  private async playNotice(ep: MediaEndpoint): Promise<void> {
    try {
      await this.deps.port.play(ep, this.call.policy.recordingNotice!);
    } catch (err) {
      // Recording without the notice the operator promised callers is not an option.
      this.unavailable = `recording notice could not be played: ${errorMessage(err)}`;
      this.deps.logger.warn({ err: errorMessage(err) }, 'recording notice failed; the call goes on unrecorded');
    }
  }

  /** A 180 without SDP after beforeDial gave the caller our SDP: the caller will not ring by itself. */
  ringback(): void {
    if (!this.epA || this.bridged || this.ringbackPlaying) return;
    this.ringbackPlaying = true;
    this.deps.port.play(this.epA, this.call.policy.ringback).catch((err: unknown) => this.deps.logger.debug({ err: errorMessage(err) }, 'ringback ended'));
  }

  /**
   * The caller's SDP for the target's 183 ('early') or 200 ('answer'): the target's SDP goes to
   * its endpoint, the whisper plays (on answer), the endpoints are bridged. If FreeSWITCH fails on
   * answer and `reofferTarget` is given, the target is re-INVITEd with the caller's offer and its
   * new answer is returned (pass-through from then on); otherwise the error is thrown.
   */
  async answerForCaller(targetSdp: string, stage: 'early' | 'answer', reofferTarget?: (sdp: string) => Promise<string>): Promise<string> {
    const [epA, epB] = [this.epA, this.epB];
    if (!epA || !epB) return targetSdp;
    // Late offer: the caller joins in callerAnswer(), once its ACK brought its answer.
    const bridgeNow = !this.callerOffersLate;
    try {
      if (targetSdp !== this.lastTargetSdp) {
        await this.deps.port.modify(epB, targetSdp);
        this.lastTargetSdp = targetSdp;
      }
      if (stage === 'answer' && this.call.policy.whisper) {
        try {
          // Playing on a bridged channel takes it out of the bridge: bridge (again) afterwards.
          await this.deps.port.play(epB, this.call.policy.whisper);
          this.bridged = false;
        } catch (err) {
          this.deps.logger.warn({ err: errorMessage(err) }, 'whisper could not be played; connecting without it');
        }
      }
      if (!this.bridged && bridgeNow) {
        await this.deps.port.bridge(epA, epB);
        this.bridged = true;
      }
      return epA.localSdp;
    } catch (err) {
      if (stage === 'early' || !reofferTarget) throw err;
      const reason = `FreeSWITCH failed while connecting the answered call: ${errorMessage(err)}`;
      this.deps.logger.warn({ reason }, 'falling back to pass-through for an answered call');
      await this.destroyEndpoints();
      this.unavailable = reason;
      return reofferTarget(this.callerOffer);
    }
  }

  /** Both parties talk: start recording (stereo, caller left) under dir/YYYY/MM/DD/<call id>.wav. */
  async connected(): Promise<RecordingOutcome | void> {
    const { policy } = this.call;
    if (!this.epA || !this.anchored || !policy.record || this.unavailable) return;
    const loc = recordingLocation(this.deps.dirs, this.call.callId, this.call.startedAt);
    await prepareRecordingDir(loc).catch((err: unknown) =>
      // FreeSWITCH may still manage (its side of the volume); the file check at the end tells.
      this.deps.logger.warn({ err: errorMessage(err), dir: loc.local }, 'could not create the recording directory'),
    );
    try {
      await this.deps.port.startRecording(this.epA, { path: loc.freeswitch, stereo: policy.stereo });
      this.location = loc;
      return outcome('recording', null, loc.relative);
    } catch (err) {
      this.unavailable = errorMessage(err);
      this.deps.logger.warn({ err: this.unavailable }, 'recording could not be started; the call goes on unrecorded');
    }
  }

  /** A re-INVITE from one side: answered from that side's endpoint (pass-through: relayed). */
  async reinvite(from: 'caller' | 'target', offer: string, relay: (sdp: string) => Promise<string>): Promise<string> {
    const ep = from === 'caller' ? this.epA : this.epB;
    if (!ep) return relay(offer);
    await this.deps.port.modify(ep, offer);
    if (from === 'target') this.lastTargetSdp = offer;
    return ep.localSdp;
  }

  /**
   * A re-INVITE without SDP: the sender is offered its endpoint's SDP as it stands (RFC 3264 8:
   * an unchanged description keeps its version), and its answer re-INVITEs that endpoint, so
   * FreeSWITCH sends to wherever the sender now listens. The other side is not involved.
   */
  async offerlessReinvite(from: 'caller' | 'target', relay: () => Promise<DelayedOffer>): Promise<DelayedOffer> {
    const ep = from === 'caller' ? this.epA : this.epB;
    if (!ep) return relay();
    return {
      offer: ep.localSdp,
      answer: async (sdp) => {
        if (!sdp) return;
        const offered = ep.localSdp;
        try {
          await this.deps.port.modify(ep, sdp);
          if (from === 'target') this.lastTargetSdp = sdp;
          if (ep.localSdp !== offered) this.deps.logger.warn({ from }, 'FreeSWITCH changed its SDP after a re-INVITE without SDP; the sender keeps the one it was offered');
        } catch (err) {
          this.deps.logger.warn({ err: errorMessage(err), from }, "could not give FreeSWITCH the answer to a re-INVITE without SDP; media goes on as before");
        }
      },
    };
  }

  /** Stops the recording, destroys both endpoints, reports the recording. Idempotent; never rejects. */
  release(): Promise<RecordingOutcome> {
    this.released ??= this.doRelease();
    return this.released;
  }

  private async doRelease(): Promise<RecordingOutcome> {
    const loc = this.location;
    if (loc && this.epA) {
      // Hanging the channel up closes the file as well; this only makes it explicit.
      await this.deps.port.stopRecording(this.epA, loc.freeswitch).catch((err: unknown) => this.deps.logger.debug({ err: errorMessage(err) }, 'stop_record_session failed'));
    }
    await this.destroyEndpoints();
    if (!loc) return this.recording;
    const info = await readRecordingInfo(loc.local).catch((err: unknown) => {
      this.deps.logger.warn({ err: errorMessage(err), file: loc.local }, 'could not read the recording');
      return undefined;
    });
    if (!info) {
      const hint = `FreeSWITCH wrote no file at ${loc.freeswitch} (seen by calltrack as ${loc.local}): check that media.recording.dir and freeswitchDir are the same shared directory`;
      return outcome('missing', hint, loc.relative);
    }
    const min = this.call.policy.minRecordingSeconds;
    const note = info.durationSeconds !== null && info.durationSeconds < min ? `shorter than recording.minSeconds (${min} s); kept because the call was answered` : null;
    return { ...outcome('saved', note, loc.relative), recordingSize: info.size, recordingDuration: info.durationSeconds };
  }

  private async destroyEndpoints(): Promise<void> {
    const eps = [this.epA, this.epB].filter((e): e is MediaEndpoint => e !== undefined);
    this.epA = undefined;
    this.epB = undefined;
    await Promise.all(eps.map((ep) => this.deps.port.destroy(ep)));
  }

  private passThrough(reason: string): string {
    this.unavailable = reason;
    this.deps.logger.warn({ reason }, 'media unavailable: forwarding without FreeSWITCH');
    return this.callerOffer;
  }

  private lost(reason: string): void {
    if (this.released || !this.anchored) return;
    if (this.location) this.unavailable = reason;
    for (const l of this.lostListeners) l(reason);
  }
}

function outcome(status: RecordingOutcome['recordingStatus'], error: string | null = null, path: string | null = null): RecordingOutcome {
  return { recordingStatus: status, recordingError: error, recordingPath: path, recordingSize: null, recordingDuration: null };
}

