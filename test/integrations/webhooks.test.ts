import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { eraseCallIdentities } from '../../src/calls/call-identity.js';
import { DEFAULT_DISPATCHER_OPTIONS, OutboxDispatcher } from '../../src/integrations/outbox-dispatcher.js';
import { OutboxStore } from '../../src/integrations/outbox-store.js';
import { OutboxAdmin } from '../../src/integrations/outbox-admin.js';
import type { WebhookEvent } from '../../src/integrations/outbox-sink.js';
import { verifySignature } from '../../src/integrations/webhook-signing.js';
import { createApp, type App } from '../../src/main.js';
import { makeCall, makeMissedCall, seedCalls } from '../support/calls.js';
import { makeConfig } from '../support/config.js';
import { capturingLogger, testLogger } from '../support/logger.js';
import { TestReceiver } from '../support/receiver.js';
import { tempDir } from '../support/temp.js';

const SECRET = 'whsec-0123456789abcdef';

async function startApp(dir: string, receiverUrl: string, clock: ManualClock, extra: Record<string, unknown> = {}, logger = testLogger()): Promise<App> {
  const cfg = makeConfig({
    database: { client: 'sqlite3', filename: path.join(dir, 'calltrack.sqlite') },
    http: { host: '127.0.0.1', adminToken: 'test-admin-token-0123456789', publicUrl: 'https://track.example.com' },
    tracking: { defaultCountry: 'RU' },
    webhooks: [{ name: 'crm', url: `${receiverUrl}/hooks/calltrack`, secret: SECRET }],
    log: { level: 'silent' },
    ...extra,
  });
  // A long poll: the tests drive deliveries with runOnce() on a manual clock.
  const app = await createApp(cfg, { logger, clock, baseDir: dir, dispatcher: { pollMs: 3_600_000 } });
  await app.start({ listen: false });
  return app;
}

/** The receiver's side: verify each signature with the shared secret, as the README shows. */
function verified(receiver: TestReceiver): WebhookEvent[] {
  return receiver.requests.map((r) => {
    const check = verifySignature(r.headers['x-calltrack-signature'] as string, r.body, SECRET, { nowSeconds: Math.floor(r.receivedAt / 1000) });
    assert.ok(check.ok, `signature verifies: ${check.ok ? '' : check.reason}`);
    return JSON.parse(r.body) as WebhookEvent;
  });
}

describe('CRM webhooks from the outbox', () => {
  it('delivers a signed event the receiver can verify, with the call and its attribution', async () => {
    const receiver = await new TestReceiver().start();
    const clock = new ManualClock(Date.UTC(2026, 10, 2, 9, 0));
    receiver.now = () => clock.now();
    const app = await startApp(tempDir(), receiver.url, clock);
    try {
      const call = makeCall({ status: 'ringing', answeredAt: null, endedAt: null, talkSeconds: null, gaSessionId: '1764770000' });
      await app.callEvents.publish('call.started', call);
      await app.outbox.runOnce();
      assert.equal(receiver.requests.length, 1);
      const req = receiver.requests[0]!;
      assert.equal(req.url, '/hooks/calltrack');
      assert.equal(req.headers['content-type'], 'application/json');
      assert.equal(req.headers['x-calltrack-event'], 'call.started');
      const [event] = verified(receiver);
      assert.equal(event?.type, 'call.started');
      assert.equal(event?.time, '2026-11-02T09:00:00.000Z');
      assert.equal(req.headers['x-calltrack-delivery'], event?.id);
      assert.equal(event?.call.id, call.id);
      assert.equal(event?.call.attribution.source, 'yandex');
      assert.equal(event?.call.attribution.gaClientId, call.gaClientId);
      assert.equal(event?.call.attribution.gaSessionId, '1764770000', 'a CRM sending its own GA4 events needs the session too');
      assert.equal(event?.call.startedAt, new Date(call.startedAt).toISOString());
      assert.equal(verifySignature(req.headers['x-calltrack-signature'] as string, req.body, 'another-secret-0123456', {
        nowSeconds: Math.floor(clock.now() / 1000),
      }).ok, false, 'a wrong secret does not verify');
      assert.equal(verifySignature(req.headers['x-calltrack-signature'] as string, req.body.replace('yandex', 'google'), SECRET, {
        nowSeconds: Math.floor(clock.now() / 1000),
      }).ok, false, 'a changed body does not verify');
    } finally {
      await app.stop();
    }
  });

  it('retries after a 500 with backoff, and the retry carries the same event id', async () => {
    const receiver = await new TestReceiver().start();
    let answers = [500];
    receiver.respond = () => answers.shift() ?? 200;
    const clock = new ManualClock(Date.UTC(2026, 10, 2, 9, 0));
    receiver.now = () => clock.now();
    const app = await startApp(tempDir(), receiver.url, clock);
    try {
      const call = makeCall();
      await app.callEvents.publish('call.completed', call);
      await app.outbox.runOnce();
      assert.deepEqual(receiver.requests.map((r) => r.status), [500]);
      const [pending] = await new OutboxStore().listByCall(app.db, call.id);
      assert.equal(pending?.status, 'pending');
      assert.equal(pending?.lastStatus, 500);
      assert.match(pending?.lastError ?? '', /HTTP 500: receiver says no/);

      await app.outbox.runOnce();
      assert.equal(receiver.requests.length, 1, 'no retry before the backoff delay');
      clock.advance(12_000);
      await app.outbox.runOnce();
      assert.deepEqual(receiver.requests.map((r) => r.status), [500, 200]);
      const [first, second] = verified(receiver);
      assert.equal(first?.id, second?.id, 'the receiver can dedupe on the event id');
      const [done] = await new OutboxStore().listByCall(app.db, call.id);
      assert.equal(done?.status, 'delivered');
      assert.equal(done?.attempts, 2);
      answers = [];

      clock.advance(31 * 24 * 3_600_000);
      await app.outbox.runOnce();
      assert.deepEqual(await new OutboxStore().listByCall(app.db, call.id), [], 'delivered entries are pruned after 30 days');
    } finally {
      await app.stop();
    }
  });

  it('keeps each call\'s events in order while an earlier one is retried; other calls are not held up', async () => {
    const receiver = await new TestReceiver().start();
    const clock = new ManualClock(Date.UTC(2026, 10, 2, 9, 0));
    receiver.now = () => clock.now();
    const app = await startApp(tempDir(), receiver.url, clock);
    try {
      const a = makeCall();
      const b = makeCall();
      let failedOnce = false;
      receiver.respond = (req) => {
        const event = JSON.parse(req.body) as WebhookEvent;
        if (event.call.id === a.id && !failedOnce) {
          failedOnce = true;
          return 503;
        }
        return 200;
      };
      await app.callEvents.publish('call.started', a);
      await app.callEvents.publish('call.answered', a);
      await app.callEvents.publish('call.started', b);
      await app.callEvents.publish('call.completed', a);
      await app.outbox.runOnce();
      const seen = () => verified(receiver).map((e) => `${e.call.id === a.id ? 'a' : 'b'}:${e.type}`);
      assert.deepEqual(seen(), ['a:call.started', 'b:call.started'], 'a:answered waits for a:started');
      clock.advance(60_000);
      await app.outbox.runOnce();
      assert.deepEqual(seen(), ['a:call.started', 'b:call.started', 'a:call.started', 'a:call.answered', 'a:call.completed']);
    } finally {
      await app.stop();
    }
  });

  it('delivers after a restart what was pending when the server stopped', async () => {
    const dir = tempDir();
    const receiver = await new TestReceiver().start();
    receiver.respond = () => 503;
    const clock = new ManualClock(Date.UTC(2026, 10, 2, 9, 0));
    receiver.now = () => clock.now();
    const first = await startApp(dir, receiver.url, clock);
    const call = makeMissedCall();
    await first.callEvents.publish('call.missed', call);
    await first.outbox.runOnce();
    await first.stop();
    assert.equal(receiver.requests.length, 1);

    receiver.respond = () => 200;
    clock.advance(30 * 60_000);
    const second = await startApp(dir, receiver.url, clock);
    try {
      await second.outbox.runOnce();
      const events = verified(receiver);
      assert.equal(events.length, 2);
      assert.equal(events[1]?.type, 'call.missed');
      assert.equal(events[1]?.id, events[0]?.id);
      const [entry] = await new OutboxStore().listByCall(second.db, call.id);
      assert.equal(entry?.status, 'delivered');
    } finally {
      await second.stop();
    }
  });

  it('gives up after 24 hours, reports the failing receiver, and `retry` re-queues', async () => {
    const receiver = await new TestReceiver().start();
    receiver.respond = () => 500;
    const clock = new ManualClock(Date.UTC(2026, 10, 2, 9, 0));
    receiver.now = () => clock.now();
    const app = await startApp(tempDir(), receiver.url, clock);
    try {
      const call = makeCall();
      await app.callEvents.publish('call.completed', call);
      for (let hour = 0; hour <= 25; hour++) {
        await app.outbox.runOnce();
        clock.advance(3_600_000);
      }
      const attempts = receiver.requests.length;
      assert.ok(attempts >= 10 && attempts <= 40, `backs off exponentially (${attempts} attempts in 24 h)`);
      const [entry] = await new OutboxStore().listByCall(app.db, call.id);
      assert.equal(entry?.status, 'failed');
      const health = (await app.health.report()).components.webhooks;
      assert.equal(health?.state, 'down');
      assert.match(health?.detail ?? '', /^crm: \d+ failures in a row, last: HTTP 500 \(details: calltrack webhooks status\)$/);

      const admin = new OutboxAdmin(app.db, new OutboxStore(), app.config, clock, 24 * 3_600_000);
      const status = await admin.status();
      assert.deepEqual(status.targets.map((t) => [t.target, t.pending, t.failed, t.delivered]), [['crm', 0, 1, 0]]);
      assert.equal(status.undelivered[0]?.eventType, 'call.completed');

      receiver.respond = () => 200;
      assert.equal((await admin.retry({ target: 'crm' })).requeued, 1);
      await app.outbox.runOnce();
      const [after] = await new OutboxStore().listByCall(app.db, call.id);
      assert.equal(after?.status, 'delivered');
      assert.equal((await app.health.report()).components.webhooks?.state, 'up');
    } finally {
      await app.stop();
    }
  });

  it('names an unnamed failing webhook by its place in /healthz, never by its URL (it may carry a token)', async () => {
    const receiver = await new TestReceiver().start();
    receiver.respond = () => 302;
    const clock = new ManualClock(Date.UTC(2026, 10, 2, 9, 0));
    const hookUrl = `${receiver.url}/hooks?token=s3cret-crm-token`;
    const app = await startApp(tempDir(), receiver.url, clock, { webhooks: [{ url: hookUrl, secret: SECRET }] });
    try {
      await app.callEvents.publish('call.completed', makeCall());
      for (let hour = 0; hour < 6; hour++) {
        await app.outbox.runOnce();
        clock.advance(3_600_000);
      }
      const health = (await app.health.report()).components.webhooks;
      assert.equal(health?.state, 'down');
      assert.equal(health?.detail, 'webhooks[0]: 6 failures in a row, last: HTTP 302 (details: calltrack webhooks status)');
      const status = await new OutboxAdmin(app.db, new OutboxStore(), app.config, clock, 24 * 3_600_000).status();
      assert.match(status.undelivered[0]?.lastError ?? '', /redirected to/, 'the whole error is still there for the admin');
    } finally {
      await app.stop();
    }
  });

  it('never makes publishing wait for a receiver, and honours each webhook\'s event list', async () => {
    const receiver = await new TestReceiver().start();
    const clock = new ManualClock(Date.UTC(2026, 10, 2, 9, 0));
    receiver.now = () => clock.now();
    const app = await startApp(tempDir(), receiver.url, clock, {
      webhooks: [
        { name: 'crm', url: `${receiver.url}/crm`, secret: SECRET, events: ['call.completed'] },
        { name: 'dead', url: 'http://127.0.0.1:9/nothing-listens-here', secret: SECRET },
      ],
    });
    try {
      const call = makeCall();
      await app.callEvents.publish('call.started', call);
      await app.callEvents.publish('call.completed', call);
      await app.outbox.runOnce();
      assert.deepEqual(receiver.requests.map((r) => r.url), ['/crm'], 'crm only asked for call.completed');
      const entries = await new OutboxStore().listByCall(app.db, call.id);
      const dead = entries.filter((e) => e.target === 'dead');
      assert.deepEqual(dead.map((e) => [e.eventType, e.status]), [['call.started', 'pending'], ['call.completed', 'pending']]);
      assert.match(dead[0]?.lastError ?? '', /fetch failed|ECONNREFUSED/);
    } finally {
      await app.stop();
    }
  });

  it('gives a CRM with recordingLinkDays a signed recording link that plays without the token until it expires', async () => {
    const receiver = await new TestReceiver().start();
    const clock = new ManualClock(Date.UTC(2026, 10, 2, 9, 0));
    receiver.now = () => clock.now();
    const dir = tempDir();
    mkdirSync(path.join(dir, 'recordings'));
    writeFileSync(path.join(dir, 'recordings', 'call.wav'), Buffer.alloc(2048, 3));
    const app = await startApp(dir, receiver.url, clock, {
      media: { recording: { dir: 'recordings' } },
      webhooks: [
        { name: 'crm', url: `${receiver.url}/crm`, secret: SECRET, recordingLinkDays: 7 },
        { name: 'plain', url: `${receiver.url}/plain`, secret: SECRET },
      ],
    });
    try {
      const recorded = makeCall({ recordingStatus: 'saved', recordingPath: 'call.wav', recordingSize: 2048 });
      const missed = makeMissedCall();
      await seedCalls(app.db, [recorded, missed]);
      await app.callEvents.publish('call.completed', recorded);
      await app.callEvents.publish('call.missed', missed);
      await app.outbox.runOnce();
      const events = verified(receiver);
      const byUrl = (url: string, callId: string) => events[receiver.requests.findIndex((r, i) => r.url === url && events[i]?.call.id === callId)];
      const link = byUrl('/crm', recorded.id)?.call.recording.signedUrl ?? '';
      assert.match(link, new RegExp(`^https://track\\.example\\.com/v1/recordings/${recorded.id}\\?expires=\\d+&signature=[0-9a-f]{64}$`));
      assert.equal(byUrl('/crm', missed.id)?.call.recording.signedUrl, null, 'no recording, no link');
      assert.equal(byUrl('/plain', recorded.id)?.call.recording.signedUrl, undefined, 'only webhooks that ask get links');
      assert.equal(byUrl('/plain', recorded.id)?.call.recording.url, `https://track.example.com/v1/calls/${recorded.id}/recording`);

      const fetchLink = () => app.http.inject({ method: 'GET', url: link.replace('https://track.example.com', '') });
      clock.advance(6 * 24 * 3_600_000); // the CRM fetches it days later, without any token
      const ok = await fetchLink();
      assert.equal(ok.statusCode, 200);
      assert.equal(ok.headers['content-type'], 'audio/wav');
      assert.equal(ok.rawPayload.length, 2048);
      clock.advance(2 * 24 * 3_600_000);
      const expired = await fetchLink();
      assert.equal(expired.statusCode, 401);
      assert.match(expired.json<{ error: { message: string } }>().error.message, /expired/);
    } finally {
      await app.stop();
    }
  });

  it('sends an entry as it is when it is sent: a caller erased after the dispatcher listed the entry goes out without the number', async () => {
    const receiver = await new TestReceiver().start();
    const clock = new ManualClock(Date.UTC(2026, 10, 2, 9, 0));
    receiver.now = () => clock.now();
    const app = await startApp(tempDir(), receiver.url, clock);
    try {
      await app.outbox.stop(); // the dispatcher under test is the one below
      const call = makeCall();
      await seedCalls(app.db, [call]);
      await app.callEvents.publish('call.completed', call);
      // `calls forget` runs in another process; here it lands between the dispatcher's listing
      // of due entries and its claim of this one, which is where it used to slip through.
      class ErasedAfterListing extends OutboxStore {
        override async findDeliverable(...args: Parameters<OutboxStore['findDeliverable']>) {
          const listed = await super.findDeliverable(...args);
          const row = { id: call.id, caller_number: call.callerNumber, first_touch: null };
          await eraseCallIdentities(app.db, new OutboxStore(), [row], { now: clock.now(), dryRun: false });
          return listed;
        }
      }
      const dispatcher = new OutboxDispatcher(app.db, new ErasedAfterListing(), app.config, clock, testLogger(), { ...DEFAULT_DISPATCHER_OPTIONS, pollMs: 3_600_000 });
      dispatcher.start(); // a stopped dispatcher delivers nothing
      const attempts = await dispatcher.runOnce();
      await dispatcher.stop();
      assert.equal(attempts, 1);
      const [event] = verified(receiver);
      assert.deepEqual([event?.call.id, event?.call.callerNumber, event?.call.attribution.gaClientId], [call.id, null, null]);
      assert.doesNotMatch(receiver.requests[0]!.body, /9161234567/);
    } finally {
      await app.stop();
    }
  });

  it('masks a number the receiver quotes in its error in the log under log.callerNumbers: masked; webhooks status keeps it', async () => {
    const receiver = await new TestReceiver().start();
    receiver.respond = () => 422;
    receiver.replyJson = () => ({ error: 'duplicate contact 79161234567 (+79161234567)' });
    const clock = new ManualClock(Date.UTC(2026, 10, 2, 9, 0));
    const { logger, lines } = capturingLogger();
    const app = await startApp(tempDir(), receiver.url, clock, { log: { level: 'info', callerNumbers: 'masked' } }, logger);
    try {
      const call = makeCall();
      await app.callEvents.publish('call.completed', call);
      await app.outbox.runOnce();
      const failed = lines.filter((l) => l.msg === 'delivery failed; will retry');
      assert.equal(failed.length, 1);
      assert.equal(failed[0]?.error, 'HTTP 422: {"error":"duplicate contact 791******67 (+79*******67)"}');
      assert.doesNotMatch(JSON.stringify(lines), /9161234567/, 'no log line holds the number');
      const [entry] = await new OutboxStore().listByCall(app.db, call.id);
      assert.match(entry?.lastError ?? '', /\+79161234567/, 'the operator\'s own view (webhooks status) keeps what the receiver said');
    } finally {
      await app.stop();
    }
  });
});
