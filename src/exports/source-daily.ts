import type { Knex } from 'knex';
import { parseCallFilter } from '../calls/call-filter.js';
import { applyCallFilter } from '../calls/call-queries.js';
import { CALLS_TABLE } from '../calls/call-store.js';
import { byCallsThenKey, type ReportDimension } from '../calls/source-report-query.js';
import type { CalltrackConfig } from '../config/schema.js';
import { InvalidInputError } from '../errors.js';
import { parseDimension, type SourceReportInput } from './source-report.js';
import { TimeZone } from './time-zone.js';

const BUCKET_MS = 900_000;
const MAX_DAYS = 366;

export interface DailySeries {
  key: string | null;
  calls: number;
  /** Calls per day, aligned with `days`. */
  perDay: number[];
}

export interface SourceDailyReport {
  by: ReportDimension;
  from: string;
  to: string;
  timeZone: string;
  /** Local dates (YYYY-MM-DD) in the report's zone, oldest first. */
  days: string[];
  groups: DailySeries[];
  totals: { calls: number; perDay: number[] };
}

/**
 * Calls per group per local day: the by-day view of `calltrack report sources` (same filter,
 * same zone, same groups, so the columns add up to the report's figures).
 *
 * Days are local to a zone with daylight saving, so the database cannot cut them with a fixed
 * offset. It counts per 15-minute bucket of UTC instead: every UTC offset in use is a whole
 * number of quarter hours, so no bucket straddles a local midnight, and Node folds buckets
 * into days. Only buckets that had calls come back.
 */
export class SourceDailyService {
  constructor(
    private readonly db: Knex,
    private readonly config: { readonly current: CalltrackConfig },
  ) {}

  async run(input: SourceReportInput): Promise<SourceDailyReport> {
    const cfg = this.config.current;
    const zone = TimeZone.of(input.tz ?? cfg.exports.timeZone);
    const by = parseDimension(input.by);
    for (const field of ['from', 'to'] as const) {
      if (!input[field]) throw new InvalidInputError(`${field}: required for a by-day report (a date such as 2026-11-01)`, { field });
    }
    const filter = parseCallFilter(input, { zone, defaultCountry: cfg.tracking.defaultCountry });
    const from = filter.from as number;
    const to = filter.to as number;
    const days = localDays(zone, from, to);
    if (days.length > MAX_DAYS) {
      throw new InvalidInputError(`to: a by-day report covers at most ${MAX_DAYS} days; narrow from/to`, { field: 'to' });
    }
    const column = by === 'number' ? 'tracking_number' : by === 'pool' ? 'pool_name' : by;
    const rows = (await applyCallFilter(
      this.db(CALLS_TABLE).select(this.db.raw('?? AS group_key', [column]), this.db.raw(`started_at / ${BUCKET_MS} AS bucket`)).count({ n: '*' }),
      filter,
    ).groupByRaw(`??, started_at / ${BUCKET_MS}`, [column])) as { group_key: string | null; bucket: number | string; n: number | string }[];

    const index = new Map(days.map((d, i) => [d, i]));
    const series = new Map<string | null, DailySeries>();
    const totals = { calls: 0, perDay: days.map(() => 0) };
    for (const row of rows) {
      const day = index.get(zone.formatIso(Number(row.bucket) * BUCKET_MS).slice(0, 10));
      if (day === undefined) continue;
      const n = Number(row.n);
      let s = series.get(row.group_key);
      if (!s) series.set(row.group_key, (s = { key: row.group_key, calls: 0, perDay: days.map(() => 0) }));
      s.calls += n;
      s.perDay[day] = (s.perDay[day] ?? 0) + n;
      totals.calls += n;
      totals.perDay[day] = (totals.perDay[day] ?? 0) + n;
    }
    const groups = [...series.values()].sort(byCallsThenKey);
    return { by, from: zone.formatIso(from), to: zone.formatIso(to), timeZone: zone.name, days, groups, totals };
  }
}

/** The local dates that [from, to) touches. */
function localDays(zone: TimeZone, from: number, to: number): string[] {
  const days: string[] = [];
  for (let t = from; t < to && days.length <= MAX_DAYS; ) {
    const day = zone.formatIso(t).slice(0, 10);
    days.push(day);
    const [y = 1970, m = 1, d = 1] = day.split('-').map(Number);
    t = zone.instantOf(y, m, d + 1);
  }
  return days;
}

