import type { Knex } from 'knex';
import type { Touch } from '../tracking/attribution-types.js';
import type { CallRecord } from './call-record.js';

export const CALLS_TABLE = 'calls';

export type CallRow = Record<string, unknown> & { id: string };

const COLUMN: Record<keyof CallRecord, string> = {
  id: 'id',
  sipCallId: 'sip_call_id',
  trackingNumber: 'tracking_number',
  trackingNumberId: 'tracking_number_id',
  callerNumber: 'caller_number',
  forwardedTo: 'forwarded_to',
  trunk: 'trunk',
  startedAt: 'started_at',
  ringingAt: 'ringing_at',
  answeredAt: 'answered_at',
  endedAt: 'ended_at',
  status: 'status',
  sipCode: 'sip_code',
  hangupBy: 'hangup_by',
  ringSeconds: 'ring_seconds',
  talkSeconds: 'talk_seconds',
  attributionType: 'attribution_type',
  poolName: 'pool_name',
  visitId: 'visit_id',
  late: 'late',
  source: 'source',
  medium: 'medium',
  campaign: 'campaign',
  term: 'term',
  content: 'content',
  referrer: 'referrer',
  landingPage: 'landing_page',
  gaClientId: 'ga_client_id',
  gaSessionId: 'ga_session_id',
  ymClientId: 'ym_client_id',
  gclid: 'gclid',
  yclid: 'yclid',
  firstCall: 'first_call',
  targetCall: 'target_call',
  firstTouch: 'first_touch',
  tags: 'tags',
  note: 'note',
  dealValue: 'deal_value',
  recordingStatus: 'recording_status',
  recordingError: 'recording_error',
  recordingPath: 'recording_path',
  recordingSize: 'recording_size',
  recordingDuration: 'recording_duration',
  identityErasedAt: 'identity_erased_at',
  afterHours: 'after_hours',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
};

export function callColumn(field: keyof CallRecord): string {
  return COLUMN[field];
}

const BOOLEAN_FIELDS = new Set<keyof CallRecord>(['late', 'firstCall', 'targetCall', 'afterHours']);
const JSON_FIELDS = new Set<keyof CallRecord>(['tags', 'firstTouch']);

type FieldKind = 'plain' | 'bool' | 'late' | 'tags' | 'touch';

// Computed once: rowToCall runs per row of a million-row export, where re-listing the mapping
// for every row was a tenth of the CPU time.
const ROW_FIELDS = (Object.entries(COLUMN) as [keyof CallRecord, string][]).map(([field, column]) => ({
  field,
  column,
  kind: (BOOLEAN_FIELDS.has(field) ? (field === 'late' ? 'late' : 'bool') : field === 'tags' ? 'tags' : field === 'firstTouch' ? 'touch' : 'plain') as FieldKind,
}));

function fieldValue(kind: FieldKind, raw: unknown): unknown {
  const value = raw ?? null;
  if (kind === 'plain') return value;
  if (kind === 'bool') return value === null ? null : Boolean(value);
  if (kind === 'late') return value === null ? false : Boolean(value);
  if (kind === 'tags') return typeof value === 'string' && value !== '[]' ? (JSON.parse(value) as string[]) : [];
  if (typeof value !== 'string') return null;
  const touch = JSON.parse(value) as Touch;
  // A first touch stored before calls carried a GA4 session id has none: null, as a new one says.
  touch.gaSessionId ??= null;
  return touch;
}

/** Row to record: SQLite gives booleans as 0/1 and PostgreSQL as true/false; JSON is TEXT. */
export function rowToCall(row: CallRow): CallRecord {
  const out: Record<string, unknown> = {};
  for (const { field, column, kind } of ROW_FIELDS) out[field] = fieldValue(kind, row[column]);
  return out as unknown as CallRecord;
}

/** Partial record to row values (only the given fields). */
export function callToRow(patch: Partial<CallRecord>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(patch) as [keyof CallRecord, unknown][]) {
    if (value === undefined) continue;
    const column = COLUMN[field];
    if (JSON_FIELDS.has(field)) row[column] = value === null ? (field === 'tags' ? '[]' : null) : JSON.stringify(value);
    else row[column] = value;
  }
  return row;
}

/**
 * Writes and reads single call rows. The SIP path writes a row at INVITE and updates it as the
 * call progresses; reporting and export read through their own query modules.
 */
export class CallStore {
  async insert(q: Knex | Knex.Transaction, call: CallRecord): Promise<void> {
    await q(CALLS_TABLE).insert(callToRow(call));
  }

  async update(q: Knex | Knex.Transaction, id: string, patch: Partial<CallRecord>): Promise<void> {
    await q(CALLS_TABLE).where({ id }).update(callToRow(patch));
  }

  async findById(q: Knex | Knex.Transaction, id: string): Promise<CallRecord | undefined> {
    const row = (await q(CALLS_TABLE).where({ id }).first()) as CallRow | undefined;
    return row ? rowToCall(row) : undefined;
  }

  async findBySipCallId(q: Knex | Knex.Transaction, sipCallId: string): Promise<CallRecord | undefined> {
    const row = (await q(CALLS_TABLE).where({ sip_call_id: sipCallId }).first()) as CallRow | undefined;
    return row ? rowToCall(row) : undefined;
  }
}
