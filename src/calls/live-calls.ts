import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import type { CalltrackConfig } from '../config/schema.js';
import { callToJson, type CallJson } from './call-json.js';
import { CALLS_TABLE, rowToCall, type CallRow } from './call-store.js';
import { isTargetCall, targetCallRules } from './target-call.js';

/**
 * A row still "in progress" older than this is a leftover of a crash (the call path never wrote
 * its end); it would otherwise sit on the live board forever.
 */
export const STALE_AFTER_MS = 12 * 3_600_000;
const MAX_LIVE = 200;

/** Calls ringing or talking right now, for the dashboard's live board (polled every few seconds). */
export class LiveCallsService {
  constructor(
    private readonly db: Knex,
    private readonly config: { readonly current: CalltrackConfig },
    private readonly clock: Clock,
  ) {}

  async list(): Promise<{ calls: CallJson[]; at: string }> {
    const now = this.clock.now();
    // ended_at IS NULL is what "in progress" means: a finished answered call keeps status answered.
    const rows = (await this.db(CALLS_TABLE)
      .select('*')
      .whereNull('ended_at')
      .whereIn('status', ['ringing', 'answered'])
      .andWhere('started_at', '>=', now - STALE_AFTER_MS)
      .orderBy([{ column: 'started_at', order: 'desc' }, { column: 'id', order: 'desc' }])
      .limit(MAX_LIVE)) as CallRow[];
    const cfg = this.config.current;
    const rules = targetCallRules(cfg);
    const calls = rows.map(rowToCall).map((c) => callToJson(c, { publicUrl: cfg.http.publicUrl, targetCall: isTargetCall(c, rules) }));
    return { calls, at: new Date(now).toISOString() };
  }
}
