import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OutboxStore } from '../../src/integrations/outbox-store.js';
import { Scrape } from '../support/prometheus-text.js';
import { MINUTE, pool, trackingApp, type TrackingFixture } from '../support/tracking-app.js';

const SITE = 'https://shop.example.com';
// Two numbers: the third visitor at once finds the pool exhausted.
const ADS_POOL = pool('ads', 1, 2, { fallbackNumber: '+74950009901' });

const scrape = async (f: TrackingFixture): Promise<Scrape> => {
  const res = await fetch(`${f.url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return new Scrape(await res.text());
};

const visit = async (f: TrackingFixture, visitorId: string, userAgent = 'Mozilla/5.0') => {
  const res = await fetch(`${f.url}/v1/visits`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': userAgent },
    body: JSON.stringify({ url: `${SITE}/?utm_source=google&utm_medium=cpc`, visitorId }),
  });
  assert.equal(res.status, 201);
  return (await res.json()) as { visitId: string; type: string; number: string | null };
};

describe('GET /metrics: pools and visits', () => {
  let f: TrackingFixture;
  before(async () => {
    f = await trackingApp({ pools: [ADS_POOL] }, { listen: true });
  });
  after(() => f.close());

  it('shows held numbers and an exhausted pool after visits, counting each event once', async () => {
    const ads = { pool: 'ads' };
    const first = await scrape(f);
    assert.equal(first.value('calltrack_database_up'), 1);
    assert.equal(first.value('calltrack_pool_numbers', ads), 2);
    assert.equal(first.value('calltrack_pool_numbers_held', ads), 0);
    assert.equal(first.value('calltrack_pool_exhaustions_total', ads), 0, 'the series exists before the first exhaustion');
    assert.equal(first.value('calltrack_visits_started_total', { pool: 'ads', type: 'dynamic' }), 0);

    // Two numbers, three visitors: the third finds the pool exhausted and sees the fallback.
    const shown = [await visit(f, 'visitor-1'), await visit(f, 'visitor-2'), await visit(f, 'visitor-3')];
    assert.deepEqual(shown.map((s) => s.type), ['dynamic', 'dynamic', 'fallback']);
    const afterVisits = await scrape(f);
    assert.equal(afterVisits.value('calltrack_pool_numbers_held', ads), 2);
    assert.equal(afterVisits.value('calltrack_pool_exhaustions_total', ads), 1);
    assert.equal(afterVisits.value('calltrack_pool_fallback_shows_total', ads), 1);
    assert.equal(afterVisits.value('calltrack_pool_takeovers_total', ads), 0);
    assert.equal(afterVisits.value('calltrack_visits_started_total', { pool: 'ads', type: 'dynamic' }), 2);
    assert.equal(afterVisits.value('calltrack_visits_started_total', { pool: 'ads', type: 'fallback' }), 1);

    // A crawler takes no number; its visit is counted apart from the pool's exhaustion.
    assert.equal((await visit(f, 'crawler', 'Googlebot/2.1 (+http://www.google.com/bot.html)')).type, 'fallback');
    const again = await scrape(f);
    assert.equal(again.value('calltrack_pool_bot_fallbacks_total', ads), 1);
    assert.equal(again.value('calltrack_pool_exhaustions_total', ads), 1, 'an event is counted once, not at every scrape');
    assert.equal(again.value('calltrack_visits_started_total', { pool: 'ads', type: 'fallback' }), 2);

    // Holds lapse without anything running: the gauge is read from the database at scrape time.
    f.clock.advance(2 * 60 * MINUTE);
    const later = await scrape(f);
    assert.equal(later.value('calltrack_pool_numbers_held', ads), 0);
    assert.equal(later.value('calltrack_pool_numbers', ads), 2);
  });

  it('counts HTTP responses by route pattern and status, unknown paths as one series', async () => {
    const before = await scrape(f);
    const visits201 = { route: '/v1/visits', code: '201' };
    const count = (s: Scrape, labels: Record<string, string>) => s.value('calltrack_http_responses_total', labels) ?? 0;
    await visit(f, 'visitor-http');
    const bad = await fetch(`${f.url}/v1/visits`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"url": 5}' });
    assert.equal(bad.status, 400);
    for (const path of ['/wp-login.php', '/.env']) assert.equal((await fetch(`${f.url}${path}`)).status, 404);
    assert.equal((await fetch(`${f.url}/v1/visits/no-such-visit/ping`, { method: 'POST' })).status, 404);
    // A database that cannot write: the page is refused (503) and keeps its own number.
    await f.app.db.raw('PRAGMA query_only = ON');
    try {
      const refused = await fetch(`${f.url}/v1/visits`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: `${SITE}/?utm_source=google&utm_medium=cpc`, visitorId: 'visitor-refused' }),
      });
      assert.equal(refused.status, 503);
    } finally {
      await f.app.db.raw('PRAGMA query_only = OFF');
    }
    const s = await scrape(f);
    assert.equal(count(s, visits201) - count(before, visits201), 1);
    assert.equal(count(s, { route: '/v1/visits', code: '503' }), 1, 'the refused visit is counted');
    assert.equal(count(s, { route: '/v1/visits', code: '400' }) - count(before, { route: '/v1/visits', code: '400' }), 1);
    assert.equal(count(s, { route: 'unmatched', code: '404' }) - count(before, { route: 'unmatched', code: '404' }), 2);
    assert.equal(count(s, { route: '/v1/visits/:id/ping', code: '404' }), 1);
    const labelValues = s.samples.flatMap((x) => Object.values(x.labels));
    assert.ok(!labelValues.some((v) => /wp-login|\.env|no-such-visit/.test(v)), 'no URL becomes a label');
  });

  it('counts pings and releases', async () => {
    const before = await scrape(f);
    const { visitId } = await visit(f, 'visitor-9');
    for (const action of ['ping', 'ping', 'release']) {
      const res = await fetch(`${f.url}/v1/visits/${visitId}/${action}`, { method: 'POST' });
      assert.ok(res.ok, `${action}: ${res.status}`);
    }
    const now = await scrape(f);
    assert.equal((now.value('calltrack_visit_pings_total') ?? 0) - (before.value('calltrack_visit_pings_total') ?? 0), 2);
    assert.equal((now.value('calltrack_visit_releases_total') ?? 0) - (before.value('calltrack_visit_releases_total') ?? 0), 1);
  });
});

describe('GET /metrics: a pool removed by a reload', () => {
  let f: TrackingFixture;
  before(async () => {
    f = await trackingApp({ pools: [ADS_POOL, pool('radio', 51, 1, { fallbackNumber: '+74950009902', match: { source: ['radio'] } })] }, { listen: true });
  });
  after(() => f.close());

  it('drops the removed pool\'s series and keeps the others counting', async () => {
    await visit(f, 'visitor-1');
    const before = await scrape(f);
    assert.equal(before.value('calltrack_pool_exhaustions_total', { pool: 'radio' }), 0);
    const current = f.app.config.current;
    await f.app.reload({ ...current, pools: current.pools.filter((p) => p.name === 'ads') });
    const after = await scrape(f);
    const radio = after.samples.filter((x) => x.labels.pool === 'radio' && x.name.startsWith('calltrack_pool_'));
    assert.deepEqual(radio.map((x) => x.name), [], 'no series of the removed pool is served');
    assert.equal(after.value('calltrack_pool_numbers_held', { pool: 'ads' }), 1);
    assert.equal(after.value('calltrack_pool_exhaustions_total', { pool: 'ads' }), 0);
  });
});

describe('GET /metrics: webhooks', () => {
  let f: TrackingFixture;
  const secret = 'a-secret-of-at-least-16';
  before(async () => {
    f = await trackingApp(
      {
        webhooks: [
          { name: 'crm', url: 'https://crm.example.com/hook', secret },
          { url: 'https://hooks.example.net/in?token=do-not-leak', secret },
        ],
      },
      { listen: true },
    );
  });
  after(() => f.close());

  it('shows pending and failed deliveries per receiver, unnamed receivers without their URL', async () => {
    const store = new OutboxStore();
    const entry = (eventId: string, target: string) => ({ eventId, target, eventType: 'call.completed', callId: eventId, payload: '{}' });
    const queuedAt = f.clock.now();
    await store.enqueue(f.app.db, [entry('e1', 'crm'), entry('e2', 'crm'), entry('e3', 'crm'), entry('e4', 'https://hooks.example.net/in?token=do-not-leak')], queuedAt, 24 * 60 * MINUTE);
    const [gaveUp] = (await store.listByCall(f.app.db, 'e1')).map((e) => e.id);
    await store.markAttemptFailed(f.app.db, gaveUp ?? -1, { now: queuedAt, httpStatus: 500, error: 'HTTP 500', retryAt: null });
    f.clock.advance(90_000);

    const res = await fetch(`${f.url}/metrics`);
    const text = await res.text();
    assert.doesNotMatch(text, /do-not-leak|hooks\.example\.net/, 'a webhook URL may carry a token: it is never a label');
    const s = new Scrape(text);
    assert.equal(s.value('calltrack_webhook_deliveries_pending', { receiver: 'crm' }), 2);
    assert.equal(s.value('calltrack_webhook_deliveries_failed', { receiver: 'crm' }), 1);
    assert.equal(s.value('calltrack_webhook_oldest_pending_age_seconds', { receiver: 'crm' }), 90);
    assert.equal(s.value('calltrack_webhook_deliveries_pending', { receiver: 'webhooks[1]' }), 1);
    assert.equal(s.value('calltrack_webhook_deliveries_failed', { receiver: 'webhooks[1]' }), 0);
  });
});

describe('GET /metrics: a failing database', () => {
  it('answers within the time limit while the database is busy, with its counters and database_up 0', async () => {
    const f = await trackingApp({ pools: [ADS_POOL] }, { listen: true, metricsDatabaseBudgetMs: 200 });
    try {
      await visit(f, 'visitor-1');
      // A long statement holds SQLite's only connection (a big report would): the scrape's
      // reads queue behind it.
      const long = f.app.db.raw('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000) SELECT count(*) AS n FROM c');
      let longDone = false;
      const finished = long.then(() => (longDone = true));
      const started = performance.now();
      const busy = await scrape(f);
      const took = performance.now() - started;
      assert.equal(longDone, false, 'the database was still busy when the scrape answered');
      assert.ok(took < 1_000, `the scrape took ${Math.round(took)} ms`);
      assert.equal(busy.value('calltrack_database_up'), 0);
      assert.equal(busy.has('calltrack_pool_numbers_held'), false, 'no stale database series');
      assert.equal(busy.value('calltrack_visits_started_total', { pool: 'ads', type: 'dynamic' }), 1, 'the in-process counters are served');
      assert.equal(busy.value('calltrack_calls_active'), 0);

      // Once the statement is done, the reads queued behind it answer (on a loaded machine
      // perhaps after another 200 ms scrape or two).
      await finished;
      let back = await scrape(f);
      for (let tries = 1; back.value('calltrack_database_up') !== 1 && tries < 20; tries++) back = await scrape(f);
      assert.equal(back.value('calltrack_database_up'), 1);
      assert.equal(back.value('calltrack_pool_numbers_held', { pool: 'ads' }), 1);
    } finally {
      await f.close();
    }
  });

  it('serves the counters with database_up 0 at once when the database is closed', async () => {
    const f = await trackingApp({ pools: [ADS_POOL] }, { listen: true });
    await visit(f, 'visitor-1');
    await f.app.db.destroy();
    try {
      const started = performance.now();
      const s = await scrape(f);
      assert.ok(performance.now() - started < 1_000);
      assert.equal(s.value('calltrack_database_up'), 0);
      assert.equal(s.has('calltrack_webhook_deliveries_pending'), false);
      assert.equal(s.has('calltrack_pool_numbers'), false);
      assert.equal(s.value('calltrack_visits_started_total', { pool: 'ads', type: 'dynamic' }), 1);
    } finally {
      await f.app.http.close();
    }
  });
});
