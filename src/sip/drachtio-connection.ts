import Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { CalltrackConfig } from '../config/schema.js';
import { ConnectionState } from '../health.js';

const MAX_RETRY_DELAY_MS = 30_000;

/**
 * The inbound connection to drachtio-server. drachtio-srf reconnects by itself with backoff
 * (150 ms growing 1.7x); we cap the delay so a server that comes back is found within 30 s,
 * and never treat an unreachable server as fatal: calltrack keeps serving HTTP meanwhile.
 */
export class DrachtioConnection {
  readonly srf: Srf;
  readonly state = new ConnectionState('disabled');
  private started = false;

  constructor(
    private readonly cfg: CalltrackConfig['sip']['drachtio'],
    private readonly logger: Logger,
    srf?: Srf,
  ) {
    this.srf = srf ?? new Srf('calltrack');
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const where = `${this.cfg.host}:${this.cfg.port}`;
    this.state.set('connecting', `connecting to drachtio-server at ${where}`);
    this.srf.on('connect', (err, hostport, version) => {
      if (err) {
        this.state.set('down', `drachtio-server at ${where}: ${err.message}`);
        this.logger.warn({ err, drachtio: where }, 'drachtio-server refused the connection');
        return;
      }
      this.state.set('up', `drachtio-server ${version ?? ''} at ${where}, SIP on ${hostport}`.replace('  ', ' '));
      this.logger.info({ drachtio: where, sip: hostport, version }, 'connected to drachtio-server');
    });
    this.srf.on('error', (err) => {
      // Warn once per outage; each retry's failure is only debug noise.
      const level = this.state.get().state === 'down' ? 'debug' : 'warn';
      this.state.set('down', `drachtio-server at ${where}: ${err?.message ?? 'connection error'}`);
      this.logger[level]({ drachtio: where, err: err?.message }, 'drachtio-server unreachable; retrying with backoff');
    });
    this.srf.on('reconnecting', (info) => {
      this.logger.debug({ drachtio: where, ...info }, 'reconnecting to drachtio-server');
    });
    this.srf.on('close', () => {
      if (this.state.get().state === 'up') this.logger.warn({ drachtio: where }, 'connection to drachtio-server closed; reconnecting');
      if (this.started && this.state.get().state === 'up') this.state.set('connecting', `reconnecting to drachtio-server at ${where}`);
    });
    this.srf.connect({
      host: this.cfg.host,
      port: this.cfg.port,
      secret: this.cfg.secret,
      reconnect: { retryMaxDelay: MAX_RETRY_DELAY_MS },
    });
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    const wasUp = this.state.get().state === 'up';
    this.state.set('disabled', 'stopped');
    if (wasUp) {
      this.srf.disconnect();
      return;
    }
    // Not connected: srf.disconnect() asserts on the missing socket and leaves drachtio-srf's
    // retry timer running, which would keep the process alive. Stop the wire protocol directly.
    const wp = (this.srf as unknown as { app?: { client?: { wp?: PendingWireProtocol } } }).app?.client?.wp;
    if (!wp) return;
    wp.closing = true;
    if (wp.reconnectVars?.retryTimer) clearTimeout(wp.reconnectVars.retryTimer);
    wp.socket?.destroy();
  }
}

/** The parts of drachtio-srf's WireProtocol (lib/wire-protocol.js) that stop() touches. */
interface PendingWireProtocol {
  closing: boolean;
  reconnectVars?: { retryTimer?: NodeJS.Timeout | null };
  socket?: { destroy(): void };
}
