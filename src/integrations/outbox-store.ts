import { createHash } from 'node:crypto';
import type { Knex } from 'knex';

export const OUTBOX_TABLE = 'webhook_outbox';

type Executor = Knex | Knex.Transaction;

export type OutboxStatus = 'pending' | 'delivered' | 'failed';

export interface OutboxEntry {
  id: number;
  eventId: string;
  /** A webhook's name (or URL when unnamed), or `ga4`. */
  target: string;
  eventType: string;
  callId: string | null;
  /** The exact body to post. */
  payload: string;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: number;
  lastAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: number | null;
  createdAt: number;
  expiresAt: number | null;
}

export type NewOutboxEntry = Pick<OutboxEntry, 'eventId' | 'target' | 'eventType' | 'callId' | 'payload'>;

/**
 * A UUID-shaped event id fixed by the receiver and the call, for receivers that get one entry per
 * call (GA4, Metrica): publishing the call again (completed, then missed) inserts nothing new.
 */
export function callScopedEventId(target: string, callId: string): string {
  const h = createHash('sha256').update(`${target}:${callId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

interface OutboxRow {
  id: number;
  event_id: string;
  target: string;
  event_type: string;
  call_id: string | null;
  payload: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: number;
  last_attempt_at: number | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: number | null;
  created_at: number;
  expires_at: number | null;
}

function rowToEntry(r: OutboxRow): OutboxEntry {
  return {
    id: Number(r.id),
    eventId: r.event_id,
    target: r.target,
    eventType: r.event_type,
    callId: r.call_id,
    payload: r.payload,
    status: r.status,
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    lastAttemptAt: r.last_attempt_at === null ? null : Number(r.last_attempt_at),
    lastStatus: r.last_status,
    lastError: r.last_error,
    deliveredAt: r.delivered_at === null ? null : Number(r.delivered_at),
    createdAt: Number(r.created_at),
    expiresAt: r.expires_at === null ? null : Number(r.expires_at),
  };
}

export interface TargetSummary {
  target: string;
  pending: number;
  failed: number;
  delivered: number;
  oldestPendingAt: number | null;
}

/** Reads and writes the outbox. Methods take the executor so a publish can join a call's transaction. */
export class OutboxStore {
  /** Inserts entries; an event id already present is skipped (the GA4 hit of a call is sent once). */
  async enqueue(q: Executor, entries: NewOutboxEntry[], now: number, ttlMs: number): Promise<void> {
    if (entries.length === 0) return;
    const rows = entries.map((e) => ({
      event_id: e.eventId,
      target: e.target,
      event_type: e.eventType,
      call_id: e.callId,
      payload: e.payload,
      status: 'pending',
      attempts: 0,
      next_attempt_at: now,
      created_at: now,
      expires_at: now + ttlMs,
    }));
    await q(OUTBOX_TABLE).insert(rows).onConflict('event_id').ignore();
  }

  /**
   * Due entries that are first in line: an entry waits while an older entry for the same call
   * and target is still pending (also while that one backs off), which keeps each receiver's
   * events for a call in order. Entries in backoff or leased by another node are skipped.
   */
  async findDeliverable(q: Executor, now: number, limit: number): Promise<OutboxEntry[]> {
    const rows = (await q(`${OUTBOX_TABLE} as o`)
      .select('o.*')
      .where('o.status', 'pending')
      .andWhere('o.next_attempt_at', '<=', now)
      .andWhere((w) => w.whereNull('o.claimed_until').orWhere('o.claimed_until', '<', now))
      .whereNotExists((sub) =>
        sub
          .select(q.raw('1'))
          .from(`${OUTBOX_TABLE} as p`)
          .whereRaw('p.target = o.target')
          .andWhereRaw('p.call_id = o.call_id')
          .andWhereRaw('p.id < o.id')
          .andWhere('p.status', 'pending'),
      )
      .orderBy('o.id')
      .limit(limit)) as OutboxRow[];
    return rows.map(rowToEntry);
  }

  /**
   * Reserves a pending entry for one delivery and returns it as it is now, or undefined when it
   * is gone or someone else holds it. Read again after the claim, not taken from the batch
   * `findDeliverable` read: `calls forget` / `calls anonymise` may have rewritten the body (or
   * dropped the entry) in between, and the erased body is the one to send.
   */
  async claim(q: Executor, id: number, now: number, until: number): Promise<OutboxEntry | undefined> {
    const n = await q(OUTBOX_TABLE)
      .where({ id, status: 'pending' })
      .andWhere((w) => w.whereNull('claimed_until').orWhere('claimed_until', '<', now))
      .update({ claimed_until: until });
    if (Number(n) !== 1) return undefined;
    const row = (await q(OUTBOX_TABLE).where({ id }).first()) as OutboxRow | undefined;
    return row ? rowToEntry(row) : undefined;
  }

  async markDelivered(q: Executor, id: number, now: number, httpStatus: number | null): Promise<void> {
    await q(OUTBOX_TABLE)
      .where({ id })
      .update({ status: 'delivered', delivered_at: now, last_attempt_at: now, last_status: httpStatus, last_error: null, claimed_until: null, attempts: q.raw('attempts + 1') });
  }

  /** Records a failed attempt: retry at `retryAt`, or give up (status failed) when it is null. */
  async markAttemptFailed(
    q: Executor,
    id: number,
    attempt: { now: number; httpStatus: number | null; error: string; retryAt: number | null },
  ): Promise<void> {
    await q(OUTBOX_TABLE)
      .where({ id })
      .update({
        status: attempt.retryAt === null ? 'failed' : 'pending',
        next_attempt_at: attempt.retryAt ?? attempt.now,
        last_attempt_at: attempt.now,
        last_status: attempt.httpStatus,
        last_error: attempt.error.slice(0, 1000),
        claimed_until: null,
        attempts: q.raw('attempts + 1'),
      });
  }

  /**
   * Gives up on an entry without an attempt (it can no longer be delivered usefully): failed with
   * the reason, its attempt count left as the receiver saw it.
   */
  async markNotSendable(q: Executor, id: number, now: number, error: string): Promise<void> {
    await q(OUTBOX_TABLE).where({ id }).update({ status: 'failed', next_attempt_at: now, last_error: error.slice(0, 1000), claimed_until: null });
  }

  /** Per receiver, for `webhooks status`: what undeliveredByTarget counts, and the deliveries made. */
  async summary(q: Executor): Promise<TargetSummary[]> {
    const byTarget = new Map<string, TargetSummary>();
    for (const u of await this.undeliveredByTarget(q)) byTarget.set(u.target, { ...u, delivered: 0 });
    for (const r of await this.countByTarget(q, 'delivered')) {
      byTarget.set(r.target, { ...(byTarget.get(r.target) ?? { target: r.target, pending: 0, failed: 0, oldestPendingAt: null }), delivered: Number(r.n) });
    }
    return [...byTarget.values()].sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
  }

  /**
   * Pending and failed entries per receiver (the /metrics gauges, and `summary`). One statement
   * per status: `status = ?` walks the status index over those rows only, where `status IN (...)`
   * or a CASE per status grouped by target made SQLite scan the whole (target, status) index,
   * delivered rows and all (35 ms against 4 ms with 500,000 rows).
   */
  async undeliveredByTarget(q: Executor): Promise<Omit<TargetSummary, 'delivered'>[]> {
    const byTarget = new Map<string, Omit<TargetSummary, 'delivered'>>();
    for (const status of ['pending', 'failed'] as const) {
      for (const r of await this.countByTarget(q, status)) {
        const t = byTarget.get(r.target) ?? { target: r.target, pending: 0, failed: 0, oldestPendingAt: null };
        if (status === 'pending') {
          t.pending = Number(r.n);
          t.oldestPendingAt = r.oldest === null ? null : Number(r.oldest);
        } else {
          t.failed = Number(r.n);
        }
        byTarget.set(r.target, t);
      }
    }
    return [...byTarget.values()];
  }

  private async countByTarget(q: Executor, status: OutboxStatus) {
    return (await q(OUTBOX_TABLE).select('target').count({ n: '*' }).min({ oldest: 'created_at' }).where({ status }).groupBy('target')) as {
      target: string;
      n: number | string;
      oldest: number | string | null;
    }[];
  }

  /** Pending and failed entries, oldest first, for `webhooks status`. */
  async listUndelivered(q: Executor, limit: number): Promise<OutboxEntry[]> {
    const rows = (await q(OUTBOX_TABLE).whereIn('status', ['pending', 'failed']).orderBy('id').limit(limit)) as OutboxRow[];
    return rows.map(rowToEntry);
  }

  async listByCall(q: Executor, callId: string): Promise<OutboxEntry[]> {
    const rows = (await q(OUTBOX_TABLE).where({ call_id: callId }).orderBy('id')) as OutboxRow[];
    return rows.map(rowToEntry);
  }

  /** Every entry (any status) of these calls, for erasing a caller's data. */
  async listByCalls(q: Executor, callIds: string[]): Promise<OutboxEntry[]> {
    if (callIds.length === 0) return [];
    const rows = (await q(OUTBOX_TABLE).whereIn('call_id', callIds).orderBy('id')) as OutboxRow[];
    return rows.map(rowToEntry);
  }

  /** Replaces an entry's body and last error, leaving its status and schedule as they are. */
  async rewrite(q: Executor, id: number, change: { payload: string; lastError: string | null }): Promise<void> {
    await q(OUTBOX_TABLE).where({ id }).update({ payload: change.payload, last_error: change.lastError });
  }

  /** Deletes these entries (an erased caller's analytics hits not yet sent). */
  async deleteEntries(q: Executor, ids: number[]): Promise<void> {
    if (ids.length > 0) await q(OUTBOX_TABLE).whereIn('id', ids).delete();
  }

  /** Deletes delivered entries delivered before `before` (the outbox is a queue, not an archive). */
  async pruneDelivered(q: Executor, before: number): Promise<number> {
    return Number(await q(OUTBOX_TABLE).where({ status: 'delivered' }).andWhere('delivered_at', '<', before).delete());
  }

  /** Failed entries of one receiver (and one event), for a re-queue that must check their bodies first. */
  async listFailed(q: Executor, which: { target: string; eventId?: string }): Promise<OutboxEntry[]> {
    const qb = q(OUTBOX_TABLE).where({ status: 'failed', target: which.target });
    if (which.eventId) qb.andWhere({ event_id: which.eventId });
    return ((await qb.orderBy('id')) as OutboxRow[]).map(rowToEntry);
  }

  /** Puts failed entries back in the queue with a fresh retry window, except `keep`; returns how many. */
  async requeueFailed(q: Executor, which: { target?: string; eventId?: string }, now: number, ttlMs: number, keep: number[] = []): Promise<number> {
    const qb = q(OUTBOX_TABLE).where({ status: 'failed' });
    if (which.target) qb.andWhere({ target: which.target });
    if (which.eventId) qb.andWhere({ event_id: which.eventId });
    if (keep.length > 0) qb.whereNotIn('id', keep);
    const n = await qb.update({ status: 'pending', attempts: 0, next_attempt_at: now, expires_at: now + ttlMs, claimed_until: null });
    return Number(n);
  }
}
