/**
 * The contract between number tracking (which computes attribution) and its users: the SIP
 * call path, `calltrack attribute`, and the simulator. One function answers "which ad made
 * this call", so a real call and the CLI can never disagree.
 */
export type AttributionType = 'static' | 'dynamic' | 'fallback' | 'unattributed' | 'unknown';

/** One touch: where a call (or the caller's first call) came from. */
export interface Touch {
  type: AttributionType;
  visitId: string | null;
  poolName: string | null;
  source: string | null;
  medium: string | null;
  campaign: string | null;
  term: string | null;
  content: string | null;
  referrer: string | null;
  landingPage: string | null;
  gaClientId: string | null;
  /** The GA4 session the visit was last seen in: the GA4 event's session_id. */
  gaSessionId: string | null;
  ymClientId: string | null;
  gclid: string | null;
  yclid: string | null;
  /** A pool call that came after the hold ended, within tracking.graceMinutes. */
  late: boolean;
}

/**
 * The fields of a touch that identify the visitor in analytics (GA client and session id, Metrica
 * ClientID), as opposed to the ad it came from: what erasing a caller's data takes out.
 */
export const VISITOR_ANALYTICS_IDS = ['gaClientId', 'gaSessionId', 'ymClientId'] as const satisfies readonly (keyof Touch)[];

export interface Attribution extends Touch {
  trackingNumber: string;
  trackingNumberId: number | null;
  /** Where to forward the call, in failover order (from the number or its pool). */
  forwardTo: string[];
  /** False when the caller called any tracking number within tracking.repeatCallDays. */
  firstCall: boolean;
  /** For a repeat caller: the attribution of their first call in the window (first touch). */
  firstTouch: Touch | null;
}

export interface AttributionQuery {
  trackingNumber: string;
  callerNumber: string | null;
  /** Epoch ms of the call. */
  at: number;
}

export interface CallAttributor {
  /**
   * Attribution of a call on `trackingNumber`, or null when it is not an active tracking
   * number. For a pool number, a call also extends the holder's hold (they may call again).
   */
  attribute(query: AttributionQuery): Promise<Attribution | null>;
}
