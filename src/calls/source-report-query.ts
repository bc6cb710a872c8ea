import type { Knex } from 'knex';
import { MISSED_STATUSES, type CallFilter } from './call-filter.js';
import { applyCallFilter } from './call-queries.js';
import { CALLS_TABLE } from './call-store.js';
import { countVisits, type VisitCountFilter, type VisitDimensionColumn } from '../tracking/visit-counts.js';
import { targetCallSql, type TargetCallRules } from './target-call.js';

export type ReportDimension = 'source' | 'medium' | 'campaign' | 'term' | 'number' | 'pool';
export const REPORT_DIMENSIONS: readonly ReportDimension[] = ['source', 'medium', 'campaign', 'term', 'number', 'pool'];

const DIMENSION_COLUMN: Record<ReportDimension, string> = {
  source: 'source',
  medium: 'medium',
  campaign: 'campaign',
  term: 'term',
  number: 'tracking_number',
  pool: 'pool_name',
};

export interface ReportRow {
  /** The group's value; null for calls without one (e.g. no campaign). */
  key: string | null;
  calls: number;
  /** Distinct caller numbers (anonymous callers are not counted). */
  uniqueCallers: number;
  /** Distinct callers whose call here was their first within tracking.repeatCallDays. */
  firstTimeCallers: number;
  answered: number;
  missed: number;
  targetCalls: number;
  /** Mean talk time of the answered calls, in seconds (one decimal); null without any. */
  avgTalkSeconds: number | null;
  /**
   * Website visits that began in the period with this value (crawlers left out); null when the
   * filter has a criterion visits do not have (status, caller).
   */
  visits: number | null;
  /** Calls that came while the number's schedule was closed (went to afterHoursForwardTo). */
  afterHoursCalls: number;
  /** Distinct visits the group's calls were credited to. */
  visitsWithCalls: number;
  /** visitsWithCalls / visits in percent (one decimal); null without visits. */
  conversionPercent: number | null;
}

/**
 * One aggregate query per report (groups, then totals): the database does the counting, so a
 * year of calls costs one indexed scan and no rows travel to Node. Totals are computed on their
 * own because unique callers do not add up across groups.
 */
export async function querySourceReport(
  db: Knex,
  filter: CallFilter,
  by: ReportDimension,
  rules: TargetCallRules,
): Promise<{ groups: ReportRow[]; totals: ReportRow }> {
  const column = DIMENSION_COLUMN[by];
  const grouped = (await measures(db, applyCallFilter(db(CALLS_TABLE).select(db.raw('?? AS group_key', [column])), filter), rules)
    .groupBy(column)) as RawRow[];
  const [total] = (await measures(db, applyCallFilter(db(CALLS_TABLE).select(db.raw('NULL AS group_key')), filter), rules)) as RawRow[];
  const visitFilter = visitFilterOf(filter);
  const visitsBy = visitFilter ? await countVisits(db, visitFilter, VISIT_COLUMN[by]) : undefined;
  const visitTotal = visitFilter ? ((await countVisits(db, visitFilter, null)).get(null) ?? 0) : null;
  const groups = grouped.map((r) => toReportRow(r, visitsBy ? (visitsBy.get(r.group_key) ?? 0) : null));
  // Values with visits and no call are groups too: a campaign that brings visitors who never call
  // is what an analyst most needs to see.
  const withCalls = new Set(grouped.map((r) => r.group_key));
  for (const [key, visits] of visitsBy ?? []) if (!withCalls.has(key)) groups.push(toReportRow({ ...EMPTY, group_key: key }, visits));
  return { groups: groups.sort(byCallsThenKey), totals: toReportRow(total ?? EMPTY, visitTotal) };
}

const VISIT_COLUMN: Record<ReportDimension, VisitDimensionColumn> = {
  source: 'source',
  medium: 'medium',
  campaign: 'campaign',
  term: 'term',
  number: 'number',
  pool: 'pool_name',
};

/** The call filter's criteria visits have too; undefined when it has one they do not (status, caller). */
function visitFilterOf(filter: CallFilter): VisitCountFilter | undefined {
  if (filter.statuses !== undefined || filter.callerNumber !== undefined) return undefined;
  const { from, to, source, medium, campaign, trackingNumber } = filter;
  return Object.fromEntries(Object.entries({ from, to, source, medium, campaign, number: trackingNumber }).filter(([, v]) => v !== undefined));
}

/**
 * Most calls first, ties by key in code-point order, no key last. Sorted here, not in SQL:
 * SQLite compares text bytewise and puts NULL first, PostgreSQL uses the database's collation
 * and puts NULL last, and a report must not change order when the database does.
 */
export function byCallsThenKey(a: { calls: number; key: string | null }, b: { calls: number; key: string | null }): number {
  if (a.calls !== b.calls) return b.calls - a.calls;
  if (a.key === b.key) return 0;
  if (a.key === null) return 1;
  if (b.key === null) return -1;
  return a.key < b.key ? -1 : 1;
}

function measures(db: Knex, qb: Knex.QueryBuilder, rules: TargetCallRules): Knex.QueryBuilder {
  const target = targetCallSql(rules);
  const missed = MISSED_STATUSES.map(() => '?').join(', ');
  return qb.select(
    db.raw('COUNT(*) AS calls'),
    db.raw('COUNT(DISTINCT caller_number) AS unique_callers'),
    db.raw('COUNT(DISTINCT CASE WHEN first_call = ? THEN caller_number END) AS first_time_callers', [true]),
    db.raw('SUM(CASE WHEN answered_at IS NOT NULL THEN 1 ELSE 0 END) AS answered'),
    db.raw(`SUM(CASE WHEN status IN (${missed}) THEN 1 ELSE 0 END) AS missed`, [...MISSED_STATUSES]),
    db.raw(`SUM(CASE WHEN ${target.sql} THEN 1 ELSE 0 END) AS target_calls`, target.bindings),
    db.raw('AVG(CASE WHEN answered_at IS NOT NULL THEN talk_seconds END) AS avg_talk_seconds'),
    db.raw('COUNT(DISTINCT visit_id) AS visits_with_calls'),
    db.raw('SUM(CASE WHEN after_hours = ? THEN 1 ELSE 0 END) AS after_hours_calls', [true]),
  );
}

interface RawRow {
  group_key: string | null;
  calls: unknown;
  unique_callers: unknown;
  first_time_callers: unknown;
  answered: unknown;
  missed: unknown;
  target_calls: unknown;
  avg_talk_seconds: unknown;
  visits_with_calls: unknown;
  after_hours_calls: unknown;
}

const EMPTY: RawRow = {
  group_key: null,
  calls: 0,
  unique_callers: 0,
  first_time_callers: 0,
  answered: 0,
  missed: 0,
  target_calls: 0,
  avg_talk_seconds: null,
  visits_with_calls: 0,
  after_hours_calls: 0,
};

// PostgreSQL returns COUNT/SUM as strings (bigint/numeric) and SQLite as numbers; SUM of no rows is NULL.
const n = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

function toReportRow(r: RawRow, visits: number | null): ReportRow {
  const visitsWithCalls = n(r.visits_with_calls);
  return {
    key: r.group_key,
    calls: n(r.calls),
    uniqueCallers: n(r.unique_callers),
    firstTimeCallers: n(r.first_time_callers),
    answered: n(r.answered),
    missed: n(r.missed),
    targetCalls: n(r.target_calls),
    avgTalkSeconds: r.avg_talk_seconds === null || r.avg_talk_seconds === undefined ? null : Math.round(Number(r.avg_talk_seconds) * 10) / 10,
    afterHoursCalls: n(r.after_hours_calls),
    visits,
    visitsWithCalls,
    conversionPercent: visits ? Math.round((visitsWithCalls / visits) * 1000) / 10 : null,
  };
}
