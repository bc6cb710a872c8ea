import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { SourceReportService } from '../../src/exports/source-report.js';
import { createApp, type App } from '../../src/main.js';
import { makeCall, makeMissedCall, seedCalls } from '../support/calls.js';
import { makeConfig } from '../support/config.js';
import { testLogger } from '../support/logger.js';
import { tempDir } from '../support/temp.js';

const TOKEN = 'test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const NOW = Date.UTC(2026, 10, 20, 12);

async function startApp(dir: string, clock = new ManualClock(NOW)): Promise<App> {
  const cfg = makeConfig({
    database: { client: 'sqlite3', filename: path.join(dir, 'calltrack.sqlite') },
    http: { host: '127.0.0.1', adminToken: TOKEN },
    tracking: { defaultCountry: 'RU' },
    media: { recording: { dir: 'recordings' } },
    exports: { timeZone: 'Europe/Moscow' },
    pools: [{ name: 'ads', numbers: ['+74950000101'], forwardTo: '+74951112233', fallbackNumber: '+74950000199' }],
    log: { level: 'silent' },
  });
  const app = await createApp(cfg, { logger: testLogger(), clock, baseDir: dir });
  await app.start({ listen: false });
  return app;
}

describe('dashboard API', () => {
  it('serves the page and its modules without data, with a strict CSP, and nothing outside its directory', async () => {
    const app = await startApp(tempDir());
    try {
      const page = await app.http.inject({ method: 'GET', url: '/' });
      assert.equal(page.statusCode, 200);
      assert.match(String(page.headers['content-type']), /^text\/html/);
      assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
      assert.equal(page.headers['referrer-policy'], 'no-referrer');
      const js = await app.http.inject({ method: 'GET', url: '/ui/app.js' });
      assert.match(String(js.headers['content-type']), /^text\/javascript/);
      const again = await app.http.inject({ method: 'GET', url: '/ui/app.js', headers: { 'if-none-match': String(js.headers.etag) } });
      assert.equal(again.statusCode, 304);
      for (const url of ['/ui/..%2F..%2Fmain.ts', '/ui/nope.js', '/ui/%2e%2e%2fadmin-api.ts']) {
        assert.equal((await app.http.inject({ method: 'GET', url })).statusCode, 404, url);
      }
    } finally {
      await app.stop();
    }
  });

  it('refuses every dashboard data endpoint without the right token', async () => {
    const app = await startApp(tempDir());
    try {
      const call = makeCall();
      await seedCalls(app.db, [call]);
      const endpoints: [string, string][] = [
        ['GET', '/v1/dashboard/settings'],
        ['GET', '/v1/calls/live'],
        ['POST', `/v1/calls/${call.id}/recording-link`],
        ['GET', `/v1/visits/${call.visitId}`],
        ['GET', '/v1/reports/sources/daily?from=2026-11-01&to=2026-11-30'],
        ['GET', '/v1/pools'],
      ];
      for (const [method, url] of endpoints) {
        for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }]) {
          const res = await app.http.inject({ method: method as 'GET', url, headers });
          assert.equal(res.statusCode, 401, `${method} ${url}`);
        }
      }
      const settings = await app.http.inject({ method: 'GET', url: '/v1/dashboard/settings', headers: auth });
      assert.equal(settings.json<{ timeZone: string }>().timeZone, 'Europe/Moscow');
    } finally {
      await app.stop();
    }
  });

  it('mints recording links that play with Range, expire, and die when the admin token changes', async () => {
    const dir = tempDir();
    const clock = new ManualClock(NOW);
    const app = await startApp(dir, clock);
    try {
      mkdirSync(path.join(dir, 'recordings'));
      writeFileSync(path.join(dir, 'recordings', 'a.wav'), Buffer.alloc(1000, 7));
      const call = makeCall({ recordingStatus: 'saved', recordingPath: 'a.wav' });
      const other = makeCall({ recordingStatus: 'saved', recordingPath: 'a.wav' });
      const unrecorded = makeMissedCall();
      await seedCalls(app.db, [call, other, unrecorded]);

      const minted = await app.http.inject({ method: 'POST', url: `/v1/calls/${call.id}/recording-link`, headers: auth });
      assert.equal(minted.statusCode, 200, minted.body);
      const { url, expiresAt } = minted.json<{ url: string; expiresAt: string }>();
      assert.ok(Date.parse(expiresAt) - NOW <= 15 * 60_000 + 1000);
      const part = await app.http.inject({ method: 'GET', url, headers: { range: 'bytes=10-19' } });
      assert.equal(part.statusCode, 206);
      assert.equal(part.headers['content-range'], 'bytes 10-19/1000');

      const forOther = url.replace(call.id, other.id);
      assert.equal((await app.http.inject({ method: 'GET', url: forOther })).statusCode, 401, 'a link opens its own call only');
      const none = await app.http.inject({ method: 'POST', url: `/v1/calls/${unrecorded.id}/recording-link`, headers: auth });
      assert.equal(none.statusCode, 404);

      clock.advance(16 * 60_000);
      const expired = await app.http.inject({ method: 'GET', url });
      assert.equal(expired.statusCode, 401);
      assert.match(expired.json<{ error: { message: string } }>().error.message, /expired/);

      const fresh = (await app.http.inject({ method: 'POST', url: `/v1/calls/${call.id}/recording-link`, headers: auth })).json<{ url: string }>().url;
      await app.reload(makeConfig({ ...structuredClone(app.config.current), http: { ...app.config.current.http, adminToken: 'a-brand-new-admin-token-42' } } as never));
      assert.equal((await app.http.inject({ method: 'GET', url: fresh })).statusCode, 401, 'rotating the token revokes links');
    } finally {
      await app.stop();
    }
  });

  it('splits the source report by local day with the same totals, and lists only calls in progress as live', async () => {
    const app = await startApp(tempDir());
    try {
      // 23:30 Moscow on Nov 2 is 20:30 UTC: it belongs to Nov 2 there, not Nov 3.
      const late = makeCall({ startedAt: Date.UTC(2026, 10, 2, 20, 30), source: 'google' });
      const calls = [makeCall(), makeMissedCall({ source: 'google' }), makeCall({ startedAt: Date.UTC(2026, 10, 5, 9), source: null }), late];
      const ringing = makeCall({ startedAt: NOW - 5000, answeredAt: null, endedAt: null, status: 'ringing', talkSeconds: null });
      const talking = makeCall({ startedAt: NOW - 60_000, endedAt: null, status: 'answered', talkSeconds: null });
      const stale = makeCall({ startedAt: NOW - 24 * 3_600_000, endedAt: null, status: 'answered' });
      await seedCalls(app.db, [...calls, ringing, talking, stale]);

      const q = 'from=2026-11-01&to=2026-11-07&by=source';
      const res = await app.http.inject({ method: 'GET', url: `/v1/reports/sources/daily?${q}`, headers: auth });
      assert.equal(res.statusCode, 200, res.body);
      const daily = res.json<{ days: string[]; groups: { key: string | null; calls: number; perDay: number[] }[]; totals: { calls: number } }>();
      assert.deepEqual(daily.days, ['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05', '2026-11-06', '2026-11-07']);
      assert.deepEqual(daily.groups.find((g) => g.key === 'google')?.perDay, [0, 2, 0, 0, 0, 0, 0]);
      const report = await new SourceReportService(app.db, app.config).run({ from: '2026-11-01', to: '2026-11-07', by: 'source' });
      assert.equal(daily.totals.calls, report.totals.calls);
      // Ties may come in another order (NULL sorts differently on SQLite and PostgreSQL); the UI follows the report's.
      const byKey = (rows: { key: string | null; calls: number }[]) => rows.map((g) => `${g.key}:${g.calls}`).sort();
      assert.deepEqual(byKey(daily.groups), byKey(report.groups));
      const missing = await app.http.inject({ method: 'GET', url: '/v1/reports/sources/daily?from=2026-11-01', headers: auth });
      assert.equal(missing.statusCode, 400);
      assert.match(missing.json<{ error: { message: string } }>().error.message, /^to: required/);

      const live = (await app.http.inject({ method: 'GET', url: '/v1/calls/live', headers: auth })).json<{ calls: { id: string }[] }>();
      assert.deepEqual(live.calls.map((c) => c.id), [ringing.id, talking.id]);
    } finally {
      await app.stop();
    }
  });

  it('shows a visit with its pages and pool health with a warning when the pool ran out', async () => {
    const app = await startApp(tempDir());
    try {
      const first = await app.visits.startVisit({ url: 'https://shop.example.com/?utm_source=google', ip: '203.0.113.9' });
      await app.visits.ping(first.visitId, 'https://shop.example.com/cart');
      await app.visits.startVisit({ url: 'https://shop.example.com/', ip: '203.0.113.10' });

      const visit = (await app.http.inject({ method: 'GET', url: `/v1/visits/${first.visitId}`, headers: auth })).json<{ pages: { url: string }[] }>();
      assert.deepEqual(visit.pages.map((p) => p.url), ['https://shop.example.com/?utm_source=google', 'https://shop.example.com/cart']);
      assert.equal((await app.http.inject({ method: 'GET', url: '/v1/visits/nope', headers: auth })).statusCode, 404);

      const pools = (await app.http.inject({ method: 'GET', url: '/v1/pools', headers: auth })).json<{
        pools: { pool: string; size: number; heldNow: number; tooSmall: boolean; warning: string; days: { peakHeld: number }[] }[];
      }>().pools;
      assert.equal(pools.length, 1);
      const ads = pools[0]!;
      assert.equal(ads.size, 1);
      assert.equal(ads.heldNow, 1);
      assert.equal(ads.tooSmall, true);
      assert.match(ads.warning, /ran out of numbers 1 time in 7 days/);
      assert.deepEqual(ads.days.map((d) => d.peakHeld), [0, 0, 0, 0, 0, 0, 1]);
    } finally {
      await app.stop();
    }
  });
});
