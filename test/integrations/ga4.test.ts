import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { ga4EventId } from '../../src/integrations/ga4.js';
import { OutboxAdmin, formatOutboxStatus, formatRetryResult } from '../../src/integrations/outbox-admin.js';
import { OutboxStore } from '../../src/integrations/outbox-store.js';
import { createApp, type App } from '../../src/main.js';
import { makeCall, makeMissedCall } from '../support/calls.js';
import { makeConfig } from '../support/config.js';
import { testLogger } from '../support/logger.js';
import { Scrape } from '../support/prometheus-text.js';
import { TestReceiver } from '../support/receiver.js';
import { tempDir } from '../support/temp.js';

describe('GA4 Measurement Protocol', () => {
  /** calltrack with GA4 pointed at a real HTTP receiver on loopback; the outbox runs when the test says. */
  async function withGa4(test: (app: App, ga: TestReceiver, clock: ManualClock) => Promise<void>): Promise<void> {
    const dir = tempDir();
    const ga = await new TestReceiver().start();
    ga.respond = (req) => (req.url.startsWith('/mp/collect?') ? 204 : 404);
    const cfg = makeConfig({
      database: { client: 'sqlite3', filename: path.join(dir, 'calltrack.sqlite') },
      tracking: { defaultCountry: 'RU', targetCallSeconds: 30 },
      analytics: { ga4: { measurementId: 'G-TEST123', apiSecret: 'ga-secret-value', endpoint: `${ga.url}/mp/collect` } },
      log: { level: 'silent' },
    });
    const clock = new ManualClock(Date.UTC(2026, 10, 2, 10));
    const app = await createApp(cfg, { logger: testLogger(), clock, baseDir: dir, dispatcher: { pollMs: 3_600_000 } });
    await app.start({ listen: false });
    try {
      await test(app, ga, clock);
    } finally {
      await app.stop();
    }
  }

  it('sends one phone_call event per finished call with a GA client id, field by field', async () => {
    await withGa4(async (app, ga) => {
      const answered = makeCall({ firstCall: false, term: null });
      const missed = makeMissedCall({ startedAt: Date.UTC(2026, 10, 2, 9, 30), gaClientId: '555.666' });
      const anonymous = makeCall({ gaClientId: null });
      await app.callEvents.publish('call.started', answered);
      await app.callEvents.publish('call.completed', answered);
      await app.callEvents.publish('call.completed', answered); // published twice: still one hit
      await app.callEvents.publish('call.missed', missed);
      await app.callEvents.publish('call.completed', anonymous);
      await app.outbox.runOnce();

      assert.equal(ga.requests.length, 2);
      const [first, second] = ga.requests;
      const url = new URL(first!.url, ga.url);
      assert.equal(url.pathname, '/mp/collect');
      assert.equal(url.searchParams.get('measurement_id'), 'G-TEST123');
      assert.equal(url.searchParams.get('api_secret'), 'ga-secret-value');
      assert.equal(first!.method, 'POST');
      assert.equal(first!.headers['content-type'], 'application/json');
      assert.deepEqual(JSON.parse(first!.body), {
        client_id: '1234567890.1700000000',
        timestamp_micros: answered.endedAt! * 1000,
        events: [
          {
            name: 'phone_call',
            params: { source: 'yandex', medium: 'cpc', campaign: 'fridges', status: 'answered', talk_seconds: 90, target: 1, first_call: 0, engagement_time_msec: 1 },
          },
        ],
      });
      assert.deepEqual(JSON.parse(second!.body), {
        client_id: '555.666',
        timestamp_micros: missed.endedAt! * 1000,
        events: [
          {
            name: 'phone_call',
            params: { source: 'yandex', medium: 'cpc', campaign: 'fridges', term: 'buy fridge', status: 'no-answer', talk_seconds: 0, target: 0, first_call: 1, engagement_time_msec: 1 },
          },
        ],
      });
      const stored = await new OutboxStore().listByCall(app.db, answered.id);
      assert.deepEqual(stored.map((e) => [e.target, e.status]), [['ga4', 'delivered']]);
      assert.doesNotMatch(stored[0]!.payload, /ga-secret-value/, 'the API secret is never stored in the outbox');
    });
  });

  it("carries the visit's GA4 session id for session attribution, stamped with the call's start", async () => {
    await withGa4(async (app, ga) => {
      const sessionStart = Date.UTC(2026, 10, 2, 8, 50);
      const answered = makeCall({ gaSessionId: String(sessionStart / 1000), firstCall: false, term: null });
      // Google attributes the session only to a request within 24 h of its start; a later call still says which session it was.
      const dayLater = makeMissedCall({ startedAt: sessionStart + 25 * 3_600_000, gaClientId: '555.666', gaSessionId: String(sessionStart / 1000) });
      await app.callEvents.publish('call.completed', answered);
      await app.callEvents.publish('call.missed', dayLater);
      await app.outbox.runOnce();

      assert.equal(ga.requests.length, 2);
      assert.deepEqual(JSON.parse(ga.requests[0]!.body), {
        client_id: '1234567890.1700000000',
        timestamp_micros: answered.startedAt * 1000,
        events: [
          {
            name: 'phone_call',
            params: {
              source: 'yandex', medium: 'cpc', campaign: 'fridges', status: 'answered', talk_seconds: 90, target: 1, first_call: 0,
              session_id: '1793609400', engagement_time_msec: 1,
            },
          },
        ],
      });
      const late = JSON.parse(ga.requests[1]!.body) as { timestamp_micros: number; events: { params: Record<string, unknown> }[] };
      assert.equal(late.timestamp_micros, dayLater.startedAt * 1000);
      assert.equal(late.events[0]?.params.session_id, '1793609400');
    });
  });

  it('never sends a hit older than GA4 takes (72 h): it fails with the reason, and `webhooks retry` leaves it failed', async () => {
    await withGa4(async (app, ga, clock) => {
      const HOUR = 3_600_000;
      ga.respond = () => 503; // GA4's endpoint unreachable over a long weekend
      const first = makeCall({ startedAt: clock.now() - 5 * 60_000 });
      const second = makeCall({ startedAt: clock.now() - 4 * 60_000, gaClientId: '555.666' });
      await app.callEvents.publish('call.completed', first);
      await app.callEvents.publish('call.completed', second);
      for (let h = 0; h < 26; h++) {
        await app.outbox.runOnce();
        clock.advance(HOUR);
      }
      const admin = new OutboxAdmin(app.db, new OutboxStore(), app.config, clock, 24 * HOUR);
      assert.deepEqual((await admin.status()).targets.map((t) => [t.target, t.failed]), [['ga4', 2]], 'both gave up after the 24 h of retries');

      // Within 72 h of the call a retry still goes out: GA4 takes the event.
      clock.set(first.endedAt! + 71 * HOUR);
      assert.deepEqual(await admin.retry({ eventId: ga4EventId(first.id) }), { requeued: 1, tooOldForGa4: 0 });
      await app.outbox.runOnce();
      const sent = ga.requests.length;
      assert.equal(ga.requests.at(-1)?.status, 503);

      // Its next retry falls after 72 h: GA4 would answer 2xx and discard it, so it is not sent.
      clock.set(first.endedAt! + 72 * HOUR + 60_000);
      ga.respond = () => 204;
      await app.outbox.runOnce();
      assert.equal(ga.requests.length, sent, 'nothing is posted to GA4');
      const [entry] = await new OutboxStore().listByCall(app.db, first.id);
      assert.equal(entry?.status, 'failed');
      assert.match(entry?.lastError ?? '', /^not sent: the event time \(2026-11-02T09:\d\d:\d\d\.000Z\) is more than 72 h ago, and GA4 discards older/);

      // `webhooks retry` days later: neither is re-queued, and both now say why.
      const result = await admin.retry({ target: 'ga4' });
      assert.deepEqual(result, { requeued: 0, tooOldForGa4: 2 });
      assert.match(formatRetryResult(result), /^no failed deliveries to re-queue\nleft 2 GA4 hits failed: the call is more than 72 h old/);
      await app.outbox.runOnce();
      assert.equal(ga.requests.length, sent);
      const printed = formatOutboxStatus(await admin.status(), clock.now());
      assert.match(printed, /^ga4: 0 pending, 2 failed, 0 delivered$/m);
      assert.equal(printed.match(/gave up; last error: not sent: the event time .* is more than 72 h ago/g)?.length, 2);
      assert.match(printed, /calltrack export calls/);
      const scrape = new Scrape(await app.metrics.metrics());
      assert.equal(scrape.value('calltrack_webhook_deliveries_failed', { receiver: 'ga4' }), 2);
      assert.equal(scrape.value('calltrack_webhook_deliveries_pending', { receiver: 'ga4' }), 0);
    });
  });
});
