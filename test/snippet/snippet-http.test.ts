import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { parseConfigText } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { makeConfig } from '../support/config.js';
import { pool, trackingApp, type TrackingFixture } from '../support/tracking-app.js';

const SITE = 'https://shop.example.com';

/** A GET whose body arrives exactly as sent (fetch would inflate gzip on the way). */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

/** A realistic big configuration: ten pools, each with its own site numbers. */
function manyPools() {
  return Array.from({ length: 10 }, (_, i) =>
    pool(`campaign-${i}`, 100 + i * 10, 10, {
      fallbackNumber: `+7495000${9910 + i}`,
      siteNumbers: [`+7 812 300-0${i}-00`, `+7 812 300-0${i}-01`],
      match: { source: [`source-${i}`] },
      ...(i % 2 ? { reveal: 'click' } : {}),
    }),
  );
}

describe('GET /snippet.js', () => {
  let f: TrackingFixture;
  before(async () => {
    f = await trackingApp(
      { snippet: { siteNumbers: ['8 800 555-35-35'] }, pools: [...manyPools(), pool('ads', 1, 10, { fallbackNumber: '+74950009901', siteNumbers: ['+7 (495) 123-45-67'] })] },
      { listen: true },
    );
  });
  after(() => f.close());

  it('serves the snippet with the site numbers and the API base of the request, at most 4 KB gzipped', async () => {
    const res = await rawGet(`${f.url}/snippet.js`, { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/javascript; charset=utf-8');
    assert.equal(res.headers['content-encoding'], 'gzip');
    assert.ok(res.body.length <= 4096, `snippet is ${res.body.length} bytes gzipped; the budget is 4096`);
    const js = gunzipSync(res.body).toString('utf8');
    assert.ok(!js.includes('__CALLTRACK_CONFIG__'), 'the configuration is injected');
    assert.match(js, new RegExp(`"api":"${f.url}"`), 'without http.publicUrl the API is where the snippet came from');
    assert.match(js, /"site":\["78005553535"\]/);
    assert.match(js, /"ads":\{"site":\["74951234567"\],"reveal":false\}/);
    assert.match(js, /"campaign-1":\{"site":\["78123000100","78123000101"\],"reveal":true\}/);
    assert.doesNotMatch(js, /"ga":/, 'without analytics.ga4 there is no GA4 session cookie to read (no event would carry it)');
    // It must parse as a classic script (what a browser sees).
    assert.doesNotThrow(() => new Function(js));

    const plain = await rawGet(`${f.url}/snippet.js`);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.body.toString('utf8'), js);
  });

  it('is cached: ETag and revalidation on the plain URL, a year on the versioned URL', async () => {
    const first = await fetch(`${f.url}/snippet.js`);
    const etag = first.headers.get('etag');
    assert.match(etag ?? '', /^"[A-Za-z0-9_-]{16}"$/);
    assert.equal(first.headers.get('cache-control'), 'public, max-age=300');
    const again = await fetch(`${f.url}/snippet.js`, { headers: { 'if-none-match': etag ?? '' } });
    assert.equal(again.status, 304);
    const version = (etag ?? '').replace(/"/g, '');
    const versioned = await fetch(`${f.url}/snippet.js?v=${version}`);
    assert.equal(versioned.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const stale = await fetch(`${f.url}/snippet.js?v=old`);
    assert.equal(stale.headers.get('cache-control'), 'public, max-age=300', 'an old version is served fresh, briefly cached');
  });

  it('follows http.publicUrl and a configuration reload', async () => {
    const before = await fetch(`${f.url}/snippet.js`);
    const cfg = makeConfig({
      http: { host: '127.0.0.1', port: 8080, publicUrl: 'https://track.example.com/', corsOrigins: [SITE] },
      tracking: { defaultCountry: 'RU' },
      snippet: { siteNumbers: ['8 800 555-35-36'] },
      pools: [pool('ads', 1, 10, { fallbackNumber: '+74950009901' })],
    });
    f.app.config.replace(cfg);
    const res = await fetch(`${f.url}/snippet.js`);
    const js = await res.text();
    assert.match(js, /"api":"https:\/\/track\.example\.com"/);
    assert.match(js, /"site":\["78005553536"\]/);
    assert.notEqual(res.headers.get('etag'), before.headers.get('etag'));
  });
});

describe('site numbers in the configuration', () => {
  const problems = (yaml: string) => {
    try {
      parseConfigText(yaml, 'x.yaml', {});
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.problems.map((p) => `${p.path}: ${p.message}`);
    }
    return assert.fail('expected a ConfigError');
  };
  const poolLine = (siteNumbers: string) =>
    `  - { name: ads, numbers: ["+74950000001", "+74950000002"], forwardTo: "+74951112233", onExhausted: reuse-oldest, siteNumbers: ${siteNumbers} }`;

  it('refuses a pool number listed as a site number, naming where', () => {
    const lines = problems(['tracking: { defaultCountry: RU }', 'snippet: { siteNumbers: ["+74950000002"] }', 'pools:', poolLine('["8 495 000-00-01"]')].join('\n'));
    assert.ok(lines.some((l) => /^snippet\.siteNumbers\[0\] \(line 2\): \+74950000002 is a number of pool "ads": list the number the website shows/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /^pools\[0\]\.siteNumbers\[0\] \(line 4\): \+74950000001 is a number of pool "ads"/.test(l)), lines.join('\n'));
  });

  it('refuses a site number that is not a phone number', () => {
    const lines = problems(['tracking: { defaultCountry: RU }', 'pools:', poolLine('["8 495 123-45-67", "call us"]')].join('\n'));
    assert.ok(lines.some((l) => /^pools\[0\]\.siteNumbers\[1\].*"call us" is not a valid phone number/.test(l)), lines.join('\n'));
  });

  it('accepts site numbers and reveal per pool, with defaults', () => {
    const { config } = parseConfigText(
      'tracking: { defaultCountry: RU }\npools:\n  - { name: ads, numbers: ["+74950000001"], forwardTo: "+74951112233", onExhausted: reuse-oldest, siteNumbers: ["8 (495) 123-45-67"], reveal: click }\n',
      'x.yaml',
      {},
    );
    assert.deepEqual(config.pools[0]?.siteNumbers, ['+74951234567']);
    assert.equal(config.pools[0]?.reveal, 'click');
    assert.deepEqual(config.snippet, { siteNumbers: [], revealLabel: 'Show number' });
  });
});
