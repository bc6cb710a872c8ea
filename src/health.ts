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

/** Components (database, drachtio, FreeSWITCH) register a probe; /healthz reads them all. */
export class HealthRegistry {
  private readonly probes = new Map<string, HealthProbe>();

  register(name: string, probe: HealthProbe): void {
    this.probes.set(name, probe);
  }

  async report(): Promise<HealthReport> {
    const components: Record<string, ComponentHealth> = {};
    for (const [name, probe] of this.probes) {
      try {
        components[name] = await probe();
      } catch (err) {
        components[name] = { state: 'down', detail: err instanceof Error ? err.message : String(err) };
      }
    }
    const all = Object.values(components);
    const criticalDown = all.some((c) => c.critical && c.state !== 'up');
    const anyDown = all.some((c) => c.state === 'down' || c.state === 'connecting');
    return { status: criticalDown ? 'down' : anyDown ? 'degraded' : 'ok', components };
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
