import type Srf from 'drachtio-srf';

/**
 * Dialog#modify of drachtio-srf (5.0.29) sends one re-INVITE at a time per dialog: it counts
 * the re-INVITEs in progress and queues the next until the count is down. A re-INVITE answered
 * with any final status but 200 (488 Not Acceptable Here, 491 Request Pending) is never counted
 * down, so every later modify() on that dialog waits forever: after one refused hold, the next
 * re-INVITE the other side sends would get no answer, and phones hang up on a re-INVITE that
 * times out. These wrappers count the refused one down, as the library does for a 200.
 */
export async function reinvite(dialog: Srf.Dialog, sdp: string): Promise<string> {
  try {
    return await dialog.modify(sdp);
  } catch (err) {
    afterFailedReinvite(dialog, err);
    throw err;
  }
}

/**
 * To call when a re-INVITE through `dialog` (any drachtio-srf Dialog, e.g. the one under a
 * drachtio-fsmrf endpoint) rejected with `err`: a refusal is counted down.
 */
export function afterFailedReinvite(dialog: object, err: unknown): void {
  if (isFinalRefusal(err)) admitNextReinvite(dialog);
}

/** The far end's offer asked for by a re-INVITE without SDP; its 200 waits for `ack` with the answer. */
export interface AskedOffer {
  sdp: string;
  /** ACKs the far end's 200 with `answer`, which becomes the dialog's local SDP. Sends at once (no await). */
  ack(answer: string): void;
}

/**
 * A re-INVITE without SDP (delayed offer): the far end's offer. A 200 without one is ACKed with
 * the SDP the dialog had (the session stays as it was) and rejects.
 */
export async function askForOffer(dialog: Srf.Dialog): Promise<AskedOffer> {
  const previous = dialog.local.sdp;
  const pending = await reinviteWithoutOffer(dialog);
  const ack = (answer: string) => {
    dialog.local.sdp = answer;
    pending.ack(answer);
  };
  if (!pending.sdp) {
    ack(previous);
    throw new Error('the other side answered a re-INVITE without SDP with no offer');
  }
  return { sdp: pending.sdp, ack };
}

/** A re-INVITE without SDP: the far end's offer, and `ack` to send the answer (see the declarations). */
async function reinviteWithoutOffer(dialog: Srf.Dialog): Promise<{ sdp: string; ack: (answer: string) => void }> {
  try {
    return await dialog.modify(undefined, { noAck: true });
  } catch (err) {
    afterFailedReinvite(dialog, err);
    throw err;
  }
}

/** A SipError: the far end answered, with a failure (errors before sending are counted down already). */
function isFinalRefusal(err: unknown): boolean {
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' && status >= 300;
}

interface ReinviteQueue {
  _reinvitesInProgress?: { count: number; admitOne: (() => void)[] };
}

/** What dialog.js's onReInviteComplete does after a 200. */
function admitNextReinvite(dialog: object): void {
  const queue = (dialog as unknown as ReinviteQueue)._reinvitesInProgress;
  if (!queue || queue.count <= 0) return;
  queue.count--;
  const next = queue.admitOne.shift();
  if (next) setImmediate(next);
}
