import { recordingUrlWriter } from '../calls/call-json.js';
import { isTargetCall, type TargetCallRules } from '../calls/target-call.js';
import { neutraliseCell } from './cell-safety.js';
import type { ExportRow } from './export-row.js';
import type { TimeZone } from './time-zone.js';

/** What a column needs besides the call. */
export interface ColumnContext {
  zone: TimeZone;
  publicUrl: string | undefined;
  rules: TargetCallRules;
}

/** The analyst CSV's header; README "CSV export" documents each column. callToCells writes them in this order. */
export const CALL_COLUMN_NAMES: readonly string[] = [
  'call_id', 'started_at', 'answered_at', 'ended_at', 'tracking_number', 'caller_number', 'forwarded_to', 'status', 'sip_code',
  'hangup_by', 'ring_seconds', 'talk_seconds', 'tracking_type', 'pool', 'source', 'medium', 'campaign', 'term', 'content',
  'referrer', 'landing_page', 'visit_id', 'ga_client_id', 'ym_client_id', 'gclid', 'yclid', 'first_call', 'target_call', 'tags',
  'recording_url', 'after_hours',
];

const keep = (value: string) => value;

/**
 * A function writing one CSV record per call, in CALL_COLUMN_NAMES order. Text cells pass
 * through the formula guard unless `raw`; numbers are written as they are; null is an empty
 * cell. One array literal per row (a loop over per-column functions cost more than the cells).
 */
export function callCellWriter(ctx: ColumnContext, raw: boolean): (call: ExportRow) => string[] {
  const guard = raw ? keep : neutraliseCell;
  const text = (value: string | null) => (value === null ? '' : guard(value));
  const time = (ms: number | null) => (ms === null ? '' : ctx.zone.formatIso(ms));
  const num = (n: number | null) => (n === null ? '' : String(n));
  const seconds = (s: number | null) => (s === null ? '' : String(Math.round(s)));
  const flag = (b: boolean | null) => (b === null ? '' : b ? '1' : '0');
  const recordingUrl = recordingUrlWriter(ctx.publicUrl);
  return (c) => [
    guard(c.id),
    time(c.startedAt),
    time(c.answeredAt),
    time(c.endedAt),
    text(c.trackingNumber),
    text(c.callerNumber),
    text(c.forwardedTo),
    text(c.status),
    num(c.sipCode),
    text(c.hangupBy),
    seconds(c.ringSeconds),
    seconds(c.talkSeconds),
    text(c.attributionType),
    text(c.poolName),
    text(c.source),
    text(c.medium),
    text(c.campaign),
    text(c.term),
    text(c.content),
    text(c.referrer),
    text(c.landingPage),
    text(c.visitId),
    text(c.gaClientId),
    text(c.ymClientId),
    text(c.gclid),
    text(c.yclid),
    flag(c.firstCall),
    flag(isTargetCall(c, ctx.rules)),
    guard(c.tags.join(', ')),
    text(recordingUrl(c)),
    flag(c.afterHours),
  ];
}
