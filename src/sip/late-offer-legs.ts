import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import { askForOffer, reinvite, type AskedOffer } from './dialog-modify.js';
import type { MediaPath } from './media-path.js';
import { SdpOrigin } from './sdp-origin.js';

/**
 * The answered target leg of a late-offer call (the caller's INVITE had no SDP), seen from the
 * caller's side: the offer its 200 carries, and what its answer (from its ACK) must reach.
 */
export interface LateOfferLeg {
  /** The SDP offer for the caller's 200. */
  offer: string;
  /**
   * The caller's answer completes the call: the target dialog, and how SDP going to the caller
   * keeps its session's origin from then on (when its media source changed). Rejects with the
   * target leg ended.
   */
  complete(answer: string, caller: Srf.Dialog): Promise<CompletedLeg>;
  /** The caller never answered: ends the target leg. Never rejects. */
  abandon(): Promise<void>;
}

export interface CompletedLeg {
  target: Srf.Dialog;
  toCaller?: (sdp: string) => string;
}

/** Without FreeSWITCH: the target's 200 (its offer) waits un-ACKed for the caller's answer. */
export function passThroughLateOffer(pending: Srf.LateOfferAnswer): LateOfferLeg {
  return { offer: pending.sdp, complete: async (answer) => ({ target: await pending.ack(answer) }), abandon: () => pending.destroy() };
}

/**
 * With FreeSWITCH: the target answered FreeSWITCH's offer like any call; the caller is offered its
 * own endpoint's SDP and its answer goes to that endpoint (recorded like an early-offer call).
 * FreeSWITCH failing at either step must not drop the call: the parties are then pointed at each
 * other. The caller has made no offer to re-INVITE the target with, so the target is re-INVITEd
 * without SDP and its offer goes to the caller (in the 200, or in a re-INVITE once it answered).
 * Rejects only when neither FreeSWITCH nor the target can make an offer (the target leg ended).
 */
export async function anchoredLateOffer(media: MediaPath, target: Srf.Dialog, logger: Logger): Promise<LateOfferLeg> {
  let direct: AskedOffer | undefined;
  const end = () => target.destroy().catch((err: unknown) => logger.warn({ err: errorMessage(err) }, 'BYE to the target failed'));
  let offer: string;
  try {
    offer = await media.answerForCaller(target.remote.sdp, 'answer', async () => {
      direct = await askForOffer(target);
      return direct.sdp;
    });
  } catch (err) {
    await end();
    throw err;
  }
  return {
    offer,
    abandon: async () => {
      // An un-ACKed 200 to our re-INVITE keeps retransmitting: ACK it (as it was) before the BYE.
      direct?.ack(target.local.sdp);
      await end();
    },
    complete: async (answer, caller) => {
      if (direct) {
        direct.ack(answer);
        return { target };
      }
      try {
        await media.callerAnswer?.(answer);
        return { target };
      } catch (err) {
        logger.warn({ err: errorMessage(err) }, "FreeSWITCH could not take the caller's answer (late offer): connecting the parties directly");
      }
      try {
        const fromTarget = await askForOffer(target);
        // The caller's session began with FreeSWITCH's offer: the target's media comes under that origin (RFC 3264 8).
        const origin = new SdpOrigin(offer);
        const callerAnswer = await reinvite(caller, origin.next(fromTarget.sdp)).catch((err: unknown) => {
          fromTarget.ack(target.local.sdp);
          throw err;
        });
        fromTarget.ack(callerAnswer);
        return { target, toCaller: (sdp) => origin.next(sdp) };
      } catch (err) {
        await end();
        throw err;
      }
    },
  };
}
