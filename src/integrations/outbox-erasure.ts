import { VISITOR_ANALYTICS_IDS } from '../tracking/attribution-types.js';
import { ANALYTICS_TARGETS } from './delivery-targets.js';
import type { OutboxEntry } from './outbox-store.js';

/** What an entry becomes once a caller's data is taken out; null when nothing in it changes. */
export interface ErasedEntry {
  payload: string;
  lastError: string | null;
}

const ERASED = '[erased]';

/**
 * An outbox entry without the caller's data (`calltrack calls forget`). A pending entry would
 * still send the number to the CRM; a delivered one keeps it in the database until the
 * dispatcher drops it 30 days after delivery. Rewriting keeps both in place: the CRM still
 * gets the call's event (its timing, status and attribution stay true), and delivery order and
 * event ids are untouched. The signature is computed at send time, over the new body.
 *
 * Webhook bodies carry the call as the admin API shows it (call-json.ts): `callerNumber` holds
 * the number, `note` free text that may name the person, `recording.url`/`signedUrl` a file
 * that is now deleted. GA4 bodies (ga4.ts) carry no caller number; they go through the same
 * walk, which nulls any string holding the number wherever a future builder puts it. A Metrica
 * upload (metrica.ts) keeps its CSV row as cells, so the walk nulls the PhoneNumber cell.
 */
export function eraseCallerFromEntry(entry: Pick<OutboxEntry, 'payload' | 'lastError' | 'target'>, callerNumber: string | null): ErasedEntry | null {
  let payload: string;
  try {
    // An anonymous call has no number to look for; its note and analytics ids still go.
    const parsed = JSON.parse(entry.payload) as unknown;
    const body = callerNumber ? scrub(parsed, callerNumber) : parsed;
    const call = isObject(body) ? body.call : undefined;
    if (isObject(call)) eraseCallFields(call);
    if (isAnalyticsEntry(entry) && isObject(body)) eraseAnalyticsIds(body);
    payload = JSON.stringify(body);
  } catch {
    // The outbox only holds JSON it wrote; a body that does not parse still must not keep the number.
    payload = callerNumber ? entry.payload.replaceAll(callerNumber, ERASED) : entry.payload;
  }
  // A receiver's error text may quote what it was sent (`duplicate contact +7...`).
  const lastError = (callerNumber ? entry.lastError?.replaceAll(callerNumber, ERASED) : entry.lastError) ?? null;
  if (payload === entry.payload && lastError === entry.lastError) return null;
  return { payload, lastError };
}

/**
 * GA4 hits and Metrica uploads carry the visitor's client id, which ties the call to the person's
 * profile there: one not yet sent is dropped (CallerErasure); a delivered one, kept until the
 * outbox forgets it, loses its ids here.
 */
export function isAnalyticsEntry(entry: Pick<OutboxEntry, 'target'>): boolean {
  return (ANALYTICS_TARGETS as readonly string[]).includes(entry.target);
}

function eraseAnalyticsIds(body: Record<string, unknown>): void {
  // GA4 (ga4.ts): client_id, and each event's session_id.
  if ('client_id' in body) body.client_id = null;
  for (const event of Array.isArray(body.events) ? body.events : []) {
    if (isObject(event) && isObject(event.params)) delete event.params.session_id;
  }
  // Metrica (metrica.ts): the ClientId cell of the upload's row.
  if (Array.isArray(body.columns) && Array.isArray(body.row)) {
    const at = body.columns.indexOf('ClientId');
    if (at >= 0) body.row[at] = null;
  }
}

function eraseCallFields(call: Record<string, unknown>): void {
  if ('note' in call) call.note = null;
  // The visitor's analytics ids (online identifiers); the ad's attribution stays.
  const attribution = call.attribution;
  if (isObject(attribution)) {
    for (const key of VISITOR_ANALYTICS_IDS) if (key in attribution) attribution[key] = null;
  }
  const recording = call.recording;
  if (!isObject(recording)) return;
  if (recording.status === 'saved') recording.status = 'erased';
  if ('url' in recording) recording.url = null;
  if ('signedUrl' in recording) recording.signedUrl = null;
}

/** Every string that holds the number becomes null, at any depth. */
function scrub(value: unknown, callerNumber: string): unknown {
  if (typeof value === 'string') return value.includes(callerNumber) ? null : value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, callerNumber));
  if (isObject(value)) {
    for (const [key, v] of Object.entries(value)) value[key] = scrub(v, callerNumber);
  }
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
