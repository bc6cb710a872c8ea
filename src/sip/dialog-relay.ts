import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { HangupSide } from '../calls/call-record.js';
import { errorMessage } from '../errors.js';
import { askForOffer, reinvite } from './dialog-modify.js';
import { ACK_WAIT_MS, waitForCallerAnswer } from './late-offer.js';
import type { DelayedOffer, MediaPath } from './media-path.js';

/**
 * Headers an INFO or NOTIFY keeps when it crosses to the other leg: what says how to read the
 * body (RFC 6086 Info-Package, RFC 6665 Event / Subscription-State). Anything else (Via, tags,
 * CSeq, Contact) belongs to one leg.
 */
const RELAYED_HEADERS = ['Content-Type', 'Content-Disposition', 'Info-Package', 'Event', 'Subscription-State'];

/** In-dialog requests passed through unchanged: DTMF (application/dtmf-relay), PBX events. */
const RELAYED_METHODS = ['info', 'notify'] as const;

/**
 * The answered call: two dialogs joined. A BYE on either ends the other; a re-INVITE on either
 * (hold, codec change) goes through the media path to the other side and its answer comes back.
 * Without a 'modify' listener drachtio-srf would answer re-INVITEs itself with stale SDP; without
 * 'info'/'notify' listeners it would answer INFO and NOTIFY 200 itself and the other side would
 * never see them (DTMF sent as SIP INFO would not reach the target's IVR), and would answer an
 * UPDATE's new SDP with the stale one it holds.
 */
export class DialogRelay {
  readonly ended: Promise<HangupSide>;
  private finish!: (side: HangupSide) => void;
  private done = false;
  /**
   * Set while a re-INVITE without SDP waits for the sender's ACK: ACKs the other side's 200 (with
   * the SDP it had) and stops the wait. See end().
   */
  private settleDelayedOffer: (() => void) | undefined;
  /** re-INVITEs and UPDATEs with our final response still to come (the other side has the offer). */
  private readonly unanswered = new Set<Srf.SrfResponse>();

  constructor(
    private readonly caller: Srf.Dialog,
    private readonly target: Srf.Dialog,
    private readonly media: MediaPath,
    private readonly logger: Logger,
    /** Rewrites every SDP sent to the caller (its session's origin; see SdpOrigin). */
    private readonly toCaller: (sdp: string) => string = (sdp) => sdp,
  ) {
    this.ended = new Promise((resolve) => (this.finish = resolve));
    caller.on('destroy', () => this.end('caller', target));
    target.on('destroy', () => this.end('callee', caller));
    caller.on('modify', (req, res) => this.reinvite('caller', req, res, target));
    target.on('modify', (req, res) => this.reinvite('target', req, res, caller));
    for (const method of RELAYED_METHODS) {
      caller.on(method, (req, res) => this.relayRequest('caller', req, res, target));
      target.on(method, (req, res) => this.relayRequest('target', req, res, caller));
    }
    caller.on('update', (req, res) => this.update('caller', req, res, target));
    target.on('update', (req, res) => this.update('target', req, res, caller));
  }

  /** calltrack ends the call (shutdown): BYE to both. */
  hangUp(): void {
    if (this.done) return;
    this.end('system', this.caller);
    this.bye(this.target, 'target');
  }

  private end(side: HangupSide, other: Srf.Dialog): void {
    if (this.done) return;
    this.done = true;
    // Before any BYE: the other side's 200 to our re-INVITE is still retransmitting, and a BYE
    // ahead of its ACK reaches a dialog with an INVITE transaction pending (some UAs refuse or
    // mishandle it); the ACK after it would be for a dialog already ended, a protocol error.
    // Done here, not left to the wait's own 'destroy' listener: its ACK would go out a
    // microtask later, behind the BYE below.
    this.settleDelayedOffer?.();
    // RFC 3261 15.1.2: a request still pending when the dialog ends gets 487, not a late answer.
    for (const res of [...this.unanswered]) this.answer(res, 487);
    this.logger.info({ hangupBy: side }, 'call ended');
    this.bye(other, other === this.caller ? 'caller' : 'target');
    this.finish(side);
  }

  private bye(dialog: Srf.Dialog, name: string): void {
    if (!dialog.connected) return;
    dialog.destroy().catch((err: unknown) => this.logger.warn({ err: errorMessage(err), leg: name }, 'BYE failed (the leg may already be gone)'));
  }

  /** The request goes to the other leg with its body; that side's final response comes back. */
  private relayRequest(from: 'caller' | 'target', req: Srf.SrfRequest, res: Srf.SrfResponse, other: Srf.Dialog): void {
    const method = req.method;
    if (this.done || !other.connected) {
      res.send(481, 'Call/Transaction Does Not Exist');
      return;
    }
    const headers: Record<string, string> = {};
    for (const name of RELAYED_HEADERS) {
      const value = req.has(name) ? req.get(name) : undefined;
      if (value) headers[name] = value;
    }
    // The callback form: the promise form would settle on a 100 Trying and lose the final response.
    other.request({ method, headers, ...(req.body ? { body: req.body } : {}) }, (err, answer) => {
      if (err || !answer) {
        this.logger.warn({ err: errorMessage(err), from, method }, 'in-dialog request could not be relayed');
        res.send(500, 'Server Internal Error');
        return;
      }
      if (answer.status < 200) return;
      const back: Record<string, string> = {};
      const type = answer.has('Content-Type') ? answer.get('Content-Type') : undefined;
      if (answer.body && type) back['Content-Type'] = type;
      res.send(answer.status, answer.reason ?? '', { headers: back, ...(answer.body ? { body: answer.body } : {}) });
    });
  }

  /**
   * UPDATE (RFC 3311) in the confirmed dialog: without a body (a session-timer refresh) it is
   * passed on like INFO; with an SDP offer it changes the media like a re-INVITE, so it goes
   * through the media path (pass-through offers it to the other side in an UPDATE of its own).
   */
  private update(from: 'caller' | 'target', req: Srf.SrfRequest, res: Srf.SrfResponse, other: Srf.Dialog): void {
    if (!req.body) return this.relayRequest(from, req, res, other);
    this.unanswered.add(res);
    this.answerOffer(from, 'UPDATE', req, res, (sdp) => offerByUpdate(other, from === 'target' ? this.toCaller(sdp) : sdp));
  }

  private reinvite(from: 'caller' | 'target', req: Srf.SrfRequest, res: Srf.SrfResponse, other: Srf.Dialog): void {
    this.unanswered.add(res);
    if (!req.body) return this.offerlessReinvite(from, res, other);
    this.answerOffer(from, 're-INVITE', req, res, (sdp) => reinvite(other, from === 'target' ? this.toCaller(sdp) : sdp));
  }

  /**
   * A re-INVITE without SDP (RFC 3261 14.1: PBXs send them after a transfer or to refresh the
   * session): our 200 must carry an offer and the sender's answer comes in its ACK. By default
   * drachtio-srf would ACK the other side's 200 (its offer) at once, without an answer; here it
   * is ACKed only with the sender's answer, or, when the ACK brings none (or none comes within
   * timer H), with the SDP the other side had, so the session stays as it was.
   */
  private offerlessReinvite(from: 'caller' | 'target', res: Srf.SrfResponse, other: Srf.Dialog): void {
    const sender = from === 'caller' ? this.caller : this.target;
    // SDP going to the caller keeps the caller's session origin (toCaller); the target's is as sent.
    const toSender = (sdp: string) => (from === 'caller' ? this.toCaller(sdp) : sdp);
    const toOther = (sdp: string) => (from === 'target' ? this.toCaller(sdp) : sdp);
    const relay = async (): Promise<DelayedOffer> => {
      const previous = other.local.sdp;
      const asked = await askForOffer(other);
      // ack() sends before this returns: settleDelayedOffer counts on the ACK leaving at once.
      return { offer: asked.sdp, answer: async (answer) => asked.ack(answer ? toOther(answer) : previous) };
    };
    this.media
      .offerlessReinvite(from, relay)
      .then(async ({ offer, answer }) => {
        // The call ended while the other side made its offer (the sender has had its 487): its
        // 200 is ACKed as it was, if drachtio-server still can, with the dialog ended.
        if (this.done) return answer(undefined);
        // Listening before the 200 goes out: the ACK cannot arrive earlier.
        const acked = waitForCallerAnswer(sender, {
          timeoutMs: ACK_WAIT_MS,
          onAbort: (abort) => {
            // Synchronous up to the ACK (our relay's answer() sends it before any await), so
            // end() can send its BYE right after this.
            this.settleDelayedOffer = () => {
              abort();
              void answer(undefined);
            };
            return () => (this.settleDelayedOffer = undefined);
          },
        });
        this.answer(res, 200, { body: toSender(offer), headers: { 'Content-Type': 'application/sdp' } });
        const ack = await acked;
        if (ack.kind === 'aborted') return; // the call ended; settleDelayedOffer answered already
        if (ack.kind !== 'answer') this.logger.warn({ from, ack: ack.kind }, 're-INVITE without SDP: no answer in the ACK; the session stays as it was');
        await answer(ack.kind === 'answer' ? ack.sdp : undefined);
      }, (err: unknown) => this.refuse(from, 're-INVITE without SDP', res, err))
      .catch((err: unknown) => this.logger.warn({ err: errorMessage(err), from }, 're-INVITE without SDP could not be completed'));
  }

  private answerOffer(from: 'caller' | 'target', what: string, req: Srf.SrfRequest, res: Srf.SrfResponse, relay: (sdp: string) => Promise<string>): void {
    this.media
      .reinvite(from, req.body, relay)
      .then(
        (answer) => this.answer(res, 200, { body: from === 'caller' ? this.toCaller(answer) : answer, headers: { 'Content-Type': 'application/sdp' } }),
        (err: unknown) => this.refuse(from, what, res, err),
      );
  }

  private refuse(from: 'caller' | 'target', what: string, res: Srf.SrfResponse, err: unknown): void {
    const status = (err as { status?: unknown }).status;
    this.logger.warn({ err: errorMessage(err), from }, `${what} could not be relayed`);
    // The other side's refusal (488, 491) is passed back; our own failure is a 500.
    this.answer(res, typeof status === 'number' && status >= 400 ? status : 500);
  }

  /** Our final response to a re-INVITE or UPDATE, unless the end of the call already gave it 487. */
  private answer(res: Srf.SrfResponse, status: number, opts?: Srf.SendOptions): void {
    if (!this.unanswered.delete(res)) return;
    try {
      res.send(status, opts ?? {});
    } catch (err) {
      this.logger.warn({ err: errorMessage(err), status }, 'could not answer a re-INVITE or UPDATE');
    }
  }
}

/** Sends an SDP offer in an UPDATE and resolves with the answer from the 2xx. */
function offerByUpdate(dialog: Srf.Dialog, sdp: string): Promise<string> {
  return new Promise((resolve, reject) => {
    dialog.request({ method: 'UPDATE', body: sdp, headers: { 'Content-Type': 'application/sdp' } }, (err, res) => {
      if (err || !res) return reject(err instanceof Error ? err : new Error(`UPDATE not sent: ${errorMessage(err)}`));
      if (res.status < 200) return;
      if (res.status < 300 && res.body) return resolve(res.body);
      // A 2xx without an answer is a broken UPDATE transaction: our failure (500) to the sender.
      reject(Object.assign(new Error(`UPDATE answered ${res.status}${res.body ? '' : ' without SDP'}`), { status: res.status >= 300 ? res.status : undefined }));
    });
  });
}
