import type Mrf from 'drachtio-fsmrf';
import type { Logger } from 'pino';
import { errorMessage, MediaUnavailableError } from '../errors.js';
import { afterFailedReinvite } from '../sip/dialog-modify.js';
import type { CreateEndpointRequest, MediaAvailability, MediaEndpoint, MediaPort, RecordingRequest } from './media-port.js';

/** What the adapter needs from the connection: the ready MediaServer, or why there is none. */
export interface MediaServerSource {
  readonly mediaServer: Mrf.MediaServer | undefined;
  availability(): MediaAvailability;
}

class FsmrfEndpoint implements MediaEndpoint {
  constructor(readonly ep: Mrf.Endpoint) {}

  get id(): string {
    return this.ep.uuid;
  }

  get localSdp(): string {
    return this.ep.local.sdp;
  }

  onGone(listener: (reason: string) => void): void {
    // fsmrf emits 'destroy' only when FreeSWITCH hung up (or its socket closed) by itself,
    // never for our own destroy(): that sets the endpoint's state first.
    this.ep.on('destroy', (info?: { reason?: string }) => listener(info?.reason ?? 'event socket closed'));
  }
}

/**
 * The media port over the real drachtio-fsmrf. Wrap it with boundMediaPort(): fsmrf's own limits
 * are SIP timer B (32 s) for the INVITE to FreeSWITCH and none at all for event-socket commands.
 */
export class FsmrfMediaPort implements MediaPort {
  constructor(
    private readonly source: MediaServerSource,
    private readonly logger: Logger,
  ) {}

  availability(): MediaAvailability {
    return this.source.availability();
  }

  async createEndpoint(req: CreateEndpointRequest): Promise<MediaEndpoint> {
    const ms = this.source.mediaServer;
    if (!ms) {
      const a = this.source.availability();
      throw new MediaUnavailableError(a.ok ? 'FreeSWITCH is not connected' : a.reason);
    }
    const ep = await ms.createEndpoint(req.remoteSdp ? { remoteSdp: req.remoteSdp, ...(req.codecs ? { codecs: req.codecs } : {}) } : {});
    // Normally already set when the socket arrived (FreeSwitchConnection); cheap to make sure.
    ep.conn?.socket?.setNoDelay(true);
    return new FsmrfEndpoint(ep);
  }

  async modify(ep: MediaEndpoint, remoteSdp: string): Promise<void> {
    const fep = this.fs(ep);
    try {
      await fep.modify(remoteSdp);
    } catch (err) {
      // fsmrf re-INVITEs through a drachtio-srf Dialog, whose queue a refusal would block for good.
      if (fep.dialog) afterFailedReinvite(fep.dialog, err);
      throw err;
    }
  }

  async bridge(a: MediaEndpoint, b: MediaEndpoint): Promise<void> {
    await this.fs(a).bridge(this.fs(b));
  }

  async startRecording(ep: MediaEndpoint, req: RecordingRequest): Promise<void> {
    if (!req.path.startsWith('/')) {
      // FreeSWITCH accepts a relative path and silently writes nothing.
      throw new MediaUnavailableError(`record_session needs an absolute path, got "${req.path}" (set media.recording.freeswitchDir)`);
    }
    const fep = this.fs(ep);
    // RECORD_MIN_SEC=0: FreeSWITCH would otherwise delete recordings under 3 s; answered calls keep theirs.
    await fep.set({ RECORD_STEREO: req.stereo ? 'true' : 'false', RECORD_MIN_SEC: '0' });
    const done = await fep.recordSession(req.path);
    const response = done.getHeader('Application-Response');
    if (response && /^-ERR/.test(response)) throw new MediaUnavailableError(`record_session ${req.path}: ${response}`);
  }

  async stopRecording(ep: MediaEndpoint, path: string): Promise<void> {
    const fep = this.fs(ep);
    if (!fep.connected) return;
    await fep.execute('stop_record_session', path);
  }

  async play(ep: MediaEndpoint, file: string): Promise<void> {
    await this.fs(ep).play(file);
  }

  async destroy(ep: MediaEndpoint): Promise<void> {
    const fep = this.fs(ep);
    try {
      await fep.destroy();
    } catch (err) {
      this.logger.warn({ endpoint: ep.id, err: errorMessage(err) }, 'hangup of the FreeSWITCH channel failed');
    }
  }

  private fs(ep: MediaEndpoint): Mrf.Endpoint {
    if (!(ep instanceof FsmrfEndpoint)) throw new Error('endpoint was not created by this media port');
    return ep.ep;
  }
}
