import { Gauge } from 'prom-client';
import type { Clock } from '../clock.js';
import type { CalltrackConfig } from '../config/schema.js';
import type { Database } from '../db/connect.js';
import type { DatabaseScrape, ScrapeSource } from '../db/database-scrape.js';
import { receiverLabels } from './delivery-targets.js';
import type { OutboxStore } from './outbox-store.js';

/**
 * The webhook/GA4 outbox for GET /metrics, read at scrape time (what `calltrack webhooks status`
 * shows), per configured receiver. The outbox is shared by every node on one database, so every
 * node reports the same values: aggregate with max(). Entries of receivers no longer configured
 * are left out (`webhooks status` lists them).
 */
export class OutboxMetrics implements ScrapeSource {
  readonly name = 'webhooks';
  private readonly pending: Gauge<'receiver'>;
  private readonly failed: Gauge<'receiver'>;
  private readonly oldestAge: Gauge<'receiver'>;

  constructor(
    scrape: DatabaseScrape,
    private readonly d: { db: Database; store: OutboxStore; config: { readonly current: CalltrackConfig }; clock: Clock },
  ) {
    const collect = () => scrape.sample();
    const gauge = (name: string, help: string) => new Gauge({ name, help, labelNames: ['receiver'], registers: [scrape.registry], collect });
    this.pending = gauge('calltrack_webhook_deliveries_pending', 'Deliveries waiting to be sent or retried');
    this.failed = gauge('calltrack_webhook_deliveries_failed', 'Deliveries given up on (re-queue with `calltrack webhooks retry`; GA4 hits more than 72 h old cannot be)');
    this.oldestAge = gauge('calltrack_webhook_oldest_pending_age_seconds', 'Age of the oldest pending delivery (0 when none): a receiver that stays down makes it grow');
    scrape.add(this);
  }

  async read(): Promise<() => void> {
    const rows = await this.d.store.undeliveredByTarget(this.d.db);
    const now = this.d.clock.now();
    return () => {
      this.omit();
      for (const [target, receiver] of receiverLabels(this.d.config.current)) {
        const row = rows.find((r) => r.target === target);
        const oldest = row?.oldestPendingAt ?? null;
        this.pending.set({ receiver }, row?.pending ?? 0);
        this.failed.set({ receiver }, row?.failed ?? 0);
        this.oldestAge.set({ receiver }, oldest === null ? 0 : Math.max(0, now - oldest) / 1000);
      }
    };
  }

  omit(): void {
    this.pending.reset();
    this.failed.reset();
    this.oldestAge.reset();
  }
}
