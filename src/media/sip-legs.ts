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
