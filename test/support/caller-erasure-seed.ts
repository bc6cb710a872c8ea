import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { touchFromCall, type CallRecord } from '../../src/calls/call-record.js';
import { OutboxStore, type OutboxEntry } from '../../src/integrations/outbox-store.js';
import { makeCall, makeMissedCall, seedCalls } from './calls.js';
import { MINUTE, pool, type TrackingFixture } from './tracking-app.js';
import { stereoWav } from './wav.js';

/** The caller who asks to be forgotten, and one who does not. */
export const FORGOTTEN = '+79161234567';
export const OTHER = '+79035556677';
const SECRET = 'whsec-0123456789abcdef';

/** Tracking with a pool, a recording directory, two CRM webhooks (one with signed recording links) and GA4. */
export function erasureConfigDoc(recordingDir: string): Record<string, unknown> {
  return {
    http: { host: '127.0.0.1', port: 8080, corsOrigins: ['https://shop.example.com'], adminToken: 'test-admin-token-0123456789', publicUrl: 'https://track.example.com' },
    tracking: { defaultCountry: 'RU', repeatCallDays: 30 },
    pools: [pool('ads', 1, 3, { holdMinutes: 15, fallbackNumber: '+74950009901' })],
    media: { recording: { dir: recordingDir } },
    webhooks: [
      { name: 'crm', url: 'https://crm.example.com/hooks/calltrack', secret: SECRET, recordingLinkDays: 7 },
      { name: 'erp', url: 'https://erp.example.com/hooks/calltrack', secret: SECRET },
    ],
    analytics: { ga4: { measurementId: 'G-TEST123', apiSecret: 'ga4-secret' } },
  };
}

export interface ErasureScene {
  /** The forgotten caller's answered, recorded, noted call; their later missed call (a repeat caller). */
  answered: CallRecord;
  missed: CallRecord;
  /** The other caller's recorded call. */
  other: CallRecord;
  /** Visits: the one `answered` is credited to, a later one of the same visitor, the other caller's. */
  visits: { credited: string; sameVisitor: string; other: string };
  recordingDir: string;
}

const ad = (campaign: string) => `https://shop.example.com/?utm_source=yandex&utm_medium=cpc&utm_campaign=${campaign}`;

/**
 * Two callers' calls as the server leaves them: visits through the real VisitService, call rows,
 * recording files, and the outbox entries the real event sink builds (one delivered, one pending
 * with a receiver error quoting the number). The clock ends an hour after the calls.
 */
export async function seedErasureScene(f: TrackingFixture, recordingDir: string): Promise<ErasureScene> {
  const credited = await f.app.visits.startVisit({ url: ad('fridges'), visitorId: 'visitor-forgotten', userAgent: 'Mozilla/5.0 (forgotten)', ip: '203.0.113.1' });
  f.clock.advance(MINUTE);
  const other = await f.app.visits.startVisit({ url: ad('ovens'), visitorId: 'visitor-other', userAgent: 'Mozilla/5.0 (other)', ip: '203.0.113.2' });
  f.clock.advance(MINUTE);
  const sameVisitor = await f.app.visits.startVisit({ url: ad('kettles'), visitorId: 'visitor-forgotten', userAgent: 'Mozilla/5.0 (forgotten, later)', ip: '203.0.113.3' });
  f.clock.advance(MINUTE);

  const at = f.clock.now();
  const recorded = (id: string) => ({ recordingStatus: 'saved' as const, recordingPath: `2026/11/23/${id}.wav`, recordingSize: 32_044, recordingDuration: 1 });
  const answeredId = '00000000-0000-4000-8000-00000000000a';
  const otherId = '00000000-0000-4000-8000-00000000000b';
  const answered = makeCall({
    id: answeredId, callerNumber: FORGOTTEN, trackingNumber: credited.number ?? '', visitId: credited.visitId, campaign: 'fridges', startedAt: at,
    note: 'Ivan Petrov, call back on 8 916 123-45-67', tags: ['lead'], dealValue: 1500, targetCall: true, ...recorded(answeredId),
  });
  const missed = makeMissedCall({
    callerNumber: FORGOTTEN, trackingNumber: credited.number ?? '', visitId: null, attributionType: 'unattributed', poolName: 'ads', source: null,
    medium: null, campaign: null, startedAt: at + 10 * MINUTE, firstCall: false, firstTouch: touchFromCall(answered), tags: ['spam'],
  });
  const otherCall = makeCall({
    id: otherId, callerNumber: OTHER, trackingNumber: other.number ?? '', visitId: other.visitId, campaign: 'ovens', startedAt: at + 5 * MINUTE,
    note: 'wants a quote', tags: ['lead'], ...recorded(otherId),
  });
  await seedCalls(f.app.db, [answered, missed, otherCall]);
  for (const call of [answered, otherCall]) {
    const file = path.join(recordingDir, call.recordingPath ?? '');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, stereoWav(1));
  }

  f.clock.advance(15 * MINUTE);
  await f.app.callEvents.publish('call.completed', answered);
  await f.app.callEvents.publish('call.missed', missed);
  await f.app.callEvents.publish('call.completed', otherCall);
  const store = new OutboxStore();
  const entries = await store.listByCall(f.app.db, answered.id);
  const erp = entries.find((e) => e.target === 'erp');
  const crm = entries.find((e) => e.target === 'crm');
  const ga4 = entries.find((e) => e.target === 'ga4');
  if (!erp || !crm || !ga4) throw new Error('the sink queued no webhook or GA4 entries: check erasureConfigDoc');
  await store.markDelivered(f.app.db, erp.id, f.clock.now(), 200);
  // The answered call's GA4 hit went out; the missed call's is still pending.
  await store.markDelivered(f.app.db, ga4.id, f.clock.now(), 204);
  await store.markAttemptFailed(f.app.db, crm.id, { now: f.clock.now(), httpStatus: 409, error: `HTTP 409: contact ${FORGOTTEN} exists`, retryAt: f.clock.now() + 60 * MINUTE });
  f.clock.advance(45 * MINUTE);
  return { answered, missed, other: otherCall, visits: { credited: credited.visitId, sameVisitor: sameVisitor.visitId, other: other.visitId }, recordingDir };
}

export async function outboxOf(f: TrackingFixture, callId: string): Promise<OutboxEntry[]> {
  return new OutboxStore().listByCall(f.app.db, callId);
}

export async function visitRow(f: TrackingFixture, id: string) {
  return (await f.app.db('visits').where({ id }).first()) as {
    ip: string | null; user_agent: string | null; campaign: string | null; visitor_id: string;
    ga_client_id: string | null; ga_session_id: string | null; ym_client_id: string | null;
  };
}
