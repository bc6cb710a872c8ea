import { Counter, type Registry } from 'prom-client';
import type { CalltrackConfig } from '../config/schema.js';
import type { ShownNumberType } from './visit-store.js';

/** What VisitService reports once a visit's answer has committed (VisitMetrics, or nothing). */
export interface VisitObserver {
  visitStarted(pool: string | null, type: ShownNumberType): void;
  pinged(): void;
  released(): void;
}

/**
 * Visit counters for GET /metrics, counted in this process (several nodes: sum them). They are
 * on the visit path (thousands a second), so each is a label lookup in memory and nothing more:
 * no database work here, ever.
 */
export class VisitMetrics implements VisitObserver {
  private readonly started: Counter<'pool' | 'type'>;
  private readonly pings: Counter;
  private readonly releases: Counter;

  constructor(registry: Registry, config: { readonly current: CalltrackConfig }) {
    this.started = new Counter({
      name: 'calltrack_visits_started_total',
      help: 'New-visit requests answered, by the number shown (dynamic, fallback, static, none) and pool ("" without one); a second tab that goes on with its visit counts too',
      labelNames: ['pool', 'type'],
      registers: [registry],
      // Each configured pool's series exist before its first visit, so rate() sees the first ones.
      collect() {
        for (const pool of config.current.pools) {
          this.inc({ pool: pool.name, type: 'dynamic' }, 0);
          this.inc({ pool: pool.name, type: pool.fallbackNumber ? 'fallback' : 'none' }, 0);
        }
      },
    });
    this.pings = new Counter({ name: 'calltrack_visit_pings_total', help: 'Pings of open pages (each keeps its hold alive)', registers: [registry] });
    this.releases = new Counter({ name: 'calltrack_visit_releases_total', help: 'Pages that said goodbye (their hold ends holdMinutes later)', registers: [registry] });
  }

  visitStarted(pool: string | null, type: ShownNumberType): void {
    this.started.inc({ pool: pool ?? '', type });
  }

  pinged(): void {
    this.pings.inc();
  }

  released(): void {
    this.releases.inc();
  }
}
