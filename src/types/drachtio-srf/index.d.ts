/**
 * Our declarations for drachtio-srf 5.0.29, written from its runtime code. The bundled
 * `lib/@types/index.d.ts` disagrees with the runtime (connect() is not a Promise; cbRequest
 * is (err, req); req.callId/from/to/sdp do not exist), so tsconfig `paths` points here instead.
 * Only what calltrack uses is declared; extend it from the library's source, not its d.ts.
 */
import { EventEmitter } from 'node:events';

declare namespace Srf {
  interface ConnectOptions {
    host: string;
    port: number;
    secret: string;
    tls?: object;
    enablePing?: boolean;
    /** 5000..300000 ms; only servers reporting v0.8.2 or later are pinged. */
    pingInterval?: number;
    reconnect?: { retryMaxDelay?: number; maxAttempts?: number; connectTimeout?: number };
  }

  /** sip-parser/parser.js getParsedHeader('from'|'to'|'p-asserted-identity'). */
  interface NameAddr {
    name?: string;
    uri: string;
    params: Record<string, string | undefined>;
  }

  /** Shared by requests and responses (delegated to the SipMessage in request.js / response.js). */
  interface SipMessageAccess {
    get(name: string): string | undefined;
    has(name: string): boolean;
    getParsedHeader(name: 'from' | 'to' | 'From' | 'To' | 'p-asserted-identity' | 'P-Asserted-Identity'): NameAddr;
    getParsedHeader(name: 'contact' | 'Contact'): NameAddr[];
    readonly headers: Record<string, string>;
    body: string;
  }

  /** request.js: a request from the network (`source` 'network') or one we sent ('application'). */
  interface SrfRequest extends EventEmitter, SipMessageAccess {
    readonly method: string;
    /** The Request-URI. */
    readonly uri: string;
    /** Request-URI user with ;params stripped (sip-parser message.js). */
    readonly calledNumber: string;
    /** P-Asserted-Identity user, else From user; '' for tel: URIs. */
    readonly callingNumber: string;
    readonly callingName: string;
    readonly source: 'network' | 'application';
    readonly source_address: string;
    readonly source_port: number;
    readonly protocol: string;
    readonly stackTxnId: string;
    readonly stackDialogId: string;
    /** Set by createUAS when the caller sent CANCEL. */
    canceled?: boolean;
    /** Only for requests we sent (source 'application'); throws otherwise. */
    cancel(opts?: { headers?: Record<string, string> }, callback?: (err: Error | null, cancel?: SrfRequest) => void): void;
    on(event: 'cancel', listener: (cancel: SrfRequest) => void): this;
    on(event: 'response', listener: (res: SrfResponse, ack: () => void) => void): this;
    on(event: string, listener: (...args: any[]) => void): this;
  }

  /** response.js: to a request from the network (we send it) or to one we sent. */
  interface SrfResponse extends EventEmitter, SipMessageAccess {
    status: number;
    reason: string;
    readonly finalResponseSent: boolean;
    send(status: number, opts?: SendOptions, callback?: (err: unknown, msg?: unknown) => void): void;
    send(status: number, reason: string, opts?: SendOptions, callback?: (err: unknown, msg?: unknown) => void): void;
  }

  interface SendOptions {
    headers?: Record<string, string>;
    body?: string;
  }

  /** dialog.js */
  interface Dialog extends EventEmitter {
    readonly id: string;
    readonly type: 'uas' | 'uac';
    readonly sip: { callId: string; localTag: string; remoteTag: string };
    readonly local: { uri: string; sdp: string; contact: string };
    readonly remote: { uri: string; sdp: string };
    readonly connected: boolean;
    onHold: boolean;
    other?: Dialog;
    destroy(opts?: { headers?: Record<string, string> }): Promise<unknown>;
    /** re-INVITE with this SDP; resolves with the far end's answer. */
    modify(sdp: string, opts?: { headers?: Record<string, string> }): Promise<string>;
    /**
     * re-INVITE without SDP (dialog.js modify with sdp undefined and `noAck`): the far end's 200
     * carries its offer and is not ACKed until `ack(answer)` (which also admits the dialog's next
     * re-INVITE). `local.sdp` is left undefined meanwhile: the caller of this sets it again.
     * A failure status rejects with a SipError (`status`).
     */
    modify(sdp: undefined, opts: { noAck: true; headers?: Record<string, string> }): Promise<{ sdp: string; ack: (answer: string) => void }>;
    /** Resolves with the first response: a provisional one too, when the far end sends one. */
    request(opts: { method: string; headers?: Record<string, string>; body?: string }): Promise<SrfResponse>;
    /** Callback form: called once per response (1xx included), or once with an error when the request could not be sent. */
    request(opts: { method: string; headers?: Record<string, string>; body?: string }, callback: (err: unknown, res?: SrfResponse) => void): this;
    /** BYE from the far end; the library has already answered it 200. */
    on(event: 'destroy', listener: (req: SrfRequest, reason?: string) => void): this;
    /** re-INVITE from the far end; only emitted when a listener exists (else auto-200 with stale SDP). */
    on(event: 'modify', listener: (req: SrfRequest, res: SrfResponse) => void): this;
    on(event: 'ack', listener: (req: SrfRequest) => void): this;
    on(event: 'info' | 'update' | 'refer' | 'notify' | 'message' | 'options', listener: (req: SrfRequest, res: SrfResponse) => void): this;
    on(event: string, listener: (...args: any[]) => void): this;
  }

  interface UacOptions {
    headers?: Record<string, string>;
    /** Our offer; leaving it out makes createUAC do 3pcc (offerless INVITE). */
    localSdp?: string;
    proxy?: string;
    auth?: { username: string; password: string };
    /** From user (From: sip:N@localhost; the server replaces localhost with its address). */
    callingNumber?: string;
    callingName?: string;
    calledNumber?: string;
    followRedirects?: boolean;
    /**
     * Late offer (no localSdp): do not ACK the 200 (by default the library ACKs it at once with
     * the target's own SDP turned recvonly). createUAC then resolves with a LateOfferAnswer instead
     * of a Dialog when the 200 carries SDP (srf.js createUAC, is3pcc branch).
     */
    noAck?: boolean;
  }

  /**
   * srf.js createUAC with `noAck: true` and no localSdp, when the target's 200 carries its offer:
   * nothing is ACKed yet. `ack(sdp)` ACKs with our answer and resolves with the dialog;
   * `destroy()` ACKs with the target's own SDP and BYEs (abandoning the answered leg).
   * A plain object, not a Dialog (not an EventEmitter).
   */
  interface LateOfferAnswer {
    /** The target's offer, from its 200. */
    sdp: string;
    ack(localSdp: string): Promise<Dialog>;
    destroy(): Promise<void>;
    res: SrfResponse;
  }

  interface UacCallbacks {
    /** Called when the INVITE went out (err when the server refused it). */
    cbRequest?: (err: Error | null, req: SrfRequest) => void;
    cbProvisional?: (res: SrfResponse) => void;
  }

  interface UasOptions {
    localSdp?: string | (() => string | Promise<string>);
    headers?: Record<string, string>;
  }

  /** sip_error.js: a non-success final response to a request we sent. */
  class SipError extends Error {
    constructor(status: number, reason?: string);
    status: number;
    reason?: string;
    res?: SrfResponse;
  }

  /** srf.js createB2BUA: opts it reads (others exist; add them from the source when needed). */
  interface B2buaOptions {
    headers?: Record<string, string>;
    /** Headers copied from the A-leg INVITE to the B leg: names, or ['all', '-X-Foo']. */
    proxyRequestHeaders?: string[];
    proxyResponseHeaders?: string[];
    /** Default true: a B-leg failure is sent to the caller. */
    passFailure?: boolean;
    passProvisionalResponses?: boolean;
    localSdpA?: string | ((sdpB: string, res: SrfResponse) => string | Promise<string>);
    localSdpB?: string;
    auth?: { username: string; password: string };
  }

  /**
   * srf.request / drachtio-agent.js request: a request outside any dialog (REGISTER, OPTIONS).
   * The library mutates `headers` (digest retry: CSeq, Call-ID, From, Authorization), so pass a
   * fresh object each time. With `auth`, a 401/407 is answered once by itself (CSeq + 1, same
   * Call-ID and From tag); a second challenge comes to the 'response' listeners as the final answer.
   */
  interface RequestOptions {
    method: string;
    headers?: Record<string, string>;
    body?: string;
    /** Next hop (full SIP URI or host[:port]) when it is not the Request-URI's host. */
    proxy?: string;
    auth?: { username: string; password: string };
  }

  type Middleware = (req: SrfRequest, res: SrfResponse, next: (err?: unknown) => void) => void;
  type Handler = (req: SrfRequest, res: SrfResponse) => void;
}

declare class Srf extends EventEmitter {
  constructor(tags?: string | string[]);
  static readonly SipError: typeof Srf.SipError;
  /** Starts connecting; returns the inner app, NOT a promise. Progress arrives as events. */
  connect(opts: Srf.ConnectOptions): unknown;
  disconnect(): void;
  invite(handler: Srf.Handler): void;
  options(handler: Srf.Handler): void;
  use(method: string, middleware: Srf.Middleware | Srf.Middleware[]): void;
  /**
   * Resolves (or calls back) once drachtio-server has sent the request: the SrfRequest as it went
   * on the wire (Contact with the server's address in place of `localhost`). Its responses arrive
   * as 'response' events; rejects when the server refused it (`NOK`, e.g. no transport).
   */
  request(uri: string, opts: Srf.RequestOptions): Promise<Srf.SrfRequest>;
  request(uri: string, opts: Srf.RequestOptions, callback: (err: Error | null, req: Srf.SrfRequest) => void): this;
  createUAS(req: Srf.SrfRequest, res: Srf.SrfResponse, opts?: Srf.UasOptions): Promise<Srf.Dialog>;
  createUAC(uri: string, opts: Srf.UacOptions & { noAck: true }, callbacks?: Srf.UacCallbacks): Promise<Srf.Dialog | Srf.LateOfferAnswer>;
  createUAC(uri: string, opts: Srf.UacOptions, callbacks?: Srf.UacCallbacks): Promise<Srf.Dialog>;
  createB2BUA(
    req: Srf.SrfRequest,
    res: Srf.SrfResponse,
    uri: string,
    opts?: Srf.B2buaOptions,
    callbacks?: Srf.UacCallbacks & { cbFinalizedUac?: (uac: Srf.Dialog) => void },
  ): Promise<{ uas: Srf.Dialog; uac: Srf.Dialog }>;
  on(event: 'connect', listener: (err: Error | null, hostport: string, serverVersion?: string, localHostports?: string) => void): this;
  on(event: 'reconnecting', listener: (info: { delay: number; attempt: number }) => void): this;
  on(event: 'error' | 'close', listener: (err?: Error) => void): this;
  on(event: string, listener: (...args: any[]) => void): this;
}

export = Srf;
