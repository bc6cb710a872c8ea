import type {
  CreateEndpointRequest,
  MediaAvailability,
  MediaEndpoint,
  MediaPort,
  RecordingRequest,
} from '../../src/media/media-port.js';

type Operation = 'createEndpoint' | 'modify' | 'bridge' | 'startRecording' | 'stopRecording' | 'play' | 'destroy';
/** What the next call of an operation does instead of succeeding. */
export type Misbehaviour = { fail: string } | { hang: true } | { ok: true };

interface FakeEndpoint extends MediaEndpoint {
  localSdp: string;
  remoteSdp: string | undefined;
  open: boolean;
  bridgedTo: string | undefined;
  recording: RecordingRequest | undefined;
  goneListeners: ((reason: string) => void)[];
}

/**
 * A media server in memory: endpoints with SDP, bridges, recordings and prompts, and a count of
 * open channels (the `show channels count` of the real setup). Tests script failures and hangs
 * per operation and read `log` to see what the flow asked for, in order.
 */
export class FakeMediaPort implements MediaPort {
  readonly log: string[] = [];
  private readonly endpoints = new Map<string, FakeEndpoint>();
  private readonly script = new Map<Operation, Misbehaviour[]>();
  private readonly hung: (() => void)[] = [];
  private unavailable: string | undefined;
  private seq = 0;

  /** Channels FreeSWITCH still holds. */
  get openCount(): number {
    return [...this.endpoints.values()].filter((e) => e.open).length;
  }

  endpoint(id: string): FakeEndpoint {
    const ep = this.endpoints.get(id);
    if (!ep) throw new Error(`no endpoint ${id}`);
    return ep;
  }

  setUnavailable(reason: string | undefined): void {
    this.unavailable = reason;
  }

  /** The next call(s) of `op` misbehave, in order. */
  misbehave(op: Operation, ...what: Misbehaviour[]): void {
    this.script.set(op, [...(this.script.get(op) ?? []), ...what]);
  }

  /** Lets every hung operation complete (as a frozen FreeSWITCH does when it resumes). */
  releaseHung(): void {
    for (const release of this.hung.splice(0)) release();
  }

  /** FreeSWITCH drops a channel by itself (crash, media timeout). */
  dropChannel(id: string, reason = 'NORMAL_CLEARING'): void {
    const ep = this.endpoint(id);
    if (!ep.open) return;
    ep.open = false;
    this.log.push(`gone ${id} ${reason}`);
    for (const l of ep.goneListeners) l(reason);
  }

  availability(): MediaAvailability {
    return this.unavailable ? { ok: false, reason: this.unavailable } : { ok: true };
  }

  createEndpoint(req: CreateEndpointRequest): Promise<MediaEndpoint> {
    return this.run('createEndpoint', () => {
      const id = `ep${++this.seq}`;
      const ep: FakeEndpoint = {
        id,
        localSdp: sdpFor(id, req.remoteSdp ? 'sendrecv' : 'offer'),
        remoteSdp: req.remoteSdp,
        open: true,
        bridgedTo: undefined,
        recording: undefined,
        goneListeners: [],
        onGone(listener) {
          this.goneListeners.push(listener);
        },
      };
      this.endpoints.set(id, ep);
      this.log.push(`create ${id}${req.remoteSdp ? '' : ' 3pcc'}`);
      return ep;
    });
  }

  modify(ep: MediaEndpoint, remoteSdp: string): Promise<void> {
    return this.run('modify', () => {
      const e = this.live(ep);
      e.remoteSdp = remoteSdp;
      e.localSdp = sdpFor(e.id, 'sendrecv');
      this.log.push(`modify ${e.id}`);
    });
  }

  bridge(a: MediaEndpoint, b: MediaEndpoint): Promise<void> {
    return this.run('bridge', () => {
      const ea = this.live(a);
      const eb = this.live(b);
      ea.bridgedTo = eb.id;
      eb.bridgedTo = ea.id;
      this.log.push(`bridge ${ea.id} ${eb.id}`);
    });
  }

  startRecording(ep: MediaEndpoint, req: RecordingRequest): Promise<void> {
    return this.run('startRecording', () => {
      const e = this.live(ep);
      if (!req.path.startsWith('/')) throw new Error(`relative recording path ${req.path}`);
      e.recording = req;
      this.log.push(`record ${e.id} ${req.stereo ? 'stereo' : 'mono'} ${req.path}`);
    });
  }

  stopRecording(ep: MediaEndpoint, path: string): Promise<void> {
    return this.run('stopRecording', () => {
      this.log.push(`stop-record ${ep.id} ${path}`);
    });
  }

  play(ep: MediaEndpoint, file: string): Promise<void> {
    return this.run('play', () => {
      this.live(ep);
      this.log.push(`play ${ep.id} ${file}`);
    });
  }

  destroy(ep: MediaEndpoint): Promise<void> {
    return this.run('destroy', () => {
      const e = this.endpoint(ep.id);
      if (!e.open) return;
      e.open = false;
      this.log.push(`destroy ${e.id}`);
    });
  }

  private live(ep: MediaEndpoint): FakeEndpoint {
    const e = this.endpoint(ep.id);
    if (!e.open) throw new Error(`endpoint ${ep.id} no longer active`);
    return e;
  }

  private run<T>(op: Operation, act: () => T): Promise<T> {
    const next = this.script.get(op)?.shift();
    if (next && 'fail' in next) return Promise.reject(new Error(next.fail));
    if (next && 'hang' in next) {
      return new Promise<T>((resolve, reject) => {
        this.hung.push(() => {
          try {
            resolve(act());
          } catch (err) {
            reject(err as Error);
          }
        });
      });
    }
    try {
      return Promise.resolve(act());
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }
}

function sdpFor(id: string, mode: 'sendrecv' | 'offer'): string {
  return `v=0\r\no=FreeSWITCH 1 1 IN IP4 127.0.0.1\r\ns=${id}-${mode}\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0 8\r\na=sendrecv\r\n`;
}
