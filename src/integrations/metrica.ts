import { csvFormatRows } from 'd3-dsv';
import type { CallRecord } from '../calls/call-record.js';
import type { CalltrackConfig } from '../config/schema.js';
import { metricaCallColumns, metricaCallRow, metricaIdentifierOf, type MetricaIdentifier } from '../exports/metrica-calls.js';
import { post, type PostResult } from './http-post.js';
import { callScopedEventId } from './outbox-store.js';

export const METRICA_TARGET = 'metrica';
export const METRICA_DEFAULT_ENDPOINT = 'https://api-metrika.yandex.net';
export const METRICA_EVENT_TYPE = 'offline_call';

export type MetricaConfig = NonNullable<CalltrackConfig['analytics']['metrica']>;

/**
 * What the outbox keeps for one call: the export format's header and row. Cells, not CSV text,
 * so that `calls forget` (outbox-erasure.ts) can null the caller's number in a pending upload
 * the way it does in a webhook body; a null cell is sent empty. No token: it is read from the
 * configuration at send time.
 */
export interface MetricaUpload {
  columns: string[];
  row: (string | null)[];
}

/**
 * The upload for a finished call with a Metrica ClientID (the `--format metrica --raw` row), or
 * without one but with a Yandex Direct yclid (the `--format metrica-yclid --raw` row); else null.
 * Each upload is one call, so each names its own identifier type (metricaUploadUrl).
 */
export function metricaPayload(call: CallRecord): MetricaUpload | null {
  const identifier = metricaIdentifierOf(call);
  const row = identifier && metricaCallRow(call, true, identifier);
  return identifier && row ? { columns: metricaCallColumns(identifier), row } : null;
}

/** One upload per call however often it is published: a fixed id the outbox dedupes on. */
export function metricaEventId(callId: string): string {
  return callScopedEventId(METRICA_TARGET, callId);
}

/**
 * uploadCalls (yandex.com/dev/metrika/en/management/openapi/call/uploadCalls). `client_id_type`
 * says which identifier the file's first column holds: the upload reference
 * (yandex.com/dev/metrika/doc/api2/management/offline_conversion/uploadcalls.html) lists
 * "client_id: Site user ID assigned by Yandex Metrica", "user_id: ..." and "YCLID: The ID of a
 * click on a Yandex Direct ad assigned by Yandex Direct"; the current reference omits the
 * parameter and reads the type from the column name, and the response echoes it, so it is sent to
 * be explicit with either. The values are written as Metrica's API examples write them
 * (CLIENT_ID, YCLID).
 */
export function metricaUploadUrl(cfg: MetricaConfig, identifier: MetricaIdentifier): string {
  const base = (cfg.endpoint ?? METRICA_DEFAULT_ENDPOINT).replace(/\/+$/, '');
  const url = new URL(`${base}/management/v1/counter/${encodeURIComponent(cfg.counterId)}/offline_conversions/upload_calls`);
  url.searchParams.set('client_id_type', identifier === 'Yclid' ? 'YCLID' : 'CLIENT_ID');
  return url.toString();
}

/**
 * Uploads one call as a one-row CSV file in the multipart `file` field, the token in the
 * Authorization header (never in the URL, which error messages may quote).
 *
 * One upload per call rather than batches: Metrica's quota is 5,000 API requests a day per user
 * (yandex.com/dev/metrika/en/intro/quotas), far above the calls with a ClientID most sites get,
 * and a batch would need the outbox to claim and settle several rows as one (a crash between the
 * upload and the marking would re-send the whole batch). Past the quota Metrica answers 429 (420
 * in the English page) and the backoff retries; the quota resets at 00:00 GMT.
 */
export async function uploadCallToMetrica(cfg: MetricaConfig, payload: string, headers: Record<string, string>, timeoutMs: number): Promise<PostResult> {
  const upload = JSON.parse(payload) as MetricaUpload;
  const csv = `${csvFormatRows([upload.columns, upload.row.map((cell) => cell ?? '')])}\n`;
  const form = new FormData();
  form.append('file', new Blob([csv], { type: 'text/csv' }), 'calls.csv');
  // Uploads queued before yclid uploads existed all start with ClientId.
  const identifier: MetricaIdentifier = upload.columns[0] === 'Yclid' ? 'Yclid' : 'ClientId';
  const result = await post(metricaUploadUrl(cfg, identifier), form, { ...headers, authorization: `OAuth ${cfg.token}` }, timeoutMs);
  return classifyMetricaAnswer(result);
}

/**
 * Which answers are worth retrying. No answer, 408, a quota (420/429) and 5xx (`backend_error`
 * is 503) are passing; any other refusal is about the request itself: 400 `invalid_parameter`
 * (a malformed file, ClientID or yclid), 401 (a missing or expired token), 403 `access_denied` (no
 * write access to the counter), 404 (no such counter). Those fail at once: the same request
 * would be refused for 24 hours, and `webhooks status` should say why now. After fixing the
 * token or counter, `calltrack webhooks retry --target metrica` re-queues them.
 */
export function classifyMetricaAnswer(result: PostResult): PostResult {
  if (result.ok || result.status === null) return result;
  const s = result.status;
  const passing = s === 408 || s === 420 || s === 429 || s >= 500;
  const error = metricaError(result) ?? result.error;
  return { ...result, error, permanent: !passing };
}

/** Metrica's error body, `{errors: [{error_type, message}], code, message}`, in one line. */
function metricaError(result: PostResult): string | null {
  try {
    const body = JSON.parse(result.body ?? '') as { errors?: { error_type?: string; message?: string }[]; message?: string };
    const parts = (body.errors ?? []).map((e) => [e.error_type, e.message].filter(Boolean).join(': ')).filter(Boolean);
    if (parts.length === 0 && body.message) parts.push(body.message);
    return parts.length > 0 ? `HTTP ${result.status}: ${parts.join('; ').slice(0, 300)}` : null;
  } catch {
    return null;
  }
}
