import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import type { CalltrackConfig } from '../config/schema.js';
import { receiverLabels } from './delivery-targets.js';
import { GA4_TARGET, ga4NotSendable } from './ga4.js';
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

  /**
   * Re-queues failed deliveries (all, one receiver's, or one event); they get a fresh 24 h window.
   * GA4 hits GA4 would no longer take (ga4.ts) stay failed, with that reason as their last error:
   * re-queued they would only fail again, and `retry` would claim to have sent what cannot arrive.
   */
  async retry(which: { target?: string; eventId?: string }): Promise<RetryResult> {
    const now = this.clock.now();
    const stale: number[] = [];
    if (which.target === undefined || which.target === GA4_TARGET) {
      for (const entry of await this.store.listFailed(this.db, { target: GA4_TARGET, ...(which.eventId ? { eventId: which.eventId } : {}) })) {
        const notSendable = ga4NotSendable(entry.payload, now);
        if (!notSendable) continue;
        stale.push(entry.id);
        if (notSendable.error && entry.lastError !== notSendable.error) await this.store.markNotSendable(this.db, entry.id, now, notSendable.error);
      }
    }
    const requeued = await this.store.requeueFailed(this.db, which, now, this.retryWindowMs, stale);
    return { requeued, tooOldForGa4: stale.length };
  }
}

export interface RetryResult {
  requeued: number;
  /** Failed GA4 hits left failed: their event is older than GA4 takes (72 h). */
  tooOldForGa4: number;
}

export function formatRetryResult(r: RetryResult): string {
  const lines = [r.requeued === 0 ? 'no failed deliveries to re-queue' : `re-queued ${r.requeued} deliver${r.requeued === 1 ? 'y' : 'ies'}`];
  if (r.tooOldForGa4 > 0) {
    lines.push(
      `left ${r.tooOldForGa4} GA4 hit${r.tooOldForGa4 === 1 ? '' : 's'} failed: the call is more than 72 h old, and GA4 discards such events ` +
        'while answering 2xx. The calls stay in calltrack\'s reports and `calltrack export calls`; `webhooks status` lists them',
    );
  }
  return lines.join('\n');
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
