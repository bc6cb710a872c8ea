import { neutraliseCell } from './cell-safety.js';
import type { ExportRow } from './export-row.js';

/**
 * The Yandex Metrica offline-calls row, shared by `export calls --format metrica`/`metrica-yclid`
 * and the automatic upload (integrations/metrica.ts), so the file an analyst uploads by hand and
 * the upload calltrack makes can never disagree.
 *
 * The first column names the visitor. "Sending call data" (yandex.com/dev/metrika/en/management/calls)
 * lists as required columns `UserId` ("Site user ID assigned by the site owner"), `ClientId` ("Site
 * user ID assigned by Yandex Metrica") and `Yclid` ("ID of a click on a Yandex Direct ad assigned by
 * Yandex Direct"), and the upload method names the one a file uses in `client_id_type` (client_id,
 * user_id, YCLID): one kind per file. A call whose visitor has a ClientID (the `_ym_uid` cookie) is
 * sent by it; one without (the cookie blocked, or no Metrica tag on the page) but that came from a
 * Yandex Direct ad is sent by the ad click's yclid, so Metrica still links it to the click.
 */
export type MetricaIdentifier = 'ClientId' | 'Yclid';

const METRICA_CALL_FIELDS = ['DateTime', 'PhoneNumber', 'TalkDuration', 'HoldDuration', 'CallMissed', 'Tag', 'FirstTimeCaller', 'URL', 'StaticCall'] as const;

/** The header of a file (or upload) identifying visitors by `identifier`. */
export function metricaCallColumns(identifier: MetricaIdentifier): string[] {
  return [identifier, ...METRICA_CALL_FIELDS];
}

/** What the row reads of a call: an export row and a CallRecord both have these. */
export type MetricaCallFields = Pick<
  ExportRow,
  | 'ymClientId' | 'yclid' | 'startedAt' | 'answeredAt' | 'endedAt' | 'callerNumber' | 'talkSeconds' | 'ringSeconds' | 'tags' | 'firstCall'
  | 'landingPage' | 'attributionType' | 'identityErasedAt'
>;

/** How Metrica can know the call's visitor: the ClientID when there is one, else the Direct click; null for neither. */
export function metricaIdentifierOf(call: Pick<MetricaCallFields, 'ymClientId' | 'yclid'>): MetricaIdentifier | null {
  if (call.ymClientId) return 'ClientId';
  return call.yclid ? 'Yclid' : null;
}

const wholeSeconds = (s: number | null) => String(Math.max(0, Math.round(s ?? 0)));

/**
 * "Sending call data" (yandex.com/dev/metrika/en/management/calls): one row per finished call
 * whose visitor Metrica knows by `identifier` (metricaIdentifierOf), null for any other call, so
 * the `metrica` and `metrica-yclid` files hold each call at most once, as the upload sends it.
 * DateTime is unix seconds, which are UTC as
 * Metrica asks; PhoneNumber is the caller's E.164 number, never formula-guarded, because Metrica
 * reads it as a number rather than a spreadsheet formula. HoldDuration is the ringing time before
 * the answer; Tag carries the call's tags. StaticCall says how the number was shown: 0 for a pool
 * number, which Metrica links to the visitor's nearest visit, 1 otherwise (Metrica links a static
 * call to no visit); only pool calls carry a ClientID or yclid, so in practice it is 0.
 *
 * `raw` leaves the text cells (Tag, URL) as they are; otherwise they get the spreadsheet formula
 * guard (cell-safety.ts) like every export opened in Excel. The upload is read by a program, so
 * it is raw: it equals `export calls --format metrica --raw`.
 */
export function metricaCallRow(call: MetricaCallFields, raw: boolean, identifier: MetricaIdentifier): string[] | null {
  // An erased call (calls forget / anonymise) goes to no ad platform: with its ClientID gone its
  // yclid would otherwise move it into the Yclid file, tying the person's click to the call again.
  if (call.endedAt === null || call.identityErasedAt !== null || metricaIdentifierOf(call) !== identifier) return null;
  const text = (value: string | null) => (value === null ? '' : raw ? value : neutraliseCell(value));
  const answered = call.answeredAt !== null;
  return [
    // A yclid comes from the landing URL as the visitor's browser gave it: guarded like other text.
    identifier === 'ClientId' ? (call.ymClientId ?? '') : text(call.yclid),
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
