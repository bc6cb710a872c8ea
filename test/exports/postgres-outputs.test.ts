import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CallAdminService, type ListInput } from '../../src/calls/call-admin-service.js';
import type { CallRecord } from '../../src/calls/call-record.js';
import { CallStore } from '../../src/calls/call-store.js';
import { ManualClock } from '../../src/clock.js';
import { createDatabase, type Database } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { CallExportService, type ExportInput } from '../../src/exports/call-export-service.js';
import { SourceDailyService } from '../../src/exports/source-daily.js';
import { SourceReportService } from '../../src/exports/source-report.js';
import { makeConfig } from '../support/config.js';
import { makeCall, makeMissedCall, seedCalls, seedVisitsOf } from '../support/calls.js';
import { startTestPostgres } from '../support/postgres.js';
import { tempDir } from '../support/temp.js';

/**
 * Analysts' outputs must not depend on the database behind them: the same calls, written to
 * SQLite and to PostgreSQL, give byte-identical exports, equal reports and the same admin API
 * pages. PostgreSQL differs where it matters here: BIGINT and COUNT come back as strings unless
 * parsed, booleans are real booleans, text sorts by collation, and NULLs sort last.
 */
const pgServer = await startTestPostgres();
after(() => pgServer.stop());

const cfg = makeConfig({
  tracking: { defaultCountry: 'RU', targetCallSeconds: 30 },
  http: { publicUrl: 'https://track.example.com/' },
  exports: {
    timeZone: 'Europe/Moscow',
    googleAds: { conversionName: 'Phone lead', clickConversionName: 'Call after ad click', conversionValue: 500, currency: 'RUB' },
  },
});
const config = { current: cfg };

const SOURCES = ['yandex', 'google', 'Radio', null, '=HYPERLINK("x")'] as const;

/** 260 calls over a DST change, with ties on started_at, nulls, tags and awkward text. */
function sampleCalls(): CallRecord[] {
  const calls: CallRecord[] = [];
  const base = Date.UTC(2026, 2, 27, 20, 0, 0); // the weekend Europe/Berlin moves its clocks
  for (let i = 0; i < 260; i++) {
    const startedAt = base + Math.floor(i / 3) * 47 * 60_000; // three calls share each start time
    const common = {
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      startedAt,
      callerNumber: i % 11 === 0 ? null : `+7916000${String(i % 40).padStart(4, '0')}`,
      trackingNumber: `+7495000${String(100 + (i % 7)).padStart(4, '0')}`,
      source: SOURCES[i % SOURCES.length] ?? null,
      medium: i % 4 === 0 ? null : 'cpc',
      campaign: i % 6 === 0 ? 'Холодильники; "зима"' : `c${i % 3}`,
      term: i % 9 === 0 ? 'two\nlines' : null,
      poolName: i % 5 === 2 ? null : 'ads',
      gclid: i % 2 === 0 ? `g${i}` : null,
      // Some visitors without a Metrica ClientID (cookie blocked) but with a Direct click, one of them odd.
      ...(i % 7 === 4 ? { ymClientId: null, yclid: i % 14 === 4 ? '=1+1' : `73940274${i}` } : {}),
      firstCall: i % 10 === 0 ? null : i % 3 !== 1,
      targetCall: i % 13 === 0 ? false : null,
      tags: i % 8 === 0 ? ['vip', 'repeat'] : [],
      dealValue: i % 12 === 0 ? 1234.5 : null,
      talkSeconds: (i * 17) % 200,
    };
    calls.push(i % 4 === 3 ? makeMissedCall({ ...common, talkSeconds: null }) : makeCall(common));
  }
  return calls;
}

async function exportText(db: Database, input: ExportInput): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of new CallExportService(db, config).prepare(input).open()) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

async function allPages(db: Database, input: ListInput): Promise<unknown[]> {
  const admin = new CallAdminService(db, new CallStore(), config, new ManualClock(Date.UTC(2026, 3, 1)), tempDir());
  const seen: unknown[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const result = await admin.list({ ...input, limit: '37', ...(cursor ? { cursor } : {}) });
    seen.push(...result.calls);
    if (!result.nextCursor) return seen;
    cursor = result.nextCursor;
  }
  throw new Error('pagination did not end');
}

const PERIOD = { from: '2026-03-27', to: '2026-04-10' };

/**
 * The visits of the calls with a gclid: a third began 100 days before the call (past Google's
 * click window), a third 10 minutes before, and a third have no visit row.
 */
async function seedClickVisits(db: Database, calls: CallRecord[]): Promise<void> {
  const n = (call: CallRecord) => Number(call.id.slice(-12));
  const visited = calls.filter((call) => call.gclid !== null && n(call) % 3 !== 2);
  await seedVisitsOf(db, visited, (call) => call.startedAt - (n(call) % 3 === 0 ? 100 * 86_400_000 : 10 * 60_000));
}

describe('outputs on PostgreSQL equal those on SQLite', { skip: pgServer.skipReason }, () => {
  let sqlite: Database;
  let pg: Database;
  before(async () => {
    const calls = sampleCalls();
    sqlite = createDatabase({ client: 'sqlite3', filename: path.join(tempDir(), 'calltrack.sqlite'), busyTimeoutMs: 5000 });
    pg = createDatabase({ client: 'pg', connection: await pgServer.createDatabase(), pool: { min: 0, max: 4 } });
    await migrateToLatest(sqlite);
    await migrateToLatest(pg);
    await seedCalls(sqlite, calls);
    await seedCalls(pg, calls);
    await seedClickVisits(sqlite, calls);
    await seedClickVisits(pg, calls);
  });
  after(async () => {
    await sqlite?.destroy();
    await pg?.destroy();
  });

  const exports: [string, ExportInput][] = [
    ['CSV, defaults', PERIOD],
    ['CSV, Berlin time, semicolons, BOM, filtered', { ...PERIOD, tz: 'Europe/Berlin', delimiter: ';', bom: true, source: 'yandex' }],
    ['CSV, missed calls on one number', { ...PERIOD, status: 'missed', number: '+74950000101' }],
    ['Yandex Metrica', { ...PERIOD, format: 'metrica' }],
    ['Yandex Metrica, calls known by their yclid', { ...PERIOD, format: 'metrica-yclid' }],
    ['Google Ads', { ...PERIOD, format: 'google-ads' }],
    ['Google Ads clicks', { ...PERIOD, format: 'google-ads-clicks' }],
  ];
  for (const [name, input] of exports) {
    it(`export: ${name}`, async () => {
      const [a, b] = [await exportText(sqlite, input), await exportText(pg, input)];
      assert.ok(a.split('\n').length > 2, 'the export has rows');
      assert.equal(b, a);
    });
  }

  it('export counts agree (what the progress display divides by)', async () => {
    const count = (db: Database) => new CallExportService(db, config).prepare(PERIOD).count();
    assert.equal(await count(pg), await count(sqlite));
    assert.equal(await count(pg), 260);
  });

  for (const by of ['source', 'medium', 'campaign', 'term', 'number', 'pool']) {
    it(`source report by ${by}`, async () => {
      const run = (db: Database) => new SourceReportService(db, config).run({ ...PERIOD, by });
      assert.deepEqual(await run(pg), await run(sqlite));
    });
  }

  it('daily report across the daylight-saving change', async () => {
    const run = (db: Database) => new SourceDailyService(db, config).run({ ...PERIOD, tz: 'Europe/Berlin' });
    const [a, b] = [await run(sqlite), await run(pg)];
    assert.deepEqual(b, a);
  });

  it('admin API pages: same calls, same order, no call twice or missing', async () => {
    for (const input of [PERIOD, { ...PERIOD, source: 'google' }, { ...PERIOD, status: 'answered', medium: 'cpc' }]) {
      const [a, b] = [await allPages(sqlite, input), await allPages(pg, input)];
      assert.deepEqual(b, a);
      const ids = b.map((c) => (c as { id: string }).id);
      assert.equal(new Set(ids).size, ids.length);
    }
    assert.equal((await allPages(pg, PERIOD)).length, 260);
  });

  it('analyst edits (tags, note, deal value) read back the same', async () => {
    const id = '00000000-0000-4000-8000-000000000005';
    const edit = { tags: ['lead', 'lead', 'вип'], note: 'перезвонить', dealValue: 99.9 };
    const clock = new ManualClock(Date.UTC(2026, 3, 1));
    const results = [];
    for (const db of [sqlite, pg]) {
      const admin = new CallAdminService(db, new CallStore(), config, clock, tempDir());
      await admin.patch(id, edit);
      results.push(await admin.get(id));
    }
    assert.deepEqual(results[1], results[0]);
    assert.deepEqual((results[1] as { tags: string[] }).tags, ['lead', 'вип']);
  });
});
