import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { after } from 'node:test';
import type { CallRecord } from '../../src/calls/call-record.js';
import type { Attribution } from '../../src/tracking/attribution-types.js';
import { CallStore } from '../../src/calls/call-store.js';
import { createDatabase, type Database } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { answeredCallRow } from '../../src/sip/call-row.js';
import { VisitStore } from '../../src/tracking/visit-store.js';

/** A finished, answered call with attribution; override what the test is about. */
export function makeCall(overrides: Partial<CallRecord> = {}): CallRecord {
  const startedAt = overrides.startedAt ?? Date.UTC(2026, 10, 2, 9, 0, 0);
  return {
    id: randomUUID(),
    sipCallId: `${randomUUID()}@carrier`,
    trackingNumber: '+74950000101',
    trackingNumberId: null,
    callerNumber: '+79161234567',
    forwardedTo: '+74951112233',
    trunk: 'carrier',
    startedAt,
    ringingAt: startedAt + 1000,
    answeredAt: startedAt + 6000,
    endedAt: startedAt + 96_000,
    status: 'answered',
    sipCode: 200,
    hangupBy: 'caller',
    ringSeconds: 6,
    talkSeconds: 90,
    attributionType: 'dynamic',
    poolName: 'ads',
    visitId: randomUUID(),
    late: false,
    source: 'yandex',
    medium: 'cpc',
    campaign: 'fridges',
    term: 'buy fridge',
    content: null,
    referrer: 'https://yandex.ru/',
    landingPage: 'https://shop.example.com/fridges?utm_source=yandex',
    gaClientId: '1234567890.1700000000',
    gaSessionId: null,
    ymClientId: '1700000000123456789',
    gclid: null,
    yclid: '5531234567890',
    firstCall: true,
    targetCall: null,
    firstTouch: null,
    tags: [],
    note: null,
    dealValue: null,
    recordingStatus: null,
    recordingError: null,
    recordingPath: null,
    recordingSize: null,
    recordingDuration: null,
    identityErasedAt: null,
    afterHours: null,
    createdAt: startedAt,
    updatedAt: startedAt + 96_000,
    ...overrides,
  };
}

/** A missed call: rang, nobody answered. */
export function makeMissedCall(overrides: Partial<CallRecord> = {}): CallRecord {
  const base = makeCall(overrides);
  return makeCall({
    answeredAt: null,
    endedAt: base.startedAt + 40_000,
    status: 'no-answer',
    sipCode: 480,
    hangupBy: 'system',
    ringSeconds: 39,
    talkSeconds: null,
    ...overrides,
  });
}

/** A migrated SQLite database in `dir`, destroyed after the test file. */
export async function migratedDb(dir: string, file = 'calltrack.sqlite'): Promise<Database> {
  const db = createDatabase({ client: 'sqlite3', filename: path.join(dir, file), busyTimeoutMs: 5000 });
  after(() => db.destroy());
  await migrateToLatest(db);
  return db;
}

export async function seedCalls(db: Database, calls: CallRecord[]): Promise<void> {
  const store = new CallStore();
  await db.transaction(async (trx) => {
    for (const call of calls) await store.insert(trx, call);
  });
}

/** A finished call row carrying `attribution`, as the SIP path writes it (its own row builders). */
export function callFrom(attribution: Attribution, caller: string | null, at: number): CallRecord {
  return answeredCallRow(attribution, caller, at);
}

/** Stores the visits `calls` are credited to (their visitId and gclid), begun at `startedAt(call)`. */
export async function seedVisitsOf(db: Database, calls: CallRecord[], startedAt: (call: CallRecord) => number): Promise<void> {
  const store = new VisitStore();
  await db.transaction(async (trx) => {
    for (const call of calls) {
      if (!call.visitId) continue;
      const at = startedAt(call);
      await store.insert(trx, {
        id: call.visitId, visitorId: `visitor-${call.visitId}`, siteHost: 'shop.example.com', landingUrl: call.landingPage,
        referrer: call.referrer, utmSource: null, utmMedium: null, utmCampaign: null, utmTerm: null, utmContent: null,
        gclid: call.gclid, yclid: call.yclid, fbclid: null, source: call.source, medium: call.medium, campaign: call.campaign,
        term: call.term, content: call.content, gaClientId: call.gaClientId, gaSessionId: call.gaSessionId, ymClientId: call.ymClientId, userAgent: null, ip: null,
        region: null, isBot: false, poolName: call.poolName, number: call.trackingNumber, numberType: 'dynamic', pagesSeen: 1,
        createdAt: at, lastSeenAt: at,
      });
    }
  });
}
