import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { ampCacheSubdomain, isAllowedAmpOrigin } from '../../src/web/amp-routes.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/temp.js';
import { createApp, type App } from '../../src/main.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { makeConfig } from '../support/config.js';
import { testLogger } from '../support/logger.js';
import { pool } from '../support/tracking-app.js';

const SITE = 'https://shop.example.com';
const CACHE = 'https://shop-example-com.cdn.ampproject.org';

describe('pool preview, reveal and AMP over HTTP', () => {
  // Created at the top of the file so it outlives the hooks: the CLI opens the same file.
  const dbFile = path.join(tempDir(), 'calltrack.sqlite');
  let f: { app: App; url: string };
  const doc = {
    database: { client: 'sqlite3', filename: dbFile },
    log: { level: 'silent' },
    http: { host: '127.0.0.1', port: 8080, corsOrigins: [SITE] },
    tracking: { defaultCountry: 'RU' },
    pools: [
      pool('hidden', 1, 3, { fallbackNumber: '+74950009901', reveal: 'click', match: { path: ['/hidden/*'] } }),
      pool('open', 11, 3, { fallbackNumber: '+74950009902' }),
    ],
  };
  before(async () => {
    const cfg = makeConfig(doc);
    const app = await createApp(cfg, { logger: testLogger() });
    await migrateToLatest(app.db);
    await app.numberSync.sync(cfg);
    f = { app, url: await app.http.listen({ host: '127.0.0.1', port: 0 }) };
  });
  after(async () => {
    await f.app.http.close();
    await f.app.stop();
  });

  const heldCount = async () => (await f.app.poolReports.poolStatus()).find((p) => p.pool === 'hidden')?.heldNow;

  it('GET /v1/visits/preview names the pool and whether it reveals on click, taking no number', async () => {
    const q = (url: string, headers: Record<string, string> = { origin: SITE }) =>
      fetch(`${f.url}/v1/visits/preview?url=${encodeURIComponent(url)}&referrer=`, { headers });
    const hidden = await q(`${SITE}/hidden/page`);
    assert.equal(hidden.status, 200);
    assert.equal(hidden.headers.get('access-control-allow-origin'), SITE);
    assert.deepEqual(await hidden.json(), { pool: 'hidden', reveal: true });
    assert.deepEqual(await (await q(`${SITE}/other`)).json(), { pool: 'open', reveal: false });
    assert.equal(await heldCount(), 0, 'a preview never holds a number');

    const bot = await q(`${SITE}/hidden/page`, { origin: SITE, 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' });
    assert.deepEqual(await bot.json(), { pool: 'hidden', reveal: false }, 'crawlers see a number, never a mask');

    const evil = await q(`${SITE}/hidden/page`, { origin: 'https://evil.example.net' });
    assert.equal(evil.status, 403);
    const bad = await q('not a url');
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { field: string } }).error.field, 'query.url');
  });

  it('POST /v1/visits/reveal takes a number and counts a reveal for the pool', async () => {
    const res = await fetch(`${f.url}/v1/visits/reveal`, {
      method: 'POST',
      headers: { origin: SITE, 'content-type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify({ url: `${SITE}/hidden/page`, visitorId: 'visitor-1', referrer: null }),
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('access-control-allow-origin'), SITE);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.pool, 'hidden');
    assert.equal(body.type, 'dynamic');
    assert.equal(body.number, '+74950000001');
    assert.equal(body.display, '8 (495) 000-00-01');
    assert.equal(await heldCount(), 1);
    const status = (await f.app.poolReports.poolStatus()).find((p) => p.pool === 'hidden');
    assert.equal(status?.reveals7d, 1);
    assert.equal((await f.app.poolReports.poolStatus()).find((p) => p.pool === 'open')?.reveals7d, 0);

    // The same visitor in another tab is not asked to click again; someone else is.
    const preview = (visitorId: string) =>
      fetch(`${f.url}/v1/visits/preview?url=${encodeURIComponent(`${SITE}/hidden/other`)}&visitorId=${visitorId}`).then((r) => r.json());
    assert.deepEqual(await preview('visitor-1'), { pool: 'hidden', reveal: false });
    assert.deepEqual(await preview('visitor-2'), { pool: 'hidden', reveal: true });

    // The operator sees it in `calltrack pools status` (same database, its own process).
    const file = path.join(path.dirname(dbFile), 'calltrack.yaml');
    writeFileSync(file, stringify(doc));
    const cli = await runCli(['pools', 'status', '-c', file]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /hidden: 3 numbers, 1 held now[\s\S]*numbers revealed on click: 1 \(7 days\)/);
    assert.ok(!/open:[\s\S]*revealed/.test(cli.stdout), 'pools without reveal do not show the line');

    const bad = await fetch(`${f.url}/v1/visits/reveal`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"url":' });
    assert.equal(bad.status, 400);
  });

  it('GET /v1/amp/number answers amp-call-tracking with the AMP CORS headers', async () => {
    const page = `${SITE}/amp/article`;
    const res = await fetch(`${f.url}/v1/amp/number?url=${encodeURIComponent(page)}&referrer=&visitorId=amp-Abc_12-x&__amp_source_origin=${encodeURIComponent(SITE)}`, {
      headers: { origin: CACHE },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), CACHE);
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(res.headers.get('amp-access-control-allow-source-origin'), SITE);
    assert.equal(res.headers.get('access-control-expose-headers'), 'AMP-Access-Control-Allow-Source-Origin');
    assert.equal(res.headers.get('cache-control'), 'private, no-store');
    assert.deepEqual(await res.json(), { phoneNumber: '+74950000011', formattedPhoneNumber: '8 (495) 000-00-11' });

    // The same AMP client again keeps its number (the visitor holds it).
    const again = await fetch(`${f.url}/v1/amp/number?url=${encodeURIComponent(page)}&visitorId=amp-Abc_12-x`, { headers: { origin: SITE } });
    assert.equal(again.headers.get('access-control-allow-origin'), SITE);
    assert.equal(again.headers.get('amp-access-control-allow-source-origin'), null);
    assert.equal(((await again.json()) as { phoneNumber: string }).phoneNumber, '+74950000011');

    const sameOrigin = await fetch(`${f.url}/v1/amp/number?url=${encodeURIComponent(page)}`, { headers: { 'amp-same-origin': 'true' } });
    assert.equal(sameOrigin.status, 200);

    const wrongCache = await fetch(`${f.url}/v1/amp/number?url=${encodeURIComponent(page)}`, { headers: { origin: 'https://evil-example-net.cdn.ampproject.org' } });
    assert.equal(wrongCache.status, 403);
    const wrongSource = await fetch(`${f.url}/v1/amp/number?url=${encodeURIComponent(page)}&__amp_source_origin=${encodeURIComponent('https://evil.example.net')}`, {
      headers: { origin: CACHE },
    });
    assert.equal(wrongSource.status, 403);
    const noOrigin = await fetch(`${f.url}/v1/amp/number?url=${encodeURIComponent(page)}`);
    assert.equal(noOrigin.status, 403);
  });

  it('maps publisher hosts to AMP cache subdomains', () => {
    assert.equal(ampCacheSubdomain('shop.example.com'), 'shop-example-com');
    assert.equal(ampCacheSubdomain('my-shop.example.com'), 'my--shop-example-com');
    assert.ok(isAllowedAmpOrigin('https://my--shop-example-com.cdn.ampproject.org', ['https://my-shop.example.com']));
    assert.ok(!isAllowedAmpOrigin('http://my--shop-example-com.cdn.ampproject.org', ['https://my-shop.example.com']));
    assert.ok(!isAllowedAmpOrigin('https://my-shop-example-com.cdn.ampproject.org', ['https://my-shop.example.com']));
  });
});
