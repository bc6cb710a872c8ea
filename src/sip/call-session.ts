import { randomUUID } from 'node:crypto';
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { CallEventSink, CallEventType } from '../calls/call-events.js';
import type { CallRecord, CallStatus, HangupSide } from '../calls/call-record.js';
import type { CallRecorder } from '../calls/call-recorder.js';
import type { Clock } from '../clock.js';
import type { CalltrackConfig, TrunkConfig } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import { callerForLog } from '../phone/e164.js';
import type { CallAttributor } from '../tracking/attribution-types.js';
import { targetCallRules } from '../calls/target-call.js';
import { finalPatch, newCallRecord } from './call-row.js';
import { routeCall } from './call-routing.js';
import { reinvite } from './dialog-modify.js';
import { DialogRelay } from './dialog-relay.js';
import { moveCallerToNewMedia, sameMedia, SdpOrigin } from './sdp-origin.js';
import { readInboundCall, type InboundCallInfo } from './inbound-call.js';
import { registeredNumbers } from './register-plan.js';
import { mediaRouteOf, type MediaOutcome, type MediaPath, type MediaPathFactory } from './media-path.js';
import { forwardTargets } from './forward-request.js';
import { ACK_WAIT_MS, lateOfferFailure, waitForCallerAnswer } from './late-offer.js';
import { anchoredLateOffer, passThroughLateOffer, type CompletedLeg, type LateOfferLeg } from './late-offer-legs.js';
import { ProvisionalRelay } from './provisional-relay.js';
import { CancelSignal, dialInTurn } from './target-dialer.js';
import { dispositionFor, REPLY_UNKNOWN_NUMBER, replyForFinalOutcome, sipReplyForError, type AttemptOutcome, type SipReply } from './sip-errors.js';
import type { SipMetrics } from './sip-metrics.js';

export interface SessionDeps {
  srf: Srf;
  config: () => CalltrackConfig;
  attributor: CallAttributor | undefined;
  recorder: CallRecorder;
  events: CallEventSink | undefined;
  media: MediaPathFactory;
  metrics: SipMetrics;
  clock: Clock;
  logger: Logger;
  ringTimeoutMs: () => number;
}

/**
 * One inbound INVITE from a trusted trunk, from lookup to the final row. It owns its teardown:
 * both dialogs, the media path, and the row, finalised exactly once whatever happens (BYE,
 * CANCEL at any stage, target failure, shutdown, our own exceptions).
 */
export class CallSession {
  readonly id = randomUUID();
  readonly logger: Logger;
  private readonly cancel = new CancelSignal();
  private record: CallRecord | undefined;
  private media: MediaPath | undefined;
  private relay: DialogRelay | undefined;
  private finalized = false;

  constructor(
    private readonly deps: SessionDeps,
    private readonly req: Srf.SrfRequest,
    private readonly res: Srf.SrfResponse,
    private readonly trunk: TrunkConfig,
  ) {
    // First, before any await: drachtio-server has already answered the CANCEL 200 and the INVITE 487.
    req.on('cancel', () => this.cancel.fire('caller'));
    this.logger = deps.logger.child({ sipCallId: req.get('Call-ID'), callId: this.id });
  }

  /** Runs the call to its end. Never rejects: a failure of ours is logged and the caller gets a clean answer. */
  async run(): Promise<void> {
    try {
      await this.handle();
    } catch (err) {
      this.logger.error({ err: errorMessage(err), stack: (err as Error)?.stack }, 'call session failed');
      this.reply(sipReplyForError(err));
      await this.finalize({ status: 'failed', sipCode: 500, hangupBy: 'system' });
    } finally {
      await this.releaseMedia();
    }
  }

  /** Shutdown grace is over: end this call now (BYE both legs, or CANCEL the forward and 503 the caller). */
  hangUp(): void {
    if (this.relay) this.relay.hangUp();
    else this.cancel.fire('system');
  }

  private async handle(): Promise<void> {
    const cfg = this.deps.config();
    const startedAt = this.deps.clock.now();
    const info = readInboundCall(this.req, cfg.tracking.defaultCountry, registeredNumbers(cfg.sip.trunks));
    this.logger.info({ dialled: info.dialledRaw, caller: callerForLog(cfg.log.callerNumbers, info.caller), trunk: this.trunk.name, source: this.req.source_address }, 'INVITE');
    if (!info.dialled) return this.rejectUnknown(info, startedAt, `"${info.dialledRaw}" is not a phone number`);

    const route = await routeCall(cfg, this.deps.attributor, { trackingNumber: info.dialled, callerNumber: info.callerIsE164 ? info.caller : null, at: startedAt }, this.logger);
    if (!route) return this.rejectUnknown(info, startedAt, 'not a tracking number');

    this.record = newCallRecord(this.id, info, this.trunk.name, startedAt, route.attribution, info.dialled, route.hours?.afterHours ?? null);
    this.deps.metrics.callStarted();
    this.deps.recorder.begin(this.record);
    this.publish('call.started');
    if (this.cancel.canceled) return this.endUnanswered({ kind: 'canceled' });

    const media = this.deps.media.create({ callId: this.id, logger: this.logger, route: mediaRouteOf(route.attribution), startedAt });
    this.media = media;
    media.onMediaLost?.((reason) => this.mediaLost(reason));
    const offer = await media.offerForTarget(this.req.body);
    // Late offer anchored in FreeSWITCH: its offer goes to the caller in the 200, the answer comes in the ACK.
    const callerOffersLate = !this.req.body && offer !== '';
    const provisional = new ProvisionalRelay(this.res, media, this.logger, () => this.markRinging(), !callerOffersLate);
    if (media.beforeDial && !this.cancel.canceled) {
      // The notice plays to the caller (183 with FreeSWITCH's SDP) before the target is dialled;
      // a CANCEL meanwhile ends the wait at once (release() hangs the channel up).
      let unsubscribe = () => {};
      const canceled = new Promise<void>((resolve) => (unsubscribe = this.cancel.onCancel(resolve)));
      const notice = media.beforeDial((sdp) => this.cancel.canceled || provisional.sendOwnEarlyMedia(sdp));
      await Promise.race([notice, canceled]).finally(unsubscribe);
    }
    if (this.cancel.canceled) return this.endUnanswered({ kind: 'canceled' });
    const targets = forwardTargets(cfg, this.trunk, route.attribution, info, this.id, offer, this.record.afterHours);
    const answered = await dialInTurn(targets, { srf: this.deps.srf, ringTimeoutMs: this.deps.ringTimeoutMs(), cancel: this.cancel, logger: this.logger }, provisional);
    if (answered.lateOffer) return this.connectLateOffer(passThroughLateOffer(answered.lateOffer), answered.target);
    if (!answered.dialog) return this.endUnanswered(answered.outcome);
    if (callerOffersLate) return this.connectAnchoredLateOffer(answered.dialog, answered.target);
    await this.connect(answered.dialog, answered.target, provisional);
  }

  private async connect(target: Srf.Dialog, number: string, provisional: ProvisionalRelay): Promise<void> {
    let caller: Srf.Dialog;
    let sdp: string;
    let early: string | undefined;
    try {
      // If FreeSWITCH fails now, the answered target is re-INVITEd with the caller's SDP (pass-through).
      sdp = await this.media!.answerForCaller(target.remote.sdp, 'answer', (offer) => reinvite(target, offer));
      // Failover after early media: the caller's session already has the first target's answer.
      early = provisional.earlyAnswerFromAnotherTarget(number);
      if (early !== undefined && sameMedia(early, sdp)) early = undefined;
      caller = await this.deps.srf.createUAS(this.req, this.res, { localSdp: early ?? sdp });
    } catch (err) {
      // The caller hung up as we answered (createUAS rejects 487), or the 200 could not be sent.
      this.logger.info({ err: errorMessage(err) }, 'caller leg could not be answered; ending the target leg');
      await target.destroy().catch((e: unknown) => this.logger.warn({ err: errorMessage(e) }, 'BYE to the target failed'));
      const canceled = this.cancel.canceled || (err as { status?: number }).status === 487;
      return this.endUnanswered(canceled ? { kind: 'canceled' } : { kind: 'failed', status: 500 });
    }
    if (early === undefined) return this.bridge(caller, target, number);
    this.logger.info({ target: number }, "failover after early media: re-INVITE the caller with the answering target's media");
    const origin = new SdpOrigin(early);
    void moveCallerToNewMedia(caller, origin, sdp, this.logger);
    await this.bridge(caller, target, number, (next) => origin.next(next));
  }

  private async connectAnchoredLateOffer(target: Srf.Dialog, number: string): Promise<void> {
    let leg: LateOfferLeg;
    try {
      leg = await anchoredLateOffer(this.media!, target, this.logger);
    } catch (err) {
      this.logger.warn({ err: errorMessage(err), target: number }, 'late offer: neither FreeSWITCH nor the target could make an offer for the caller; the call fails');
      return this.endUnanswered({ kind: 'failed', status: 500 });
    }
    await this.connectLateOffer(leg, number);
  }

  /**
   * Late offer: the caller's 200 carries an offer (the target's, or FreeSWITCH's), the caller's
   * ACK brings the answer, and only that answer completes the target leg. The call counts as
   * answered once both legs have SDP; until then a BYE, an ACK without SDP, no ACK at all or a
   * shutdown ends both legs (row not answered; sip_code stays 200, what the caller was sent).
   */
  private async connectLateOffer(leg: LateOfferLeg, number: string): Promise<void> {
    let caller: Srf.Dialog;
    try {
      caller = await this.deps.srf.createUAS(this.req, this.res, { localSdp: leg.offer });
    } catch (err) {
      this.logger.info({ err: errorMessage(err) }, 'caller leg could not be answered; ending the target leg');
      await leg.abandon();
      const canceled = this.cancel.canceled || (err as { status?: number }).status === 487;
      return this.endUnanswered(canceled ? { kind: 'canceled' } : { kind: 'failed', status: 500 });
    }
    const answer = await waitForCallerAnswer(caller, { timeoutMs: ACK_WAIT_MS, onAbort: (abort) => this.cancel.onCancel(abort) });
    if (answer.kind !== 'answer') {
      const { why, reason } = lateOfferFailure(answer);
      this.logger.warn({ why, target: number }, 'late-offer call ended before it was connected');
      const byeCaller = caller.connected
        ? caller.destroy({ headers: { Reason: reason } }).catch((e: unknown) => this.logger.warn({ err: errorMessage(e) }, 'BYE to the caller failed'))
        : undefined;
      await Promise.all([leg.abandon(), byeCaller]);
      const gone = answer.kind === 'caller-gone';
      return this.finalize({ status: gone ? 'canceled' : 'failed', sipCode: 200, hangupBy: gone ? 'caller' : 'system' });
    }
    let completed: CompletedLeg;
    try {
      completed = await leg.complete(answer.sdp, caller);
    } catch (err) {
      // e.g. the target's 200 had no Contact, or FreeSWITCH and then the target failed: the target leg is gone.
      this.logger.warn({ err: errorMessage(err), target: number }, 'the target leg could not be completed after the caller\'s ACK; ending the call');
      await caller.destroy().catch((e: unknown) => this.logger.warn({ err: errorMessage(e) }, 'BYE to the caller failed'));
      return this.finalize({ status: 'failed', sipCode: 200, hangupBy: 'system' });
    }
    this.logger.info({ target: number }, "late offer: the caller's answer (from its ACK) completed the call");
    await this.bridge(caller, completed.target, number, completed.toCaller);
  }

  /** Both legs are up: the row says answered and the relay joins them until a BYE. */
  private async bridge(caller: Srf.Dialog, target: Srf.Dialog, number: string, toCaller?: (sdp: string) => string): Promise<void> {
    const at = this.deps.clock.now();
    this.update({ status: 'answered', answeredAt: at, forwardedTo: number, sipCode: 200, ringingAt: this.record!.ringingAt ?? at, updatedAt: at });
    this.publish('call.answered');
    this.relay = new DialogRelay(caller, target, this.media!, this.logger, toCaller);
    if (this.cancel.by === 'system') this.relay.hangUp();
    const recording = await this.media!.connected().catch((err: unknown) => this.logger.warn({ err: errorMessage(err) }, 'media step after answer failed; the call goes on'));
    if (recording) this.update(recording);
    const hangupBy = await this.relay.ended;
    await this.finalize({ status: 'answered', sipCode: 200, hangupBy });
  }

  private async endUnanswered(outcome: AttemptOutcome): Promise<void> {
    const { status, hangupBy } = dispositionFor(outcome);
    if (outcome.kind === 'canceled' && this.cancel.by === 'caller') {
      // The server already sent 487 to the caller; a response from us would be refused (NOK).
      return this.finalize({ status, sipCode: 487, hangupBy });
    }
    const reply = outcome.kind === 'canceled' ? { status: 503, reason: 'Service Unavailable' } : replyForFinalOutcome(outcome);
    this.reply(reply);
    await this.finalize({ status: outcome.kind === 'canceled' ? 'failed' : status, sipCode: reply.status, hangupBy: outcome.kind === 'canceled' ? 'system' : hangupBy });
  }

  private async rejectUnknown(info: InboundCallInfo, at: number, why: string): Promise<void> {
    this.logger.info({ dialled: info.dialledRaw, why }, 'unknown number: rejected');
    this.deps.metrics.inviteRejected('unknown-number');
    this.reply(REPLY_UNKNOWN_NUMBER);
    const record = newCallRecord(this.id, info, this.trunk.name, at, null, info.dialled ?? info.dialledRaw.slice(0, 20));
    this.deps.recorder.begin({ ...record, ...finalPatch(record, { at, status: 'rejected', sipCode: 404, hangupBy: 'system' }, { minTalkSeconds: 0, requireFirstCall: false }), targetCall: false });
    this.finalized = true;
    await this.deps.recorder.finish(this.id, {});
  }

  private markRinging(): void {
    if (!this.record || this.record.ringingAt !== null) return;
    this.update({ ringingAt: this.deps.clock.now() });
  }

  private update(patch: Partial<CallRecord>): void {
    if (!this.record) return;
    Object.assign(this.record, patch);
    this.deps.recorder.update(this.id, patch);
  }

  /**
   * FreeSWITCH dropped the media by itself. Before the answer nothing needs doing (the answer
   * falls back to pass-through); after it the parties hear nothing, so both legs are ended.
   */
  private mediaLost(reason: string): void {
    this.logger.warn({ reason, answered: this.relay !== undefined }, 'media lost');
    if (this.relay) this.relay.hangUp();
  }

  /** Ends the call's media (stops the recording, frees FreeSWITCH channels); its recording columns. */
  private async releaseMedia(): Promise<MediaOutcome | undefined> {
    try {
      return (await this.media?.release()) ?? undefined;
    } catch (err) {
      this.logger.warn({ err: errorMessage(err) }, 'media release failed');
      return undefined;
    }
  }

  private async finalize(end: { status: CallStatus; sipCode: number | null; hangupBy: HangupSide }): Promise<void> {
    if (this.finalized || !this.record) return;
    this.finalized = true;
    const cfg = this.deps.config();
    const at = this.deps.clock.now();
    // The recording's size and duration are known only once the file is closed.
    const recording = await this.releaseMedia();
    const patch = { ...finalPatch(this.record, { ...end, at }, targetCallRules(cfg)), ...recording };
    Object.assign(this.record, patch);
    this.deps.metrics.callEnded(end.status);
    this.logger.info({ status: end.status, sipCode: end.sipCode, hangupBy: end.hangupBy, ringSeconds: patch.ringSeconds, talkSeconds: patch.talkSeconds, recording: patch.recordingStatus }, 'call finished');
    await this.deps.recorder.finish(this.id, patch);
    this.publish(end.status === 'answered' ? 'call.completed' : 'call.missed');
  }

  private reply(reply: SipReply): void {
    if (this.res.finalResponseSent || this.cancel.by === 'caller') return;
    try {
      this.res.send(reply.status, reply.reason ?? '', reply.headers ? { headers: reply.headers } : {});
    } catch (err) {
      this.logger.warn({ err: errorMessage(err), status: reply.status }, 'could not send the final response');
    }
  }

  private publish(type: CallEventType): void {
    const sink = this.deps.events;
    if (!sink || !this.record) return;
    const snapshot = { ...this.record };
    // The outputs feature persists and delivers later; its failure must not touch the call,
    // and it runs after the signalling this tick has to do (a macrotask later).
    setImmediate(() => {
      Promise.resolve()
        .then(() => sink.publish(type, snapshot))
        .catch((err: unknown) => this.logger.warn({ err: errorMessage(err), event: type }, 'call event not published'));
    });
  }
}
