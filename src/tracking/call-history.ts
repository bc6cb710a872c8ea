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
}
