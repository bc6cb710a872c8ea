import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import type { MediaPath } from './media-path.js';

/**
 * Passes the target's 18x to the caller: one 183 with SDP (early media, e.g. the PBX's
 * ringback or announcement) and one 180; more are noise, and a second early SDP in the same
 * early dialog would be a change the caller's side cannot take. Sends are chained so the
 * caller never sees the 200 before the 183 that preceded it (`settled()` before answering).
 */
export class ProvisionalRelay {
  private sentRinging = false;
  private sentEarlyMedia = false;
  /** Our own 183 (recording notice) went out: the caller hears our media, not the target's 18x. */
  private ownEarlyMedia = false;
  private chain: Promise<void> = Promise.resolve();
  /** The SDP the caller got in a 183 relayed from a target, and which target it came from. */
  private early: { sdp: string; target: string } | undefined;

  constructor(
    private readonly res: Srf.SrfResponse,
    private readonly media: MediaPath,
    private readonly logger: Logger,
    private readonly onRinging: () => void,
    /**
     * False when the caller made no offer and the media path answers it with one in the 200
     * (anchored late offer): SDP in an unreliable 183 cannot be answered, so the caller gets 180s.
     */
    private readonly earlySdpToCaller = true,
  ) {}

  /** A 183 with the media path's SDP before the target is dialled (recording notice). */
  sendOwnEarlyMedia(sdp: string): void {
    this.sentEarlyMedia = true;
    this.ownEarlyMedia = true;
    this.send(183, { body: sdp, headers: { 'Content-Type': 'application/sdp' } });
  }

  /**
   * The early-media answer the caller holds from a target other than `target`: the 200 must
   * repeat it, and the new target's media then reaches the caller by re-INVITE (failover after
   * early media). Undefined when the caller has no early SDP or has this target's own.
   */
  earlyAnswerFromAnotherTarget(target: string): string | undefined {
    return this.early && this.early.target !== target ? this.early.sdp : undefined;
  }

  /** A target's 18x (`target`: which forward target sent it). */
  relay(prov: Srf.SrfResponse, target: string): void {
    if (prov.status <= 100 || prov.status >= 200) return;
    this.onRinging();
    const body = this.earlySdpToCaller ? prov.body : '';
    if (this.ownEarlyMedia) {
      // The caller's early dialog already carries our SDP: join the target's early media into
      // it, or play ringback ourselves (a 180 now would not make the caller's phone ring).
      if (body) this.chain = this.chain.then(async () => void (await this.media.answerForCaller(body, 'early')));
      else this.media.ringback?.();
    } else if (body && !this.sentEarlyMedia) {
      this.sentEarlyMedia = true;
      this.chain = this.chain.then(async () => {
        let sdp: string;
        try {
          sdp = await this.media.answerForCaller(body, 'early');
        } catch (err) {
          // The media server could not take the early media: the caller at least hears ringing.
          this.logger.warn({ err: errorMessage(err) }, 'early media could not be connected; sending 180 instead');
          if (!this.sentRinging) this.send(180, {});
          this.sentRinging = true;
          return;
        }
        this.send(183, { body: sdp, headers: { 'Content-Type': 'application/sdp' } });
        this.early = { sdp, target };
      });
    } else if (!body && !this.sentRinging && !this.sentEarlyMedia) {
      this.sentRinging = true;
      this.chain = this.chain.then(() => this.send(180, {}));
    }
    this.chain = this.chain.catch((err: unknown) => this.logger.warn({ err: errorMessage(err), status: prov.status }, 'provisional response not relayed'));
  }

  settled(): Promise<void> {
    return this.chain;
  }

  private send(status: number, opts: Srf.SendOptions): void {
    if (this.res.finalResponseSent) return;
    this.res.send(status, opts);
  }
}
