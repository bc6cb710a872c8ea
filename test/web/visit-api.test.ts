import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pool, trackingApp, type TrackingFixture } from '../support/tracking-app.js';

const SITE = 'https://shop.example.com';

describe('visit API over HTTP (loopback)', () => {
  let f: TrackingFixture;
  before(async () => {
    f = await trackingApp(
      {
        http: { host: '127.0.0.1', port: 8080, corsOrigins: [SITE], rateLimit: { max: 3, windowSeconds: 60 }, bodyLimitBytes: 2048 },
        pools: [pool('ads', 1, 10, { fallbackNumber: '+74950009901' })],
      },
      { listen: true },
    );
  });
  after(() => f.close());

  const post = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${f.url}${path}`, {
      method: 'POST',
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('POST /v1/visits returns 201 with the number in E.164 and national display', async () => {
    const res = await post('/v1/visits', { url: `${SITE}/?utm_source=google&utm_medium=cpc`, referrer: '' });
    assert.equal(res.status, 201);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.type, 'dynamic');
    assert.equal(body.pool, 'ads');
    assert.equal(body.number, '+74950000001');
    assert.equal(body.display, '8 (495) 000-00-01');
    assert.match(String(body.visitId), /^[0-9a-f-]{36}$/);
    assert.match(String(body.visitorId), /^[0-9a-f-]{36}$/);
    assert.equal(body.holdUntil, new Date(f.clock.now() + 15 * 60_000).toISOString());

    const ping = await post(`/v1/visits/${String(body.visitId)}/ping`, { url: `${SITE}/cart` });
    assert.equal(ping.status, 200);
    assert.deepEqual(await ping.json(), {
      number: '+74950000001',
      display: '8 (495) 000-00-01',
      type: 'dynamic',
      holdUntil: new Date(f.clock.now() + 15 * 60_000).toISOString(),
    });
    // A page leaving uses sendBeacon: text/plain, or no body at all.
    const beacon = await post(`/v1/visits/${String(body.visitId)}/ping`, JSON.stringify({ url: `${SITE}/x` }), { 'content-type': 'text/plain;charset=UTF-8' });
    assert.equal(beacon.status, 200);
    assert.equal((await post(`/v1/visits/${String(body.visitId)}/ping`)).status, 200, 'a ping without a body');
    const release = await post(`/v1/visits/${String(body.visitId)}/release`);
    assert.equal(release.status, 204);
  });

  it('a bad body is 400 naming the field', async () => {
    const cases: [string, unknown, string][] = [
      ['/v1/visits', {}, 'body.url'],
      ['/v1/visits', { url: 'not a url' }, 'body.url'],
      ['/v1/visits', { url: `${SITE}/`, visitorId: 'has spaces' }, 'body.visitorId'],
      ['/v1/visits', { url: `${SITE}/`, region: 'x'.repeat(101) }, 'body.region'],
      ['/v1/visits', { url: `${SITE}/`, gaSessionId: 'GS1.1.1764666000.1.1' }, 'body.gaSessionId'],
      ['/v1/visits', { url: `${SITE}/`, gaSessionId: '1'.repeat(21) }, 'body.gaSessionId'],
      ['/v1/visits', { url: `${SITE}/`, gaSessionId: '' }, 'body.gaSessionId'],
      ['/v1/visits/x/ping', { url: `${SITE}/`, gaSessionId: '17646x' }, 'body.gaSessionId'],
    ];
    for (const [path, body, field] of cases) {
      const res = await post(path, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      const err = ((await res.json()) as { error: { field: string; message: string } }).error;
      assert.equal(err.field, field);
      assert.match(err.message, new RegExp(`^${field.replace('.', '\\.')}`));
    }
    const bad = await post('/v1/visits/x/ping', '{"url":', { 'content-type': 'text/plain' });
    assert.equal(bad.status, 400);
    // Broken or empty JSON under application/json gets the same documented error shape.
    for (const body of ['{"url":', '']) {
      const res = await fetch(`${f.url}/v1/visits`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.equal(res.status, 400, JSON.stringify(body));
      const err = ((await res.json()) as { error: { code: string; field: string } }).error;
      assert.deepEqual([err.code, err.field], ['invalid-input', 'body'], JSON.stringify(body));
    }
  });

  it('limits the body size', async () => {
    const res = await post('/v1/visits', { url: `${SITE}/?q=${'a'.repeat(3000)}` });
    assert.equal(res.status, 413);
  });

  it('unknown visits are 404', async () => {
    assert.equal((await post('/v1/visits/00000000-0000-0000-0000-000000000000/ping', {})).status, 404);
    assert.equal((await post('/v1/visits/00000000-0000-0000-0000-000000000000/release')).status, 404);
  });

  it('CORS answers the configured origin only; another origin is refused', async () => {
    const preflight = await fetch(`${f.url}/v1/visits`, {
      method: 'OPTIONS',
      headers: { origin: SITE, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.ok(preflight.status < 300);
    assert.equal(preflight.headers.get('access-control-allow-origin'), SITE);

    const evilPreflight = await fetch(`${f.url}/v1/visits`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.net', 'access-control-request-method': 'POST' },
    });
    assert.equal(evilPreflight.headers.get('access-control-allow-origin'), null);
    // The preflight of a page on an unlisted site says why, as its POST does (not a 404 "no route").
    assert.equal(evilPreflight.status, 403);
    assert.match(((await evilPreflight.json()) as { error: { message: string } }).error.message, /evil\.example\.net .*http\.corsOrigins/);

    const ok = await post('/v1/visits', { url: `${SITE}/` }, { origin: SITE });
    assert.equal(ok.status, 201);
    assert.equal(ok.headers.get('access-control-allow-origin'), SITE);
    const evil = await post('/v1/visits', { url: `${SITE}/` }, { origin: 'https://evil.example.net' });
    assert.equal(evil.status, 403);
    assert.match(((await evil.json()) as { error: { message: string } }).error.message, /http\.corsOrigins/);

    const health = await fetch(`${f.url}/healthz`, { headers: { origin: SITE } });
    assert.equal(health.headers.get('access-control-allow-origin'), null, 'CORS is only on the visit API');
  });

  it('past the per-IP rate limit a visit gets the fallback number, not an error', async () => {
    f.clock.advance(61_000); // a fresh window
    const types: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await post('/v1/visits', { url: `${SITE}/` });
      assert.equal(res.status, 201);
      types.push(String(((await res.json()) as { type: string }).type));
    }
    assert.deepEqual(types, ['dynamic', 'dynamic', 'dynamic', 'fallback', 'fallback']);
    f.clock.advance(61_000);
    const res = await post('/v1/visits', { url: `${SITE}/` });
    assert.equal(((await res.json()) as { type: string }).type, 'dynamic', 'a new window lets the address through again');
  });

  it('shares one allowance between the endpoints that take a number (visit, reveal)', async () => {
    f.clock.advance(61_000);
    const types: string[] = [];
    for (const path of ['/v1/visits', '/v1/visits/reveal', '/v1/visits', '/v1/visits/reveal']) {
      const res = await post(path, { url: `${SITE}/` });
      assert.equal(res.status, 201, path);
      types.push(String(((await res.json()) as { type: string }).type));
    }
    assert.deepEqual(types, ['dynamic', 'dynamic', 'dynamic', 'fallback']);
  });

  it("stores a visit's GA4 session id; a ping from a new GA session updates it, one without keeps it", async () => {
    f.clock.advance(61_000);
    const started = await post('/v1/visits', { url: `${SITE}/`, gaClientId: '111.222', gaSessionId: '1764666000' });
    assert.equal(started.status, 201);
    const { visitId } = (await started.json()) as { visitId: string };
    const stored = async () => ((await f.app.db('visits').where({ id: visitId }).first()) as { ga_session_id: string | null }).ga_session_id;
    assert.equal(await stored(), '1764666000');
    assert.equal((await post(`/v1/visits/${visitId}/ping`, { url: `${SITE}/`, gaSessionId: '1764667800' })).status, 200);
    assert.equal(await stored(), '1764667800', 'the page is in a new GA session');
    assert.equal((await post(`/v1/visits/${visitId}/ping`, { url: `${SITE}/cart`, gaSessionId: null })).status, 200);
    assert.equal(await stored(), '1764667800', 'a ping without one (the cookie is gone) keeps the last');
  });
});
