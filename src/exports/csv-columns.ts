import { recordingUrl } from '../calls/call-json.js';
import type { CallRecord } from '../calls/call-record.js';
import { isTargetCall, type TargetCallRules } from '../calls/target-call.js';
import { neutraliseCell } from './cell-safety.js';
import type { TimeZone } from './time-zone.js';

/** What a column needs besides the call. */
export interface ColumnContext {
  zone: TimeZone;
  publicUrl: string | undefined;
  rules: TargetCallRules;
}

type Cell = string | number | null;

interface Column {
  name: string;
  value(call: CallRecord, ctx: ColumnContext): Cell;
}

const time = (ms: number | null, ctx: ColumnContext) => (ms === null ? null : ctx.zone.formatIso(ms));
const seconds = (s: number | null) => (s === null ? null : Math.round(s));
const flag = (b: boolean | null) => (b === null ? null : b ? 1 : 0);

/** The analyst CSV, in this order; README "CSV export" documents each column. */
export const CALL_COLUMNS: readonly Column[] = [
  { name: 'call_id', value: (c) => c.id },
  { name: 'started_at', value: (c, x) => time(c.startedAt, x) },
  { name: 'answered_at', value: (c, x) => time(c.answeredAt, x) },
  { name: 'ended_at', value: (c, x) => time(c.endedAt, x) },
  { name: 'tracking_number', value: (c) => c.trackingNumber },
  { name: 'caller_number', value: (c) => c.callerNumber },
  { name: 'forwarded_to', value: (c) => c.forwardedTo },
  { name: 'status', value: (c) => c.status },
  { name: 'sip_code', value: (c) => c.sipCode },
  { name: 'hangup_by', value: (c) => c.hangupBy },
  { name: 'ring_seconds', value: (c) => seconds(c.ringSeconds) },
  { name: 'talk_seconds', value: (c) => seconds(c.talkSeconds) },
  { name: 'tracking_type', value: (c) => c.attributionType },
  { name: 'pool', value: (c) => c.poolName },
  { name: 'source', value: (c) => c.source },
  { name: 'medium', value: (c) => c.medium },
  { name: 'campaign', value: (c) => c.campaign },
  { name: 'term', value: (c) => c.term },
  { name: 'content', value: (c) => c.content },
  { name: 'referrer', value: (c) => c.referrer },
  { name: 'landing_page', value: (c) => c.landingPage },
  { name: 'visit_id', value: (c) => c.visitId },
  { name: 'ga_client_id', value: (c) => c.gaClientId },
  { name: 'ym_client_id', value: (c) => c.ymClientId },
  { name: 'gclid', value: (c) => c.gclid },
  { name: 'yclid', value: (c) => c.yclid },
  { name: 'first_call', value: (c) => flag(c.firstCall) },
  { name: 'target_call', value: (c, x) => flag(isTargetCall(c, x.rules)) },
  { name: 'tags', value: (c) => c.tags.join(', ') },
  { name: 'recording_url', value: (c, x) => recordingUrl(c, x.publicUrl) },
];

export const CALL_COLUMN_NAMES: readonly string[] = CALL_COLUMNS.map((c) => c.name);

/**
 * One CSV record. Text cells pass through the formula guard unless `raw`; numbers are written
 * as they are; null is an empty cell.
 */
export function callToCells(call: CallRecord, ctx: ColumnContext, raw: boolean): string[] {
  const out = new Array<string>(CALL_COLUMNS.length);
  for (let i = 0; i < CALL_COLUMNS.length; i++) {
    const value = (CALL_COLUMNS[i] as Column).value(call, ctx);
    out[i] = value === null ? '' : typeof value === 'number' ? String(value) : raw ? value : neutraliseCell(value);
  }
  return out;
}
