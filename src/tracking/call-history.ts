import type { Knex } from 'knex';
import { CALLS_TABLE, rowToCall, type CallRow } from '../calls/call-store.js';
import type { CallRecord } from '../calls/call-record.js';

type Executor = Knex | Knex.Transaction;

/**
 * The read-only questions number tracking asks of the `calls` table (the calls feature owns
 * the writes): a caller's earlier calls, and when each number last rang.
 */
export class CallHistory {
  /** The caller's earliest call in [from, before), on any tracking number. */
  async firstCallBetween(q: Executor, callerNumber: string, from: number, before: number): Promise<CallRecord | undefined> {
    const row = (await q(CALLS_TABLE)
      .where({ caller_number: callerNumber })
      .andWhere('started_at', '>=', from)
      .andWhere('started_at', '<', before)
      .orderBy([{ column: 'started_at', order: 'asc' }, { column: 'id', order: 'asc' }])
      .first()) as CallRow | undefined;
    return row ? rowToCall(row) : undefined;
  }

  /** tracking number → epoch ms of its latest call. */
  async lastCallTimes(q: Executor): Promise<Map<string, number>> {
    const rows = (await q(CALLS_TABLE).select('tracking_number').max({ last: 'started_at' }).groupBy('tracking_number')) as {
      tracking_number: string;
      last: number | string | null;
    }[];
    return new Map(rows.filter((r) => r.last !== null).map((r) => [r.tracking_number, Number(r.last)]));
  }

  /** Calls on the pool's numbers since `since` (the pool "still counts the call" when unattributed). */
  async countPoolCalls(q: Executor, poolName: string, since: number): Promise<{ total: number; unattributed: number }> {
    const rows = (await q(CALLS_TABLE)
      .select('attribution_type')
      .count({ n: '*' })
      .where({ pool_name: poolName })
      .andWhere('started_at', '>=', since)
      .groupBy('attribution_type')) as { attribution_type: string | null; n: number | string }[];
    let total = 0;
    let unattributed = 0;
    for (const r of rows) {
      total += Number(r.n);
      if (r.attribution_type === 'unattributed') unattributed += Number(r.n);
    }
    return { total, unattributed };
  }

  /**
   * The visits the caller's calls in [from, before) were credited to, latest first: who this
   * caller is, as far as attribution knows (the caller-history tie-break).
   */
  async callerVisits(q: Executor, callerNumber: string, from: number, before: number): Promise<CallerVisit[]> {
    const rows = (await q(CALLS_TABLE)
      .join('visits', 'visits.id', `${CALLS_TABLE}.visit_id`)
      .select(`${CALLS_TABLE}.visit_id`, 'visits.visitor_id', `${CALLS_TABLE}.tracking_number`, `${CALLS_TABLE}.started_at`)
      .where(`${CALLS_TABLE}.caller_number`, callerNumber)
      .andWhere(`${CALLS_TABLE}.started_at`, '>=', from)
      .andWhere(`${CALLS_TABLE}.started_at`, '<', before)
      .orderBy(`${CALLS_TABLE}.started_at`, 'desc')
      .limit(20)) as { visit_id: string; visitor_id: string; tracking_number: string; started_at: number }[];
    return rows.map((r) => ({ visitId: r.visit_id, visitorId: r.visitor_id, trackingNumber: r.tracking_number, at: Number(r.started_at) }));
  }

  /**
   * Minutes after its visit's last activity that each call credited to a pool visit came
   * (0 when the page was still open): the late-call tail the pool advisor sizes for.
   */
  async poolCallDelays(q: Executor, poolName: string, since: number): Promise<number[]> {
    const rows = (await q(CALLS_TABLE)
      .join('visits', 'visits.id', `${CALLS_TABLE}.visit_id`)
      .select(`${CALLS_TABLE}.started_at`, 'visits.last_seen_at')
      .where(`${CALLS_TABLE}.pool_name`, poolName)
      .andWhere(`${CALLS_TABLE}.attribution_type`, 'dynamic')
      .andWhere(`${CALLS_TABLE}.started_at`, '>=', since)) as { started_at: number | string; last_seen_at: number | string }[];
    return rows.map((r) => Math.max(0, Number(r.started_at) - Number(r.last_seen_at)) / 60_000);
  }
}

export interface CallerVisit {
  visitId: string;
  visitorId: string;
  trackingNumber: string;
  at: number;
}
