import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import type { CalltrackConfig } from '../config/schema.js';
import { receiverLabels } from './delivery-targets.js';
import type { OutboxEntry, OutboxStore, TargetSummary } from './outbox-store.js';

export interface OutboxStatus {
  targets: (TargetSummary & { configured: boolean })[];
  /** Pending and failed deliveries, oldest first (at most `limit`). */
  undelivered: Omit<OutboxEntry, 'payload'>[];
}

/** What `calltrack webhooks status` and `webhooks retry` do, on the database the server uses. */
export class OutboxAdmin {
  constructor(
    private readonly db: Knex,
    private readonly store: OutboxStore,
    private readonly config: { readonly current: CalltrackConfig },
    private readonly clock: Clock,
    private readonly retryWindowMs: number,
  ) {}

  async status(limit = 50): Promise<OutboxStatus> {
    const cfg = this.config.current;
    const configured = new Set(receiverLabels(cfg).keys());
    const summaries = await this.store.summary(this.db);
    for (const name of configured) {
      if (!summaries.some((s) => s.target === name)) {
        summaries.push({ target: name, pending: 0, failed: 0, delivered: 0, oldestPendingAt: null });
      }
    }
    const undelivered = (await this.store.listUndelivered(this.db, limit)).map(({ payload: _payload, ...rest }) => rest);
    return { targets: summaries.map((s) => ({ ...s, configured: configured.has(s.target) })), undelivered };
  }

  /** Re-queues failed deliveries (all, one receiver's, or one event); they get a fresh 24 h window. */
  async retry(which: { target?: string; eventId?: string }): Promise<number> {
    return this.store.requeueFailed(this.db, which, this.clock.now(), this.retryWindowMs);
  }
}

export function formatOutboxStatus(status: OutboxStatus, now: number): string {
  if (status.targets.length === 0) return 'no webhooks, GA4 or Metrica configured, and nothing in the outbox';
  const ago = (ms: number) => {
    const s = Math.max(0, Math.round((now - ms) / 1000));
    return s < 120 ? `${s} s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
  };
  const lines = status.targets.map(
    (t) =>
      `${t.target}${t.configured ? '' : ' (no longer configured)'}: ${t.pending} pending, ${t.failed} failed, ${t.delivered} delivered` +
      (t.oldestPendingAt === null ? '' : `; oldest pending queued ${ago(t.oldestPendingAt)}`),
  );
  if (status.undelivered.length > 0) {
    lines.push('', 'undelivered (oldest first):');
    for (const e of status.undelivered) {
      const next = e.status === 'pending' ? `next attempt ${e.nextAttemptAt <= now ? 'now' : `in ${Math.round((e.nextAttemptAt - now) / 1000)} s`}` : 'gave up';
      lines.push(
        `  ${e.status.padEnd(7)} ${e.target} ${e.eventType} call ${e.callId ?? '-'} event ${e.eventId}: ${e.attempts} attempt${e.attempts === 1 ? '' : 's'}, ${next}${e.lastError ? `; last error: ${e.lastError}` : ''}`,
      );
    }
    if (status.undelivered.some((e) => e.status === 'failed')) lines.push('', 're-queue failed deliveries with: calltrack webhooks retry [--target NAME]');
  }
  return lines.join('\n');
}
