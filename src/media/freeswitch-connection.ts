import { createRequire } from 'node:module';
import Mrf from 'drachtio-fsmrf';
import { createServer } from 'node:net';
import type { Logger } from 'pino';
import type { CalltrackConfig } from '../config/schema.js';
import { ConnectionState } from '../health.js';
import { realTimers, type MediaAvailability, type Timers } from './media-port.js';

type FreeSwitchConfig = NonNullable<CalltrackConfig['media']['freeswitch']>;

export interface FreeSwitchConnectionOptions {
  cfg: FreeSwitchConfig;
  /** drachtio-srf Srf: createEndpoint sends its INVITE to FreeSWITCH through it. */
  srf: unknown;
  logger: Logger;
  /** How long one connection attempt may take (TCP, auth, `sofia status`). */
  connectTimeoutMs: number;
  reconnectMaxDelayMs: number;
  timers?: Timers;
  internals?: FsmrfInternals;
}

const FIRST_RETRY_MS = 1000;

/**
 * The event-socket connection to FreeSWITCH and the drachtio-fsmrf MediaServer on top of it.
 * Reconnects on our own timer with backoff (1 s doubling up to reconnectMaxDelaySeconds), so an
 * outage never stops calls: while it is down, availability() says why and calls go unrecorded.
 * TCP_NODELAY goes on the inbound socket and on every outbound (per-channel) socket: modesl writes
 * each command in pieces, and without it every command waits for a delayed ACK (~40 ms each;
 * 135 ms between the callee's 200 and the caller's 200 in the captures, 8 ms with it).
 */
export class FreeSwitchConnection {
  readonly state = new ConnectionState('disabled');
  private current: Mrf.MediaServer | undefined;
  private attemptSeq = 0;
  private retryTimer: unknown;
  private retryDelay = FIRST_RETRY_MS;
  private running = false;
  private readonly timers: Timers;
  private readonly where: string;

  constructor(private readonly opts: FreeSwitchConnectionOptions) {
    this.timers = opts.timers ?? realTimers;
    this.where = `${opts.cfg.host}:${opts.cfg.port}`;
  }

  /** The connected, ready MediaServer, if any. */
  get mediaServer(): Mrf.MediaServer | undefined {
    return this.current;
  }

  availability(): MediaAvailability {
    if (this.current?.connected()) return { ok: true };
    const s = this.state.get();
    return { ok: false, reason: s.detail ?? `FreeSWITCH at ${this.where} is ${s.state}` };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.attempt();
  }

  stop(): void {
    this.running = false;
    this.attemptSeq++;
    this.timers.clearTimeout(this.retryTimer);
    if (this.current) this.current.disconnect();
    this.current = undefined;
    this.state.set('disabled', 'stopped');
  }

  private attempt(): void {
    const seq = ++this.attemptSeq;
    const { listenAddress, listenPort } = this.opts.cfg;
    if (listenPort === 0) return this.connect(seq);
    // MediaServer listens without an 'error' listener: a port in use would crash the process.
    void listenPortFree(listenAddress, listenPort).then((free) => {
      if (seq !== this.attemptSeq || !this.running) return;
      if (free) this.connect(seq);
      else this.down(`cannot listen for FreeSWITCH's outbound event-socket connections on ${listenAddress}:${listenPort}: the port is in use (media.freeswitch.listenPort)`);
    });
  }

  private connect(seq: number): void {
    const { cfg, logger } = this.opts;
    const internals = this.opts.internals ?? loadFsmrfInternals();
    this.state.set(this.state.get().state === 'down' ? 'down' : 'connecting', this.state.get().state === 'down' ? this.state.get().detail : `connecting to FreeSWITCH at ${this.where}`);
    let ms: Mrf.MediaServer | undefined;
    let done = false;

    const conn = new internals.EslConnection(cfg.host, cfg.port, cfg.secret, () => {
      if (done) return;
      const mrf = new internals.Mrf(this.opts.srf);
      // X-esl-outbound must name an address FreeSWITCH can dial: never the wildcard we listen on.
      const wildcard = cfg.listenAddress === '0.0.0.0' || cfg.listenAddress === '::';
      const advertised = cfg.advertisedAddress ?? (wildcard ? (mrf.localAddresses[0] ?? '127.0.0.1') : undefined);
      ms = new internals.MediaServer(conn, mrf, cfg.listenAddress, cfg.listenPort, advertised, cfg.advertisedPort ?? (advertised ? cfg.listenPort : undefined), cfg.profile);
      const server = ms;
      // MediaServer emits 'error' (not ready within 1 s) even after we dropped it: keep a listener.
      server.on('error', (err) => (server === ms && !done ? fail(err.message) : undefined));
      server.once('connect', () => server._server?.on('connection::open', (c: Mrf.EslConnection) => c.socket?.setNoDelay(true)));
      server.once('ready', () => {
        if (done) return;
        done = true;
        this.timers.clearTimeout(timeout);
        this.current = server;
        this.retryDelay = FIRST_RETRY_MS;
        const sip = server.sip.ipv4.udp.address ?? '?';
        this.state.set('up', `FreeSWITCH at ${this.where}, profile ${cfg.profile} on sip:${sip}, outbound event socket ${server.advertisedAddress}:${server.advertisedPort}`);
        logger.info({ freeswitch: this.where, sip, outbound: `${server.listenAddress}:${server.listenPort}` }, 'connected to FreeSWITCH');
      });
      server.on('end', () => lost('the event-socket connection closed'));
    });
    conn.socket?.setNoDelay(true);
    conn.on('error', (err: Error) => {
      // Runs before modesl's own reconnect logic: closing stops it from scheduling a retry.
      conn.closing = true;
      if (!done) fail(err.message);
      else lost(err.message);
    });
    conn.on('esl::event::auth::fail', () => fail(`FreeSWITCH at ${this.where} refused the event-socket password (media.freeswitch.secret)`));
    conn.on('esl::event::raw::text/rude-rejection', () => fail(`FreeSWITCH at ${this.where} rejected calltrack by its event-socket ACL`));
    conn.on('esl::end', () => (done ? lost('the event-socket connection closed') : fail('the event-socket connection closed during setup')));
    const timeout = this.timers.setTimeout(() => fail(`no answer within ${this.opts.connectTimeoutMs} ms (FreeSWITCH frozen, or not an event socket?)`), this.opts.connectTimeoutMs);

    const drop = () => {
      conn.closing = true;
      if (conn.reconnectVars?.retryTimer) clearTimeout(conn.reconnectVars.retryTimer);
      if (ms) ms.disconnect();
      else if (conn.socket) conn.disconnect();
    };
    const fail = (why: string) => {
      if (done || seq !== this.attemptSeq) return;
      done = true;
      this.timers.clearTimeout(timeout);
      drop();
      this.down(`cannot connect to FreeSWITCH at ${this.where}: ${why}`);
    };
    const lost = (why: string) => {
      if (seq !== this.attemptSeq || this.current !== ms || !ms) return;
      this.current = undefined;
      drop();
      logger.warn({ freeswitch: this.where, reason: why }, 'lost FreeSWITCH; calls go unrecorded until it is back');
      this.down(`lost FreeSWITCH at ${this.where}: ${why}`);
    };
  }

  private down(detail: string): void {
    if (!this.running) return;
    const level = this.state.get().state === 'down' ? 'debug' : 'warn';
    this.state.set('down', detail);
    this.opts.logger[level]({ freeswitch: this.where, retryInMs: this.retryDelay }, detail);
    this.attemptSeq++;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, this.opts.reconnectMaxDelayMs);
    this.retryTimer = this.timers.setTimeout(() => {
      if (this.running) this.attempt();
    }, delay);
  }
}

function listenPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

export interface FsmrfInternals {
  Mrf: typeof Mrf;
  EslConnection: Mrf.EslConnectionConstructor;
  MediaServer: Mrf.MediaServerConstructor;
}

/**
 * drachtio-fsmrf's own MediaServer and the drachtio-modesl Connection it was built with.
 * calltrack builds the MediaServer itself instead of calling mrf.connect(): when that first
 * connection fails, modesl keeps retrying in the background and later builds a MediaServer
 * nobody owns (which, with a fixed listen port, dies on EADDRINUSE). Loaded on demand, never at import.
 */
export function loadFsmrfInternals(): FsmrfInternals {
  const fromFsmrf = createRequire(createRequire(import.meta.url).resolve('drachtio-fsmrf'));
  const modesl = fromFsmrf('drachtio-modesl') as { Connection: Mrf.EslConnectionConstructor };
  return { Mrf, EslConnection: modesl.Connection, MediaServer: fromFsmrf('./mediaserver.js') as Mrf.MediaServerConstructor };
}
