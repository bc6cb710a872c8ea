import type { CallRecord } from '../calls/call-record.js';
import { callColumn } from '../calls/call-store.js';

/**
 * The fields of a call the export formats read (a CallRecord's, plus the start of its visit).
 * Call metadata the files never show (paths, notes, SIP ids) stays in the database.
 */
export type ExportRow = Pick<
  CallRecord,
  | 'id' | 'startedAt' | 'answeredAt' | 'endedAt' | 'trackingNumber' | 'callerNumber' | 'forwardedTo' | 'status' | 'sipCode'
  | 'hangupBy' | 'ringSeconds' | 'talkSeconds' | 'attributionType' | 'poolName' | 'source' | 'medium' | 'campaign' | 'term'
  | 'content' | 'referrer' | 'landingPage' | 'visitId' | 'gaClientId' | 'ymClientId' | 'gclid' | 'yclid' | 'firstCall'
  | 'targetCall' | 'tags' | 'dealValue' | 'recordingStatus' | 'identityErasedAt' | 'afterHours'
> & {
  /**
   * For a call with a gclid, when its visit began (epoch ms): the ad click. Null for other calls,
   * when the format does not ask for it (ExportFormat.readsVisitStart), or when the visit row is gone.
   */
  visitStartedAt: number | null;
};

/** The fields in the order exportRowFromValues reads them (id and started_at first, as the keyset needs). */
export const EXPORT_FIELDS = [
  'id', 'startedAt', 'answeredAt', 'endedAt', 'trackingNumber', 'callerNumber', 'forwardedTo', 'status', 'sipCode', 'hangupBy',
  'ringSeconds', 'talkSeconds', 'attributionType', 'poolName', 'source', 'medium', 'campaign', 'term', 'content', 'referrer',
  'landingPage', 'visitId', 'gaClientId', 'ymClientId', 'gclid', 'yclid', 'firstCall', 'targetCall', 'tags', 'dealValue',
  'recordingStatus', 'identityErasedAt', 'afterHours',
] as const satisfies readonly (keyof ExportRow)[];

/** The table columns an export reads, in EXPORT_FIELDS order. */
export const EXPORT_COLUMNS: readonly string[] = EXPORT_FIELDS.map((field) => callColumn(field));

type V = readonly unknown[];
const bool = (v: unknown) => (v === null ? null : Boolean(v));
const tags = (v: unknown) => (typeof v === 'string' && v !== '[]' ? (JSON.parse(v) as string[]) : []);

/**
 * A row read as the values of EXPORT_COLUMNS (SQLite's JSON rows), then the visit's start when
 * it was asked for, to an ExportRow, mapped as rowToCall maps a row object (0/1 booleans, tags
 * from their JSON text). One object literal per row: the generic 45-field mapper was a large part
 * of a million-row export's CPU.
 */
export function exportRowFromValues(v: V): ExportRow {
  return {
    id: v[0] as string,
    startedAt: v[1] as number,
    answeredAt: v[2] as number | null,
    endedAt: v[3] as number | null,
    trackingNumber: v[4] as string,
    callerNumber: v[5] as string | null,
    forwardedTo: v[6] as string | null,
    status: v[7] as ExportRow['status'],
    sipCode: v[8] as number | null,
    hangupBy: v[9] as ExportRow['hangupBy'],
    ringSeconds: v[10] as number | null,
    talkSeconds: v[11] as number | null,
    attributionType: v[12] as ExportRow['attributionType'],
    poolName: v[13] as string | null,
    source: v[14] as string | null,
    medium: v[15] as string | null,
    campaign: v[16] as string | null,
    term: v[17] as string | null,
    content: v[18] as string | null,
    referrer: v[19] as string | null,
    landingPage: v[20] as string | null,
    visitId: v[21] as string | null,
    gaClientId: v[22] as string | null,
    ymClientId: v[23] as string | null,
    gclid: v[24] as string | null,
    yclid: v[25] as string | null,
    firstCall: bool(v[26]),
    targetCall: bool(v[27]),
    tags: tags(v[28]),
    dealValue: v[29] as number | null,
    recordingStatus: v[30] as ExportRow['recordingStatus'],
    identityErasedAt: v[31] as number | null,
    afterHours: bool(v[32] ?? null),
    visitStartedAt: (v[33] ?? null) as number | null,
  };
}
