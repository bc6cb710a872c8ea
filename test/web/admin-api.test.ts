import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import type { LightMyRequestResponse } from 'fastify';
import { ManualClock } from '../../src/clock.js';
import { createApp, type App } from '../../src/main.js';
import { makeCall, makeMissedCall, seedCalls, seedVisitsOf } from '../support/calls.js';
import { makeConfig } from '../support/config.js';
import { testLogger } from '../support/logger.js';
import { tempDir } from '../support/temp.js';

const TOKEN = 'test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

async function startApp(dir: string, http: Record<string, unknown> = { adminToken: TOKEN }, more: Record<string, unknown> = {}): Promise<App> {
  const cfg = makeConfig({
    database: { client: 'sqlite3', filename: path.join(dir, 'calltrack.sqlite') },
    http: { host: '127.0.0.1', publicUrl: 'https://track.example.com', ...http },
    tracking: { defaultCountry: 'RU' },
    media: { recording: { dir: 'recordings' } },
    log: { level: 'silent' },
    ...more,
  });
  const app = await createApp(cfg, { logger: testLogger(), clock: new ManualClock(Date.UTC(2026, 10, 20)), baseDir: dir });
  await app.start({ listen: false });
  return app;
}

describe('admin API', () => {
  it('refuses every admin endpoint without the token or with a wrong one', async () => {
    const app = await startApp(tempDir());
    try {
      const call = makeCall();
      await seedCalls(app.db, [call]);
      const endpoints: [string, string][] = [
        ['GET', '/v1/calls'],
        ['GET', `/v1/calls/${call.id}`],
        ['PATCH', `/v1/calls/${call.id}`],
        ['GET', `/v1/calls/${call.id}/recording`],
        ['GET', '/v1/calls.csv'],
        ['GET', '/v1/reports/sources'],
      ];
      for (const [method, url] of endpoints) {
        for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: TOKEN }, { authorization: `Basic ${TOKEN}` }]) {
          const res = await app.http.inject({ method: method as 'GET', url, headers, ...(method === 'PATCH' ? { payload: { note: 'x' } } : {}) });
          assert.equal(res.statusCode, 401, `${method} ${url} with ${JSON.stringify(headers)}`);
          assert.equal(res.headers['www-authenticate'], 'Bearer');
          assert.match(res.json<{ error: { message: string } }>().error.message, /Authorization: Bearer/);
        }
      }
      const unchanged = await app.http.inject({ method: 'GET', url: `/v1/calls/${call.id}`, headers: auth });
      assert.equal(unchanged.json<{ note: string | null }>().note, null, 'the refused PATCH changed nothing');
    } finally {
      await app.stop();
    }
  });

  it('answers 503 with how to open it when no admin token is configured', async () => {
    const app = await startApp(tempDir(), {});
    try {
      const res = await app.http.inject({ method: 'GET', url: '/v1/calls', headers: auth });
      assert.equal(res.statusCode, 503);
      assert.match(res.json<{ error: { message: string } }>().error.message, /set http\.adminToken/);
    } finally {
      await app.stop();
    }
  });

  it('lists calls newest first with filters and cursor pagination', async () => {
    const app = await startApp(tempDir());
    try {
      const base = Date.UTC(2026, 10, 2, 9);
      const calls = Array.from({ length: 7 }, (_, i) =>
        i % 3 === 2 ? makeMissedCall({ startedAt: base + i * 60_000, source: 'google' }) : makeCall({ startedAt: base + i * 60_000 }),
      );
      await seedCalls(app.db, [...calls, makeCall({ startedAt: Date.UTC(2026, 9, 1) })]);
      const seen: string[] = [];
      let cursor: string | null = '';
      let pages = 0;
      while (cursor !== null) {
        const res: LightMyRequestResponse = await app.http.inject({
          method: 'GET',
          url: `/v1/calls?from=2026-11-01&to=2026-11-30&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
          headers: auth,
        });
        assert.equal(res.statusCode, 200, res.body);
        const body = res.json<{ calls: { id: string }[]; nextCursor: string | null }>();
        seen.push(...body.calls.map((c) => c.id));
        cursor = body.nextCursor;
        pages += 1;
      }
      assert.equal(pages, 3);
      assert.deepEqual(seen, calls.map((c) => c.id).reverse());

      const missed = await app.http.inject({ method: 'GET', url: '/v1/calls?status=missed&source=google', headers: auth });
      assert.deepEqual(
        missed.json<{ calls: { id: string; status: string }[] }>().calls.map((c) => c.id),
        [calls[5]!.id, calls[2]!.id],
      );
      const byNumber = await app.http.inject({ method: 'GET', url: '/v1/calls?number=8%20(495)%20000-01-01', headers: auth });
      assert.equal(byNumber.json<{ calls: unknown[] }>().calls.length, 8, 'numbers are normalised like the config');

      const bad = await app.http.inject({ method: 'GET', url: '/v1/calls?from=yesterday', headers: auth });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.json<{ error: { message: string; field: string } }>().error.message, /^from: "yesterday" is not a date/);
      const badCursor = await app.http.inject({ method: 'GET', url: '/v1/calls?cursor=nonsense', headers: auth });
      assert.equal(badCursor.statusCode, 400);
    } finally {
      await app.stop();
    }
  });

  it('shows one call and lets the analyst change tags, note and deal value only', async () => {
    const app = await startApp(tempDir());
    try {
      const call = makeCall();
      await seedCalls(app.db, [call]);
      const res = await app.http.inject({ method: 'GET', url: `/v1/calls/${call.id}`, headers: auth });
      const json = res.json<{ id: string; attribution: { source: string }; targetCall: boolean; startedAt: string }>();
      assert.equal(json.attribution.source, 'yandex');
      assert.equal(json.targetCall, true);
      assert.equal(json.startedAt, '2026-11-02T09:00:00.000Z');

      const patched = await app.http.inject({
        method: 'PATCH',
        url: `/v1/calls/${call.id}`,
        headers: auth,
        payload: { tags: ['vip', 'vip', 'delivery'], note: 'wants two fridges', dealValue: 120000 },
      });
      assert.equal(patched.statusCode, 200, patched.body);
      assert.deepEqual(patched.json<{ tags: string[] }>().tags, ['vip', 'delivery']);
      const again = (await app.http.inject({ method: 'GET', url: `/v1/calls/${call.id}`, headers: auth })).json<{
        note: string;
        dealValue: number;
      }>();
      assert.equal(again.note, 'wants two fridges');
      assert.equal(again.dealValue, 120000);

      for (const [payload, pattern] of [
        [{ status: 'answered' }, /unknown field status/],
        [{ dealValue: -5 }, /dealValue: must not be negative/],
        [{ tags: ['a,b'] }, /tags\.0: a tag may not contain commas/],
      ] as const) {
        const r = await app.http.inject({ method: 'PATCH', url: `/v1/calls/${call.id}`, headers: auth, payload });
        assert.equal(r.statusCode, 400, JSON.stringify(payload));
        assert.match(r.json<{ error: { message: string } }>().error.message, pattern);
      }
      const missing = await app.http.inject({ method: 'PATCH', url: '/v1/calls/no-such-call', headers: auth, payload: { note: 'x' } });
      assert.equal(missing.statusCode, 404);
    } finally {
      await app.stop();
    }
  });

  it('serves a recording from the call row with Range requests, and nothing outside the recordings directory', async () => {
    const dir = tempDir();
    const app = await startApp(dir);
    try {
      mkdirSync(path.join(dir, 'recordings', '2026-11'), { recursive: true });
      const audio = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256));
      writeFileSync(path.join(dir, 'recordings', '2026-11', 'a.wav'), audio);
      writeFileSync(path.join(dir, 'secret.txt'), 'not audio');
      symlinkSync(path.join(dir, 'secret.txt'), path.join(dir, 'recordings', 'link.wav'));
      const saved = makeCall({ recordingStatus: 'saved', recordingPath: '2026-11/a.wav', recordingSize: 1000 });
      const escaping = makeCall({ recordingStatus: 'saved', recordingPath: '../secret.txt' });
      const linked = makeCall({ recordingStatus: 'saved', recordingPath: 'link.wav' });
      const absolute = makeCall({ recordingStatus: 'saved', recordingPath: path.join(dir, 'secret.txt') });
      const none = makeMissedCall();
      await seedCalls(app.db, [saved, escaping, linked, absolute, none]);

      const whole = await app.http.inject({ method: 'GET', url: `/v1/calls/${saved.id}/recording`, headers: auth });
      assert.equal(whole.statusCode, 200);
      assert.equal(whole.headers['content-type'], 'audio/wav');
      assert.equal(whole.headers['accept-ranges'], 'bytes');
      assert.deepEqual(whole.rawPayload, audio);

      const part = await app.http.inject({ method: 'GET', url: `/v1/calls/${saved.id}/recording`, headers: { ...auth, range: 'bytes=100-199' } });
      assert.equal(part.statusCode, 206);
      assert.equal(part.headers['content-range'], 'bytes 100-199/1000');
      assert.equal(part.headers['content-length'], '100');
      assert.deepEqual(part.rawPayload, audio.subarray(100, 200));

      const tail = await app.http.inject({ method: 'GET', url: `/v1/calls/${saved.id}/recording`, headers: { ...auth, range: 'bytes=-10' } });
      assert.equal(tail.headers['content-range'], 'bytes 990-999/1000');
      assert.deepEqual(tail.rawPayload, audio.subarray(990));

      const past = await app.http.inject({ method: 'GET', url: `/v1/calls/${saved.id}/recording`, headers: { ...auth, range: 'bytes=5000-' } });
      assert.equal(past.statusCode, 416);
      assert.equal(past.headers['content-range'], 'bytes */1000');

      for (const call of [escaping, linked, absolute]) {
        const res = await app.http.inject({ method: 'GET', url: `/v1/calls/${call.id}/recording`, headers: auth });
        assert.equal(res.statusCode, 404, call.recordingPath ?? '');
        assert.doesNotMatch(res.body, /not audio/);
      }
      const unrecorded = await app.http.inject({ method: 'GET', url: `/v1/calls/${none.id}/recording`, headers: auth });
      assert.equal(unrecorded.statusCode, 404);
      assert.match(unrecorded.json<{ error: { message: string } }>().error.message, /not recorded/);
      const traversal = await app.http.inject({ method: 'GET', url: `/v1/calls/..%2F..%2Fsecret.txt/recording`, headers: auth });
      assert.equal(traversal.statusCode, 404);
    } finally {
      await app.stop();
    }
  });

  it('a CSV download the client abandons stops reading, and the server goes on and shuts down cleanly', async () => {
    const app = await startApp(tempDir());
    try {
      const t0 = Date.UTC(2026, 10, 2, 9);
      await seedCalls(app.db, Array.from({ length: 3000 }, (_, i) => makeCall({ startedAt: t0 + i * 1000 })));
      const base = await app.http.listen({ host: '127.0.0.1', port: 0 });
      // Read the first bytes of a 3,000-row export, then hang up.
      await new Promise<void>((resolve, reject) => {
        const req = request(`${base}/v1/calls.csv?from=2026-11-01&to=2026-11-30`, { headers: auth }, (res) => {
          assert.equal(res.statusCode, 200);
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve() : reject(err)));
        req.end();
      });
      const after = await app.http.inject({ method: 'GET', url: '/v1/calls?limit=1', headers: auth });
      assert.equal(after.statusCode, 200, 'the database is free for the next request');
    } finally {
      await app.stop();
      await app.http.close();
    }
  });

  it('streams GET /v1/calls.csv with the export options, and reports sources as JSON', async () => {
    const app = await startApp(tempDir());
    try {
      await seedCalls(app.db, [makeCall({ source: 'yandex' }), makeCall({ source: 'yandex', talkSeconds: 5 }), makeMissedCall({ source: 'google' })]);
      const res = await app.http.inject({
        method: 'GET',
        url: '/v1/calls.csv?from=2026-11-01&to=2026-11-30&tz=Europe/Moscow&delimiter=;&bom=1&status=answered',
        headers: auth,
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.headers['content-type'], 'text/csv; charset=utf-8');
      assert.match(String(res.headers['content-disposition']), /attachment; filename="calls-2026-11-01_2026-11-30\.csv"/);
      const rows = parse(res.body, { columns: true, delimiter: ';', bom: true }) as Record<string, string>[];
      assert.equal(rows.length, 2);
      assert.equal(rows[0]?.started_at, '2026-11-02T12:00:00+03:00');

      const bad = await app.http.inject({ method: 'GET', url: '/v1/calls.csv?tz=Nowhere/City', headers: auth });
      assert.equal(bad.statusCode, 400);

      // The formula guard stays on unless raw=1 is asked for: raw=no or raw= is a 400, not "on".
      const guarded = await app.http.inject({ method: 'GET', url: '/v1/calls.csv?raw=0', headers: auth });
      assert.match(guarded.body, /,'\+74950000101,/);
      assert.match((await app.http.inject({ method: 'GET', url: '/v1/calls.csv?raw=1', headers: auth })).body, /,\+74950000101,/);
      for (const query of ['raw=no', 'raw=', 'bom=yes']) {
        const refused = await app.http.inject({ method: 'GET', url: `/v1/calls.csv?${query}`, headers: auth });
        assert.equal(refused.statusCode, 400, query);
        assert.equal(refused.json<{ error: { field: string } }>().error.field, query.split('=')[0]);
      }

      const report = await app.http.inject({ method: 'GET', url: '/v1/reports/sources?from=2026-11-01&to=2026-11-30&by=source', headers: auth });
      assert.equal(report.statusCode, 200, report.body);
      const body = report.json<{ groups: { key: string; calls: number; targetCalls: number; missed: number }[]; totals: { calls: number } }>();
      assert.deepEqual(
        body.groups.map((g) => [g.key, g.calls, g.targetCalls, g.missed]),
        [
          ['yandex', 2, 1, 0],
          ['google', 1, 0, 1],
        ],
      );
      assert.equal(body.totals.calls, 3);
    } finally {
      await app.stop();
    }
  });

  it('serves GET /v1/calls.csv?format=google-ads-clicks over HTTP, and a 400 naming the setting when it is missing', async () => {
    const clicked = makeCall({ source: 'google', gclid: 'Cj0KCQiA-http' });
    const calls = [clicked, makeCall({ startedAt: Date.UTC(2026, 10, 3, 9) })];
    const url = '/v1/calls.csv?from=2026-11-01&to=2026-11-30&tz=Europe/Moscow&format=google-ads-clicks';
    const get = async (app: App) => {
      await seedCalls(app.db, calls);
      await seedVisitsOf(app.db, calls, (call) => call.startedAt - 60_000);
      const base = await app.http.listen({ host: '127.0.0.1', port: 0 });
      return fetch(`${base}${url}`, { headers: auth });
    };

    const named = await startApp(tempDir(), undefined, { exports: { googleAds: { clickConversionName: 'Call after ad click', conversionValue: 700 } } });
    try {
      const res = await get(named);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-disposition'), 'attachment; filename="calls-google-ads-clicks-2026-11-01_2026-11-30.csv"');
      assert.deepEqual(parse(await res.text(), { relax_column_count: true }), [
        ['Parameters:TimeZone=Europe/Moscow'],
        ['Google Click ID', 'Conversion Name', 'Conversion Time', 'Conversion Value', 'Conversion Currency'],
        ['Cj0KCQiA-http', 'Call after ad click', '2026-11-02 12:01:36', '700', ''],
      ]);
    } finally {
      await named.stop();
      await named.http.close();
    }

    const unnamed = await startApp(tempDir(), undefined, { exports: { googleAds: { conversionName: 'Phone lead' } } });
    try {
      const res = await get(unnamed);
      assert.equal(res.status, 400);
      const body = (await res.json()) as { error: { message: string; field: string } };
      assert.match(body.error.message, /format google-ads-clicks needs exports\.googleAds\.clickConversionName/);
      assert.equal(body.error.field, 'format');
    } finally {
      await unnamed.stop();
      await unnamed.http.close();
    }
  });
});
