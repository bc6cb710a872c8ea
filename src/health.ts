import { Gauge, type Registry } from 'prom-client';

export type ComponentState = 'up' | 'down' | 'connecting' | 'disabled';

export interface ComponentHealth {
  state: ComponentState;
  /** Why it is not up, or where it is connected. */
  detail?: string;
  /** When the state last changed (epoch ms). */
  since?: number;
  /** Whether calltrack can serve its purpose without it (HTTP answers 503 when a critical one is down). */
  critical?: boolean;
}

export type HealthProbe = () => ComponentHealth | Promise<ComponentHealth>;

export interface HealthReport {
  status: 'ok' | 'degraded' | 'down';
  components: Record<string, ComponentHealth>;
}

/**
 * Components (database, drachtio, FreeSWITCH) register a probe; /healthz reads them all. Given a
 * metrics registry, /metrics gets `calltrack_component_up{component}` too (1 up, 0 down or still
 * connecting, no series when disabled), so Prometheus can alert on a lost drachtio-server (no
 * calls arrive) or FreeSWITCH (calls go unrecorded). A probe registered with `metric: false` is
 * left out: the database's is a query, which /metrics runs once, within its time limit
 * (`calltrack_database_up`, DatabaseScrape), where a hung database cannot hang the scrape.
 */
export class HealthRegistry {
  private readonly probes = new Map<string, HealthProbe>();
  private readonly inMetrics = new Set<string>();

  constructor(metrics?: Registry) {
    if (!metrics) return;
    const probes = this.probes;
    const names = this.inMetrics;
    new Gauge({
      name: 'calltrack_component_up',
      help: 'Whether a component /healthz reports (drachtio, freeswitch, sip-registrations, webhooks) is up: 1 up, 0 down or connecting; absent when disabled',
      labelNames: ['component'],
      registers: [metrics],
      async collect() {
        this.reset();
        for (const [name, probe] of probes) {
          if (!names.has(name)) continue;
          const health = await check(probe);
          if (health.state !== 'disabled') this.set({ component: name }, health.state === 'up' ? 1 : 0);
        }
      },
    });
  }

  register(name: string, probe: HealthProbe, opts: { metric?: boolean } = {}): void {
    this.probes.set(name, probe);
    if (opts.metric ?? true) this.inMetrics.add(name);
  }

  async report(): Promise<HealthReport> {
    const components: Record<string, ComponentHealth> = {};
    for (const [name, probe] of this.probes) components[name] = await check(probe);
    const all = Object.values(components);
    const criticalDown = all.some((c) => c.critical && c.state !== 'up');
    const anyDown = all.some((c) => c.state === 'down' || c.state === 'connecting');
    return { status: criticalDown ? 'down' : anyDown ? 'degraded' : 'ok', components };
  }
}

/** A probe that throws reports its component down with the reason. */
async function check(probe: HealthProbe): Promise<ComponentHealth> {
  try {
    return await probe();
  } catch (err) {
    return { state: 'down', detail: err instanceof Error ? err.message : String(err) };
  }
}

/** Keeps the state of one connection and when it changed, for a health probe. */
export class ConnectionState {
  private current: ComponentHealth;

  constructor(initial: ComponentState, detail?: string) {
    this.current = { state: initial, since: Date.now(), ...(detail ? { detail } : {}) };
  }

  set(state: ComponentState, detail?: string): void {
    if (state === this.current.state && detail === this.current.detail) return;
    this.current = { state, since: state === this.current.state ? this.current.since : Date.now(), ...(detail ? { detail } : {}) };
  }

  get(): ComponentHealth {
    return { ...this.current };
  }
}
