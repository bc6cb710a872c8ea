import { neutraliseCell } from './cell-safety.js';
import type { ExportRow } from './export-row.js';

/**
 * The Yandex Metrica offline-calls row, shared by `export calls --format metrica` and the
 * automatic upload (integrations/metrica.ts), so the file an analyst uploads by hand and the
 * upload calltrack makes can never disagree.
 */
export const METRICA_CALL_COLUMNS = [
  'ClientId', 'DateTime', 'PhoneNumber', 'TalkDuration', 'HoldDuration', 'CallMissed', 'Tag', 'FirstTimeCaller', 'URL', 'StaticCall',
] as const;

/** What the row reads of a call: an export row and a CallRecord both have these. */
export type MetricaCallFields = Pick<
  ExportRow,
  'ymClientId' | 'startedAt' | 'answeredAt' | 'endedAt' | 'callerNumber' | 'talkSeconds' | 'ringSeconds' | 'tags' | 'firstCall' | 'landingPage' | 'attributionType'
>;

const wholeSeconds = (s: number | null) => String(Math.max(0, Math.round(s ?? 0)));

/**
 * "Sending call data" (yandex.com/dev/metrika/en/management/calls): one row per finished call
 * with a Metrica ClientID, null for any other call. DateTime is unix seconds, which are UTC as
 * Metrica asks; PhoneNumber is the caller's E.164 number, never formula-guarded, because Metrica
 * reads it as a number rather than a spreadsheet formula. HoldDuration is the ringing time before
 * the answer; Tag carries the call's tags. StaticCall says how the number was shown: 0 for a pool
 * number, which Metrica links to the visitor's nearest visit, 1 otherwise (Metrica links a static
 * call to no visit); only pool calls carry a ClientID, so in practice it is 0.
 *
 * `raw` leaves the text cells (Tag, URL) as they are; otherwise they get the spreadsheet formula
 * guard (cell-safety.ts) like every export opened in Excel. The upload is read by a program, so
 * it is raw: it equals `export calls --format metrica --raw`.
 */
export function metricaCallRow(call: MetricaCallFields, raw: boolean): string[] | null {
  if (!call.ymClientId || call.endedAt === null) return null;
  const text = (value: string | null) => (value === null ? '' : raw ? value : neutraliseCell(value));
  const answered = call.answeredAt !== null;
  return [
    call.ymClientId,
    String(Math.floor(call.startedAt / 1000)),
    call.callerNumber ?? '',
    answered ? wholeSeconds(call.talkSeconds) : '0',
    wholeSeconds(call.ringSeconds),
    answered ? '0' : '1',
    text(call.tags.join(',')),
    call.firstCall ? '1' : '0',
    text(call.landingPage),
    call.attributionType === 'dynamic' ? '0' : '1',
  ];
}
