/**
 * The narrow port between calltrack's call flow and the media server. The flow never sees
 * drachtio-fsmrf: the real adapter is fsmrf-media-port.ts, tests use test/support/fake-media-port.ts.
 *
 * An endpoint is one FreeSWITCH channel facing one SIP party. Every operation either resolves,
 * or rejects with MediaUnavailableError; with boundMediaPort() none takes longer than the
 * configured media timeout, because a frozen FreeSWITCH otherwise fails only after SIP timer B (32 s).
 */
export interface MediaEndpoint {
  /** FreeSWITCH's channel uuid. */
  readonly id: string;
  /** The SDP to hand to this endpoint's SIP party (changes after modify()). */
  readonly localSdp: string;
  /** Called once if FreeSWITCH drops the channel by itself (it crashed, or hung the channel up). */
  onGone(listener: (reason: string) => void): void;
}

export interface CreateEndpointRequest {
  /** The party's offer (caller leg). Leave out for a 3pcc endpoint: FreeSWITCH makes the offer (callee leg). */
  remoteSdp?: string;
  /** Codec preference for the party's offer, e.g. ['PCMU', 'PCMA']. */
  codecs?: string[];
}

export interface RecordingRequest {
  /** Absolute path as FreeSWITCH sees it: FreeSWITCH silently writes nothing for a relative one. */
  path: string;
  /** Caller left, callee right (RECORD_STEREO). */
  stereo: boolean;
}

export type MediaAvailability = { ok: true } | { ok: false; reason: string };

export interface MediaPort {
  /** Cheap check before a call tries media at all (e.g. not connected to FreeSWITCH). */
  availability(): MediaAvailability;
  createEndpoint(req: CreateEndpointRequest): Promise<MediaEndpoint>;
  /** Gives the endpoint its party's (new) SDP: the callee's 183/200 answer for a 3pcc endpoint. */
  modify(ep: MediaEndpoint, remoteSdp: string): Promise<void>;
  /** Connects the two endpoints' audio (uuid_bridge). */
  bridge(a: MediaEndpoint, b: MediaEndpoint): Promise<void>;
  /** Records both directions of `ep` (its party on the left, whoever it is bridged to on the right). */
  startRecording(ep: MediaEndpoint, req: RecordingRequest): Promise<void>;
  /** Closes the file (WAV header written); safe if the recording already ended. */
  stopRecording(ep: MediaEndpoint, path: string): Promise<void>;
  /** Plays a file to the endpoint's party and resolves when it finished. */
  play(ep: MediaEndpoint, file: string): Promise<void>;
  /** Hangs the channel up. Resolves (never rejects) once it is gone or given up on; idempotent. */
  destroy(ep: MediaEndpoint): Promise<void>;
}

/** Timer source passed to media services so tests can drive timeouts and backoff by hand. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A pending media timeout must never keep a finished process (CLI, tests) alive.
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
