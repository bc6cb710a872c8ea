import type { Knex } from 'knex';
import { parseCallFilter, type CallFilterInput } from '../calls/call-filter.js';
import { REPORT_DIMENSIONS, querySourceReport, type ReportDimension, type ReportRow } from '../calls/source-report-query.js';
import { targetCallRules } from '../calls/target-call.js';
import type { CalltrackConfig } from '../config/schema.js';
import { InvalidInputError } from '../errors.js';
import { TimeZone } from './time-zone.js';

export interface SourceReportInput extends CallFilterInput {
  by?: string | undefined;
  tz?: string | undefined;
}

export interface SourceReport {
  by: ReportDimension;
  /** The period as asked, in the report's zone (null when open-ended). */
  from: string | null;
  to: string | null;
  timeZone: string;
  targetCall: { minTalkSeconds: number; requireFirstCall: boolean };
  groups: ReportRow[];
  totals: ReportRow;
}

/** "Which sources bring calls": the same numbers for `calltrack report sources` and `GET /v1/reports/sources`. */
export class SourceReportService {
  constructor(
    private readonly db: Knex,
    private readonly config: { readonly current: CalltrackConfig },
  ) {}

  async run(input: SourceReportInput): Promise<SourceReport> {
    const cfg = this.config.current;
    const zone = TimeZone.of(input.tz ?? cfg.exports.timeZone);
    const by = parseDimension(input.by);
    const filter = parseCallFilter(input, { zone, defaultCountry: cfg.tracking.defaultCountry });
    const rules = targetCallRules(cfg);
    const { groups, totals } = await querySourceReport(this.db, filter, by, rules);
    return {
      by,
      from: filter.from === undefined ? null : zone.formatIso(filter.from),
      to: filter.to === undefined ? null : zone.formatIso(filter.to),
      timeZone: zone.name,
      targetCall: { minTalkSeconds: rules.minTalkSeconds, requireFirstCall: rules.requireFirstCall },
      groups,
      totals,
    };
  }
}

/** `--by` / `?by=`: a grouping the report knows, `source` when not given. */
export function parseDimension(text: string | undefined): ReportDimension {
  if (text === undefined || text === '') return 'source';
  if ((REPORT_DIMENSIONS as string[]).includes(text)) return text as ReportDimension;
  throw new InvalidInputError(`by: "${text}" is not a report grouping; use ${REPORT_DIMENSIONS.join(', ')}`, { field: 'by' });
}

/** A plain-text table for the terminal: one line per group, then the totals. */
export function formatSourceReport(report: SourceReport): string {
  const header = [report.by, 'calls', 'unique', 'first-time', 'answered', 'missed', 'target', 'avg talk s', 'after hrs', 'visits', 'called %'];
  const line = (label: string, r: ReportRow) => [
    label,
    String(r.calls),
    String(r.uniqueCallers),
    String(r.firstTimeCallers),
    String(r.answered),
    String(r.missed),
    String(r.targetCalls),
    r.avgTalkSeconds === null ? '-' : r.avgTalkSeconds.toFixed(1),
    String(r.afterHoursCalls),
    r.visits === null ? '-' : String(r.visits),
    r.conversionPercent === null ? '-' : r.conversionPercent.toFixed(1),
  ];
  const rows = [header, ...report.groups.map((g) => line(g.key ?? '(none)', g)), line('TOTAL', report.totals)];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const render = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  const period = `${report.from ?? 'the beginning'} to ${report.to ?? 'now'} (${report.timeZone})`;
  const target = `target call: talk >= ${report.targetCall.minTalkSeconds} s${report.targetCall.requireFirstCall ? ' and first call' : ''}`;
  return [`calls by ${report.by}, ${period}; ${target}`, render(header), ...rows.slice(1, -1).map(render), render(rows[rows.length - 1] ?? [])].join('\n');
}
