import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { isDeepStrictEqual } from 'node:util';
import type { Clock } from '../clock.js';
import type { LiveConfig } from '../config/live-config.js';
import type { CalltrackConfig, RegisterConfig } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import type { ComponentHealth } from '../health.js';
import type { Timers } from '../media/media-port.js';
import { Registration, type RegistrationStatus } from './registration.js';

/** How long a stop waits for the registrars to confirm the removal of our bindings. */
const UNREGISTER_TIMEOUT_MS = 3_000;

export interface RegistrarDeps {
  srf: Srf;
  config: LiveConfig;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  metrics: Registry;
}

/**
 * Outbound registration for trunks with a `register` block: providers that deliver calls only
 * to a registered SIP account. Nothing is sent until drachtio-server is connected; every
 * (re)connect registers again (drachtio-server may have restarted with another address). A
 * reload adds, changes and removes bindings. A stop removes them (Expires: 0): until calltrack
 * is back, the provider treats the account as offline (its own forwarding or voicemail) instead
 * of sending calls to a drachtio-server with no application, and a restart registers again as
 * soon as it connects.
 */
export class Registrar {
  private readonly bindings = new Map<string, Registration>();
  private connected = false;
  private started = false;
  private readonly failures: Counter<'trunk' | 'status'>;

  constructor(private readonly deps: RegistrarDeps) {
    const bindings = this.bindings;
    new Gauge({
      name: 'calltrack_sip_registration_up',
      help: 'Outbound SIP registration per trunk: 1 registered, 0 failing or not yet registered (no calls arrive from that account)',
      labelNames: ['trunk'],
      registers: [deps.metrics],
      collect() {
        this.reset();
        for (const b of bindings.values()) this.set({ trunk: b.trunk }, b.current().phase === 'registered' ? 1 : 0);
      },
    });
    this.failures = new Counter({
      name: 'calltrack_sip_registration_failures_total',
      help: 'REGISTER attempts that failed, by trunk and the registrar\'s status (timeout, error: no answer, not sent)',
      labelNames: ['trunk', 'status'],
      registers: [deps.metrics],
    });
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.deps.srf.on('connect', this.onConnect);
    this.deps.srf.on('close', this.onClose);
    this.deps.config.on('change', this.onConfig);
    this.onConfig(this.deps.config.current);
  }

  /** Removes our bindings (while drachtio-server is there to send it) and clears every timer. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.deps.srf.off('connect', this.onConnect);
    this.deps.srf.off('close', this.onClose);
    this.deps.config.off('change', this.onConfig);
    const all = [...this.bindings.values()];
    this.bindings.clear();
    await Promise.all(all.map((b) => b.stop(this.connected, UNREGISTER_TIMEOUT_MS)));
  }

  states(): RegistrationStatus[] {
    return [...this.bindings.values()].map((b) => b.current());
  }

  /** /healthz: `down` (degraded) while one fails, `connecting` until each has registered once. */
  health(): ComponentHealth {
    const all = this.states();
    if (all.length === 0) return { state: 'disabled' };
    const state = all.some((s) => s.phase === 'failing') ? 'down' : all.some((s) => s.phase === 'not-registered') ? 'connecting' : 'up';
    return { state, detail: all.map(describe).join('; '), since: Math.max(...all.map((s) => s.since)) };
  }

  private readonly onConnect = (err: Error | null): void => {
    if (err) return;
    this.connected = true;
    for (const b of this.bindings.values()) b.start();
  };

  private readonly onClose = (): void => {
    this.connected = false;
    for (const b of this.bindings.values()) b.pause();
  };

  private readonly onConfig = (next: CalltrackConfig): void => {
    void this.apply(next).catch((err: unknown) => this.deps.logger.error({ err: errorMessage(err) }, 'applying the SIP registrations of the new configuration failed'));
  };

  private async apply(cfg: CalltrackConfig): Promise<void> {
    const wanted = new Map<string, RegisterConfig>();
    for (const t of cfg.sip.trunks) if (t.register) wanted.set(t.name, t.register);
    const removals: Promise<void>[] = [];
    for (const [trunk, binding] of [...this.bindings]) {
      const next = wanted.get(trunk);
      if (!next) {
        this.bindings.delete(trunk);
        this.deps.logger.info({ trunk }, 'SIP registration no longer configured: removing it');
        removals.push(binding.stop(this.connected, UNREGISTER_TIMEOUT_MS));
      } else if (!binding.sameBinding(next)) {
        // Another AOR, registrar or Contact: the old binding goes first, so its removal cannot
        // arrive after (and delete) a new binding with the same Contact.
        const fresh = this.create(trunk, next);
        removals.push(binding.stop(this.connected, UNREGISTER_TIMEOUT_MS).then(() => this.startIfCurrent(fresh)));
      } else if (!isDeepStrictEqual(binding.config, next)) {
        binding.update(next);
        if (this.connected) binding.start();
      }
    }
    for (const [trunk, next] of wanted) {
      if (!this.bindings.has(trunk)) this.startIfCurrent(this.create(trunk, next));
    }
    await Promise.all(removals);
  }

  private create(trunk: string, cfg: RegisterConfig): Registration {
    const registration = new Registration(trunk, cfg, {
      srf: this.deps.srf,
      clock: this.deps.clock,
      timers: this.deps.timers,
      logger: this.deps.logger,
      onFailure: (t, status) => this.failures.inc({ trunk: t, status }),
    });
    this.bindings.set(trunk, registration);
    return registration;
  }

  private startIfCurrent(registration: Registration): void {
    if (this.connected && this.bindings.get(registration.trunk) === registration) registration.start();
  }
}

function describe(s: RegistrationStatus): string {
  const at = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString());
  const head = `${s.trunk} (${s.aor})`;
  if (s.phase === 'registered') return `${head}: registered until ${at(s.until)}`;
  if (s.phase === 'failing') {
    const held = s.until ? `, still registered until ${at(s.until)}` : '';
    return `${head}: failing: ${s.lastStatus} ${s.lastReason ?? ''}${held}; next try ${at(s.nextAt)}`.replace(/ {2,}/g, ' ');
  }
  return `${head}: not registered (${s.lastReason ?? 'registering'})`;
}
