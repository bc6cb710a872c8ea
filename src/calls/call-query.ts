import type { Database } from '../db/connect.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { FINAL_STATUSES, type CallRecord, type CallStatus } from './call-record.js';
import { CALLS_TABLE, rowToCall, type CallRow } from './call-store.js';

export interface CallListFilter {
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
  statuses?: CallStatus[];
  /** E.164: matches the tracking number, the caller or the target. */
  number?: string;
  limit: number;
}

export const CALL_STATUSES: readonly CallStatus[] = ['ringing', ...FINAL_STATUSES];

/** Read side of the calls table for the CLI (and later the admin API): newest first. */
export class CallQueryService {
  constructor(private readonly db: Database) {}

  async list(filter: CallListFilter): Promise<CallRecord[]> {
    const q = this.db(CALLS_TABLE).select('*').orderBy('started_at', 'desc').orderBy('id', 'desc').limit(filter.limit);
    if (filter.from !== undefined) q.where('started_at', '>=', filter.from);
    if (filter.to !== undefined) q.where('started_at', '<', filter.to);
    if (filter.statuses?.length) q.whereIn('status', filter.statuses);
    if (filter.number) {
      const n = filter.number;
      q.where((w) => w.where('tracking_number', n).orWhere('caller_number', n).orWhere('forwarded_to', n));
    }
    return ((await q) as CallRow[]).map(rowToCall);
  }

  /** By calltrack's id (as in X-Calltrack-Call-Id) or by the SIP Call-ID of the caller's leg. */
  async show(id: string): Promise<CallRecord> {
    const row = (await this.db(CALLS_TABLE).where({ id }).orWhere({ sip_call_id: id }).first()) as CallRow | undefined;
    if (!row) throw new NotFoundError(`no call with id or SIP Call-ID "${id}": see \`calltrack calls list\` for ids`);
    return rowToCall(row);
  }
}

/** `2026-11-23` (a whole day, UTC) or an ISO date-time with offset; `end` makes a date mean the end of that day. */
export function parseTimeBound(value: string, option: string, end: boolean): number {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const ms = Date.parse(dateOnly ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms)) {
    throw new InvalidInputError(`${option} "${value}" is not a date: use 2026-11-23 (UTC day) or 2026-11-23T14:00:00+03:00`);
  }
  return dateOnly && end ? ms + 24 * 3600 * 1000 : ms;
}

export function parseStatuses(value: string): CallStatus[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of list) {
    if (!CALL_STATUSES.includes(s as CallStatus)) {
      throw new InvalidInputError(`--status "${s}" is not a call status: use one or more of ${CALL_STATUSES.join(', ')} (comma-separated)`);
    }
  }
  return list as CallStatus[];
}
