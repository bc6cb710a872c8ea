/**
 * Our declarations for drachtio-fsmrf 4.1.2 (and the drachtio-modesl 1.3.1 objects it hands
 * out), written from lib/mrf.js, lib/mediaserver.js, lib/endpoint.js and modesl's
 * lib/esl/Connection.js. The package ships none. Only what calltrack uses is declared; extend
 * it from the library's source. Every method below also has a callback form at runtime: we
 * declare only the promise form (the callback is the last argument and disables the promise).
 */
import { EventEmitter } from 'node:events';
import type { Server, Socket } from 'node:net';

declare namespace Mrf {
  /** A modesl event: headers from the wire (values URL-decoded) plus an optional body. */
  interface EslEvent {
    readonly headers: { name: string; value: string }[];
    readonly body: string;
    getHeader(name: string): string | undefined;
    getBody(): string;
    serialize(format?: 'plain' | 'json' | 'xml'): string;
  }

  /** drachtio-modesl Connection (an EventEmitter2 with '::' wildcards). */
  interface EslConnection extends EventEmitter {
    /** null once closed. TCP_NODELAY is never set by modesl: see freeswitch-connection.ts. */
    socket: Socket | null;
    /** Set by disconnect(); an inbound connection stops its own reconnect loop when true. */
    closing?: boolean;
    /** Inbound connections retry by themselves (150 ms growing 1.7x, unbounded) unless closing. */
    reconnectVars: { retryTimer: NodeJS.Timeout | null; retryDelay: number; attempts: number };
    connected(): boolean;
    /** Outbound connections: the CHANNEL_DATA reply to `connect`. Inbound: null. */
    getInfo(): EslEvent | null;
    send(command: string, args?: Record<string, string | number | boolean>): void;
    /** `api <command> <args>`; the callback gets the api/response event. */
    api(command: string, args: string | string[], cb: (evt: EslEvent) => void): void;
    api(command: string, cb: (evt: EslEvent) => void): void;
    /** `sendmsg <uuid>` execute; the callback runs on the matching CHANNEL_EXECUTE_COMPLETE. Returns the Event-UUID. */
    execute(app: string, arg: string, cb?: (evt: EslEvent) => void): string;
    subscribe(events: string | string[], cb?: (evt: EslEvent) => void): void;
    filter(header: string, value: string, cb?: (evt: EslEvent) => void): void;
    /** Sends `exit`, sets closing, ends the socket. */
    disconnect(): void;
  }

  /** `new Connection(host, port, password, onReady)`: an inbound event-socket connection. */
  type EslConnectionConstructor = new (host: string, port: number, password: string, onReady: () => void) => EslConnection;

  interface ConnectOptions {
    address: string;
    /** Default 8021. */
    port?: number;
    /** Default 'ClueCon'. */
    secret?: string;
    /** Where FreeSWITCH's outbound connections (the dialplan's `socket`) arrive. Default: first non-internal IPv4. */
    listenAddress?: string;
    /** Default 0 (any free port). */
    listenPort?: number;
    /** Sent to FreeSWITCH in X-esl-outbound; default listenAddress/listenPort. */
    advertisedAddress?: string;
    advertisedPort?: number;
    /** SIP profile looked up in `sofia status`. Default 'drachtio_mrf'. */
    profile?: string;
  }

  interface CreateEndpointOptions {
    /** The far end's offer; without it FreeSWITCH makes the offer (3pcc). */
    remoteSdp?: string;
    /** Reorders the offer's codecs (non-3pcc) and sets codec_string on the channel. */
    codecs?: string | string[];
    headers?: Record<string, string>;
    family?: 'ipv4' | 'ipv6';
    dtls?: boolean;
    srtp?: boolean;
  }

  /** Values come straight from channel variables, so ports are strings. */
  interface NetworkConnection {
    sdp: string;
    mediaIp: string;
    mediaPort: string;
  }

  /** The drachtio-srf Dialog between drachtio and FreeSWITCH, as the Endpoint uses it. */
  interface MediaDialog extends EventEmitter {
    readonly sip: { callId: string; localTag: string; remoteTag: string };
    /** Re-INVITE FreeSWITCH with new SDP; resolves with FreeSWITCH's answer. */
    modify(sdp: string): Promise<string>;
    destroy(opts?: { headers?: Record<string, string> }): Promise<unknown>;
  }

  interface PlaybackResult {
    playbackSeconds: string | undefined;
    playbackMilliseconds: string | undefined;
    playbackLastOffsetPos: string | undefined;
  }

  /** Events: 'ready' (once the pair is usable), 'destroy' ({reason}) on HANGUP or a closed socket, 'channelCallState'. */
  class Endpoint extends EventEmitter {
    private constructor();
    /** FreeSWITCH's Channel-Unique-ID. */
    readonly uuid: string;
    readonly local: NetworkConnection;
    readonly remote: NetworkConnection;
    readonly sip: { callId: string };
    readonly secure: boolean;
    /** The outbound event-socket connection that controls this channel; null after it closed. */
    readonly conn: EslConnection | null;
    readonly dialog: MediaDialog | null;
    readonly mediaserver: MediaServer;
    /** True until destroyed or hung up. */
    readonly connected: boolean;
    /** `sendmsg` execute; resolves with CHANNEL_EXECUTE_COMPLETE (never rejects on an app failure). */
    execute(app: string, arg?: string): Promise<EslEvent>;
    /** `api <command> <args>` on the endpoint's socket; resolves with the api/response event. */
    api(command: string, args?: string | string[]): Promise<EslEvent>;
    /** One key: `set k=v`; several: one `multiset ^^^k=v^k2=v2`. */
    set(param: string, value: string): Promise<unknown>;
    set(params: Record<string, string>): Promise<unknown>;
    export(param: string, value: string): Promise<unknown>;
    export(params: Record<string, string>): Promise<unknown>;
    /** `playback`; rejects with 'File Not Found'. Resolves when playback ended. */
    play(file: string | string[] | { file: string; seekOffset?: number; timeoutSecs?: number }): Promise<PlaybackResult>;
    /** `record_session <path>`: a media bug recording both directions. Path must be absolute. */
    recordSession(path: string): Promise<EslEvent>;
    /** `api uuid_bridge <this> <other>`; rejects with FreeSWITCH's -ERR text. */
    bridge(other: Endpoint | string): Promise<void>;
    /** `api uuid_transfer <this> -both park inline`. */
    unbridge(): Promise<void>;
    /** Re-INVITE with new remote SDP, then re-reads local/remote from uuid_dump. */
    modify(sdp: string): Promise<string>;
    /** `hangup`; resolves only when FreeSWITCH's BYE arrives on the dialog. */
    destroy(): Promise<void>;
    on(event: 'destroy', listener: (info?: { reason?: string }) => void): this;
    on(event: 'ready', listener: () => void): this;
    on(event: 'channelCallState', listener: (info: { state: string }) => void): this;
    on(event: string, listener: (...args: any[]) => void): this;
  }

  /**
   * Events: 'connect' (outbound listener up), 'ready' (after `sofia status` found the profile),
   * 'error' (not ready within 1000 ms), 'end' (inbound socket closed), 'channel::open'/'channel::close'.
   */
  class MediaServer extends EventEmitter {
    /** new MediaServer(conn, mrf, listenAddress, listenPort, advertisedAddress, advertisedPort, profile) */
    constructor(
      conn: EslConnection,
      mrf: Mrf,
      listenAddress: string,
      listenPort: number,
      advertisedAddress?: string,
      advertisedPort?: number,
      profile?: string,
    );
    readonly address: string;
    readonly conn: EslConnection;
    readonly srf: unknown;
    listenAddress?: string;
    listenPort?: number;
    advertisedAddress?: string;
    advertisedPort?: number;
    /** Filled from `sofia status`: e.g. sip.ipv4.udp.address = '127.0.0.1:5080'. */
    readonly sip: Record<'ipv4' | 'ipv6', Record<'udp' | 'dtls', { address?: string }>>;
    maxSessions: number;
    currentSessions: number;
    cps: number;
    /** pending createEndpoint calls by drachtio-fsmrf uuid (User-Agent drachtio-fsmrf:<uuid>). */
    readonly pendingConnections: Map<string, unknown>;
    /** The esl.Server for outbound connections (its `server` is the net.Server). */
    readonly _server?: { server: Server; close(): void; getCountOfConnections(): number } & EventEmitter;
    connected(): boolean;
    /** Sends a SIP INVITE to FreeSWITCH via drachtio-srf, then waits (4000 ms, fixed) for the outbound socket. */
    createEndpoint(opts?: CreateEndpointOptions): Promise<Endpoint>;
    api(command: string): Promise<string>;
    disconnect(): void;
    destroy(): void;
    on(event: 'channel::open' | 'channel::close', listener: (info: { uuid?: string; countOfConnections: number; countOfChannels: number }) => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
    on(event: 'connect' | 'ready' | 'end', listener: () => void): this;
    on(event: string, listener: (...args: any[]) => void): this;
  }

  /** require('drachtio-fsmrf/lib/mediaserver.js'). */
  type MediaServerConstructor = typeof MediaServer;
}

declare class Mrf extends EventEmitter {
  /** `srf` is a drachtio-srf Srf (typed loosely so this file does not depend on our Srf declarations). */
  constructor(srf: unknown, opts?: { customEvents?: string[]; debugDir?: string });
  readonly srf: unknown;
  readonly localAddresses: string[];
  readonly customEvents: string[];
  /**
   * Caution: when the first connection fails the modesl Connection keeps retrying in the
   * background and, once FreeSWITCH answers, builds a MediaServer nobody owns. calltrack
   * therefore builds the MediaServer itself (see src/media/freeswitch-connection.ts).
   */
  connect(opts: Mrf.ConnectOptions): Promise<Mrf.MediaServer>;
  static utils: { parseBodyText(text: string): Record<string, string> };
}

export = Mrf;
