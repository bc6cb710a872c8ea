import type { CalleeLeg, CallerLeg, Provisional } from '../../src/media/answer-on-bridge.js';

export const CALLER_OFFER = 'v=0\r\no=caller 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 6380 RTP/AVP 0\r\n';
export const CALLEE_ANSWER = 'v=0\r\no=callee 1 1 IN IP4 192.0.2.20\r\ns=-\r\nc=IN IP4 192.0.2.20\r\nt=0 0\r\nm=audio 6390 RTP/AVP 0\r\n';

/** The caller's side as the flow drives it: what was sent to the caller, in order. */
export class FakeCaller implements CallerLeg {
  readonly offer = CALLER_OFFER;
  readonly sent: string[] = [];
  answeredWith: string | undefined;
  answerFails: string | undefined;
  canceled = false;
  private readonly cancelListeners: (() => void)[] = [];

  onCancel(listener: () => void): void {
    this.cancelListeners.push(listener);
  }

  /** The caller's CANCEL (drachtio-server has already sent 200 + 487). */
  cancel(): void {
    this.canceled = true;
    for (const l of this.cancelListeners) l();
  }

  sendRinging(): void {
    this.sent.push('180');
  }

  sendEarlyMedia(sdp: string): void {
    this.sent.push(`183 ${sdpName(sdp)}`);
  }

  answer(sdp: string): Promise<void> {
    if (this.answerFails || this.canceled) return Promise.reject(new Error(this.answerFails ?? 'caller canceled'));
    this.answeredWith = sdp;
    this.sent.push(`200 ${sdpName(sdp)}`);
    return Promise.resolve();
  }
}

/** The callee's side: the test decides when it rings, sends early media, answers or rejects. */
export class FakeCallee implements CalleeLeg {
  readonly events: string[] = [];
  offeredSdp: string | undefined;
  private onProvisional: ((p: Provisional) => void) | undefined;
  private settle: { resolve: (a: { sdp: string }) => void; reject: (e: Error & { status: number }) => void } | undefined;
  /** Resolves when the flow has sent the INVITE. */
  readonly dialed: Promise<void>;
  private markDialed!: () => void;

  constructor() {
    this.dialed = new Promise((r) => (this.markDialed = r));
  }

  dial(offer: string, onProvisional: (p: Provisional) => void): Promise<{ sdp: string }> {
    this.offeredSdp = offer;
    this.onProvisional = onProvisional;
    this.events.push(`INVITE ${sdpName(offer)}`);
    this.markDialed();
    return new Promise((resolve, reject) => (this.settle = { resolve, reject }));
  }

  provisional(status: number, sdp?: string): void {
    this.onProvisional?.(sdp ? { status, sdp } : { status });
  }

  answer(sdp = CALLEE_ANSWER): void {
    this.settle?.resolve({ sdp });
    this.settle = undefined;
  }

  reject(status: number): void {
    this.settle?.reject(Object.assign(new Error(`Sip non-success response: ${status}`), { status }));
    this.settle = undefined;
  }

  cancel(reason: string): void {
    this.events.push(`CANCEL ${reason}`);
    this.reject(487);
  }

  reoffer(sdp: string): Promise<string> {
    this.events.push(`re-INVITE ${sdpName(sdp)}`);
    return Promise.resolve(CALLEE_ANSWER.replace('6390', '6392'));
  }

  hangup(): Promise<void> {
    this.events.push('BYE');
    return Promise.resolve();
  }
}

/** A short name for an SDP in assertions: the fake media port's s= line, or caller/callee. */
export function sdpName(sdp: string): string {
  if (sdp === CALLER_OFFER) return 'caller';
  if (sdp.startsWith(CALLEE_ANSWER.slice(0, 20))) return 'callee';
  return /\r\ns=([^\r]+)/.exec(sdp)?.[1] ?? 'unknown';
}
