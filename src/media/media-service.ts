import type { Logger } from 'pino';
import type { LiveConfig } from '../config/live-config.js';
import type { CalltrackConfig } from '../config/schema.js';
import type { ComponentHealth } from '../health.js';
import { AnchoredMediaPath } from './anchored-media-path.js';
import { boundMediaPort } from './bounded-media-port.js';
import { FreeSwitchConnection } from './freeswitch-connection.js';
import { FsmrfMediaPort } from './fsmrf-media-port.js';
import type { MediaRoute } from '../sip/media-path.js';
import { recordingDirs, resolveMediaPolicy, type MediaPolicy, type RecordingDirs } from './media-policy.js';
import { realTimers, type MediaPort, type Timers } from './media-port.js';

/** When media.freeswitch is not configured: every call is a plain B2BUA. */
const noMedia: MediaPort = {
  availability: () => ({ ok: false, reason: 'media.freeswitch is not configured' }),
  createEndpoint: () => Promise.reject(new Error('media.freeswitch is not configured')),
  modify: () => Promise.resolve(),
  bridge: () => Promise.resolve(),
  startRecording: () => Promise.resolve(),
  stopRecording: () => Promise.resolve(),
  play: () => Promise.resolve(),
  destroy: () => Promise.resolve(),
};

export interface MediaServiceDeps {
  config: LiveConfig;
  logger: Logger;
  /** drachtio-srf Srf (the INVITEs to FreeSWITCH go through drachtio). */
  srf: unknown;
  baseDir?: string;
  /** Tests: a fake media port instead of FreeSWITCH. */
  port?: MediaPort;
  timers?: Timers;
}

/**
 * The media feature as the rest of calltrack sees it: the FreeSWITCH connection (health), the
 * bounded media port, and one AnchoredMediaPath per call that needs media. Built by createApp;
 * nothing connects until start().
 */
export class MediaService {
  readonly connection: FreeSwitchConnection | undefined;
  readonly port: MediaPort;
  private readonly timers: Timers;
  /** Whether FreeSWITCH was configured at start: media.freeswitch applies at restart only. */
  private readonly anchoring: boolean;

  constructor(private readonly deps: MediaServiceDeps) {
    const cfg = deps.config.current;
    this.timers = deps.timers ?? realTimers;
    const fs = cfg.media.freeswitch;
    this.anchoring = Boolean(fs);
    if (fs && !deps.port) {
      this.connection = new FreeSwitchConnection({
        cfg: fs,
        srf: deps.srf,
        logger: deps.logger,
        // TCP, auth and `sofia status`; fsmrf itself gives up on readiness after 1 s.
        connectTimeoutMs: cfg.media.timeoutMs + 2000,
        reconnectMaxDelayMs: cfg.media.reconnectMaxDelaySeconds * 1000,
        timers: this.timers,
      });
    }
    const inner = deps.port ?? (this.connection ? new FsmrfMediaPort(this.connection, deps.logger) : noMedia);
    this.port = boundMediaPort(inner, boundsOf(cfg), deps.logger, this.timers);
  }

  health(): ComponentHealth {
    if (this.connection) return this.connection.state.get();
    if (this.deps.port) return { state: 'up', detail: 'media port supplied by the caller (tests)' };
    return { state: 'disabled', detail: 'media.freeswitch is not configured: calls are forwarded without recording' };
  }

  start(): void {
    this.connection?.start();
  }

  stop(): void {
    this.connection?.stop();
  }

  /** Read per call, like the admin API's recording lookup, so a reload that moves them applies to new calls. */
  get dirs(): RecordingDirs {
    return recordingDirs(this.deps.config.current, this.deps.baseDir);
  }

  policyFor(route: MediaRoute | undefined): MediaPolicy {
    return resolveMediaPolicy(this.deps.config.current, route, this.anchoring);
  }

  /**
   * The media path for a call session that drives its own legs (the SIP branch's MediaPathFactory
   * shape, plus the route so per-number/per-pool settings apply). Safe for every call: a call that
   * needs no media passes SDP through untouched and leaves the recording columns null.
   */
  create(ctx: { callId: string; logger: Logger; route?: MediaRoute; startedAt?: number }): AnchoredMediaPath {
    return new AnchoredMediaPath(
      { port: this.port, dirs: this.dirs, logger: ctx.logger.child({ component: 'media' }) },
      { callId: ctx.callId, startedAt: ctx.startedAt ?? Date.now(), policy: this.policyFor(ctx.route) },
    );
  }

}

function boundsOf(cfg: CalltrackConfig) {
  return { timeoutMs: cfg.media.timeoutMs, promptTimeoutMs: cfg.media.promptTimeoutSeconds * 1000 };
}
