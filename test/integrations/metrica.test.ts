import assert from 'node:assert/strict';
import { text } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { csvParseRows } from 'd3-dsv';
import { CallerErasure } from '../../src/calls/caller-erasure.js';
import { ManualClock } from '../../src/clock.js';
import { CallExportService } from '../../src/exports/call-export-service.js';
import { OutboxAdmin, formatOutboxStatus } from '../../src/integrations/outbox-admin.js';
import { OUTBOX_TABLE, OutboxStore } from '../../src/integrations/outbox-store.js';
import { RecordingRetention, RecordingStore } from '../../src/media/recording-retention.js';
import { makeCall, makeMissedCall, seedCalls } from '../support/calls.js';
import { makeConfig } from '../support/config.js';
import { HEADER, TOKEN, fakeMetrica, startApp, uploadedRows, withMetrica } from '../support/fake-metrica.js';
import { capturingLogger, testLogger } from '../support/logger.js';
import { TestReceiver } from '../support/receiver.js';
import { tempDir } from '../support/temp.js';

describe('Yandex Metrica offline call upload', () => {
  it('uploads each finished call with a ClientID once, with the metrica export format\'s columns and values', async () => {
    await withMetrica(async (app, ym) => {
      const answered = makeCall({ tags: ['sale', '=vip'], firstCall: false });
      const missed = makeMissedCall({ startedAt: Date.UTC(2026, 10, 2, 9, 30), ymClientId: '1700000000999' });
      const anonymous = makeCall({ ymClientId: null, yclid: null });
      await seedCalls(app.db, [answered, missed, anonymous]);
      await app.callEvents.publish('call.started', answered);
      await app.callEvents.publish('call.completed', answered);
      await app.callEvents.publish('call.completed', answered); // published twice: still one upload
      await app.callEvents.publish('call.missed', missed);
      await app.callEvents.publish('call.completed', anonymous);
      await app.outbox.runOnce();

      assert.deepEqual(ym.requests.map((r) => r.status), [200, 200], 'one upload per call with a ClientID, none for the call without');
      const files = await Promise.all(ym.requests.map(uploadedRows));
      assert.deepEqual(files[0], [
        HEADER,
        ['1700000000123456789', String(answered.startedAt / 1000), '+79161234567', '90', '6', '0', 'sale,=vip', '0', 'https://shop.example.com/fridges?utm_source=yandex', '0'],
      ]);
      assert.deepEqual(files[1], [
        HEADER,
        ['1700000000999', String(missed.startedAt / 1000), '+79161234567', '0', '39', '1', '', '1', 'https://shop.example.com/fridges?utm_source=yandex', '0'],
      ]);

      // The same rows as the export an analyst would back-fill with (--raw: Metrica is a program, not a spreadsheet).
      const exported = new CallExportService(app.db, app.config).prepare({ format: 'metrica', raw: true });
      const file = csvParseRows(await text(exported.open()));
      assert.deepEqual(file, [HEADER, files[0]![1]!, files[1]![1]!], 'oldest first: the answered call began before the missed one');

      const stored = await new OutboxStore().listByCall(app.db, answered.id);
      assert.deepEqual(stored.map((e) => [e.target, e.eventType, e.status]), [['metrica', 'offline_call', 'delivered']]);
      assert.deepEqual(await new OutboxStore().listByCall(app.db, anonymous.id), []);
    });
  });

  it("uploads a call without a ClientID but with a Direct ad's yclid by its Yclid, the metrica-yclid export's row", async () => {
    await withMetrica(async (app, ym) => {
      // The visitor blocked Metrica's cookie (no _ym_uid), but came from a Yandex Direct ad (?yclid=...).
      const blocked = makeCall({ ymClientId: null, yclid: '7394027489237489234' });
      const both = makeCall({ startedAt: Date.UTC(2026, 10, 2, 9, 10) }); // ClientID and yclid: by its ClientID, once
      const neither = makeCall({ ymClientId: null, yclid: null, startedAt: Date.UTC(2026, 10, 2, 9, 20) });
      await seedCalls(app.db, [blocked, both, neither]);
      for (const call of [blocked, both, neither]) await app.callEvents.publish('call.completed', call);
      await app.outbox.runOnce();

      assert.deepEqual(ym.requests.map((r) => r.status), [200, 200], 'Metrica took both uploads: type and column agree');
      const types = ym.requests.map((r) => new URL(r.url, ym.url).searchParams.get('client_id_type'));
      assert.deepEqual(types, ['YCLID', 'CLIENT_ID']);
      const [byYclid, byClientId] = await Promise.all(ym.requests.map(uploadedRows));
      const yclidRow = ['7394027489237489234', String(blocked.startedAt / 1000), '+79161234567', '90', '6', '0', '', '1', 'https://shop.example.com/fridges?utm_source=yandex', '0'];
      assert.deepEqual(byYclid, [['Yclid', ...HEADER.slice(1)], yclidRow]);
      assert.equal(byClientId?.[1]?.[0], '1700000000123456789');

      // The file for back-filling by hand holds the same row, and the ClientID file does not repeat it.
      const exportRows = async (format: string) => csvParseRows(await text(new CallExportService(app.db, app.config).prepare({ format, raw: true }).open()));
      assert.deepEqual(await exportRows('metrica-yclid'), [['Yclid', ...HEADER.slice(1)], yclidRow]);
      assert.deepEqual((await exportRows('metrica')).map((r) => r[0]), ['ClientId', '1700000000123456789']);
    });
  });

  it('retries a 5xx and a quota answer with backoff, then delivers the same file', async () => {
    await withMetrica(async (app, ym, clock) => {
      const answers = [503, 429];
      const ok = ym.respond;
      ym.respond = (req) => answers.shift() ?? ok(req);
      const call = makeCall();
      await app.callEvents.publish('call.completed', call);
      await app.outbox.runOnce();
      let [entry] = await new OutboxStore().listByCall(app.db, call.id);
      assert.equal(entry?.status, 'pending');
      assert.match(entry?.lastError ?? '', /^HTTP 503: backend_error: fake metrica says 503$/);
      for (let i = 0; i < 3; i++) {
        clock.advance(10 * 60_000);
        await app.outbox.runOnce();
      }
      assert.deepEqual(ym.requests.map((r) => r.status), [503, 429, 200]);
      const files = await Promise.all(ym.requests.map(uploadedRows));
      assert.deepEqual(files[2], files[0], 'every attempt sends the same row');
      [entry] = await new OutboxStore().listByCall(app.db, call.id);
      assert.equal(entry?.status, 'delivered');
    });
  });

  it('fails a 400 at once and shows it in `webhooks status`; a revoked token marks /healthz down as metrica', async () => {
    await withMetrica(async (app, ym, clock) => {
      ym.respond = () => 400;
      const bad = makeCall({ ymClientId: 'not-a-client-id' });
      await app.callEvents.publish('call.completed', bad);
      await app.outbox.runOnce();
      clock.advance(6 * 3_600_000);
      await app.outbox.runOnce();
      assert.equal(ym.requests.length, 1, 'a refused upload is not sent again');

      const admin = new OutboxAdmin(app.db, new OutboxStore(), app.config, clock, 24 * 3_600_000);
      const status = await admin.status();
      assert.deepEqual(status.targets.map((t) => [t.target, t.configured, t.pending, t.failed, t.delivered]), [['metrica', true, 0, 1, 0]]);
      const printed = formatOutboxStatus(status, clock.now());
      assert.match(printed, /failed {2}metrica offline_call call \S+ event \S+: 1 attempt, gave up; last error: HTTP 400: invalid_parameter: fake metrica says 400/);
      assert.match(printed, /calltrack webhooks retry/);

      ym.respond = () => 403;
      for (let i = 0; i < 5; i++) await app.callEvents.publish('call.completed', makeCall());
      await app.outbox.runOnce();
      const health = (await app.health.report()).components.webhooks;
      assert.equal(health?.state, 'down');
      assert.equal(health?.detail, 'metrica: 6 failures in a row, last: HTTP 403 (details: calltrack webhooks status)');
      assert.equal((await admin.status()).targets[0]?.failed, 6);

      fakeMetrica(ym); // the token is fixed: `webhooks retry --target metrica` sends them all
      assert.equal((await admin.retry({ target: 'metrica' })).requeued, 6);
      await app.outbox.runOnce();
      assert.equal((await admin.status()).targets[0]?.delivered, 6);
      assert.equal((await app.health.report()).components.webhooks?.state, 'up');
    });
  });

  it('delivers an upload pending at a restart exactly once', async () => {
    const dir = tempDir();
    const ym = await new TestReceiver().start();
    fakeMetrica(ym);
    const ok = ym.respond;
    ym.respond = () => 503;
    const clock = new ManualClock(Date.UTC(2026, 10, 2, 10));
    const first = await startApp(dir, ym, clock);
    const call = makeMissedCall();
    await first.callEvents.publish('call.missed', call);
    await first.outbox.runOnce();
    await first.stop();

    ym.respond = ok;
    clock.advance(30 * 60_000);
    const second = await startApp(dir, ym, clock);
    try {
      await second.outbox.runOnce();
      clock.advance(3 * 3_600_000);
      await second.outbox.runOnce();
      assert.deepEqual(ym.requests.map((r) => r.status), [503, 200], 'sent again after the restart, and only once');
      const [entry] = await new OutboxStore().listByCall(second.db, call.id);
      assert.equal(entry?.status, 'delivered');
    } finally {
      await second.stop();
    }
  });

  it('keeps the OAuth token out of the outbox table, the logs and /healthz', async () => {
    const ym = await new TestReceiver().start();
    fakeMetrica(ym);
    const ok = ym.respond;
    const answers = [401, 503];
    ym.respond = (req) => answers.shift() ?? ok(req);
    const clock = new ManualClock(Date.UTC(2026, 10, 2, 10));
    const { logger, lines } = capturingLogger('trace');
    const app = await startApp(tempDir(), ym, clock, logger);
    try {
      for (let i = 0; i < 3; i++) await app.callEvents.publish('call.completed', makeCall());
      await app.outbox.runOnce();
      clock.advance(3_600_000);
      await app.outbox.runOnce();
      assert.deepEqual(ym.requests.map((r) => r.status), [401, 503, 200, 200], 'failures and deliveries were logged');
      assert.ok(ym.requests.every((r) => r.headers.authorization === `OAuth ${TOKEN}`), 'the token travels in the header only');
      assert.ok(ym.requests.every((r) => !r.url.includes(TOKEN)));

      const rows = await app.db(OUTBOX_TABLE).select('*');
      assert.equal(rows.length, 3);
      assert.doesNotMatch(JSON.stringify(rows), new RegExp(TOKEN));
      assert.ok(lines.some((l) => l.target === 'metrica'), 'the dispatcher did log about metrica');
      assert.doesNotMatch(JSON.stringify(lines), new RegExp(TOKEN));
      assert.doesNotMatch(JSON.stringify(await app.health.report()), new RegExp(TOKEN));
    } finally {
      await app.stop();
    }
  });

  it("erasing the caller (`calls forget`) drops an upload not yet sent and takes the ids out of one sent", async () => {
    await withMetrica(async (app, ym, clock) => {
      const sent = makeCall({ startedAt: Date.UTC(2026, 10, 2, 9, 0) });
      const unsent = makeCall({ startedAt: Date.UTC(2026, 10, 2, 9, 20) });
      await seedCalls(app.db, [sent, unsent]);
      await app.callEvents.publish('call.completed', sent);
      await app.outbox.runOnce();
      assert.equal(ym.requests.length, 1);
      const ok = ym.respond;
      ym.respond = () => 503;
      await app.callEvents.publish('call.completed', unsent);
      await app.outbox.runOnce();
      ym.respond = ok;

      const store = new OutboxStore();
      const recordingStore = new RecordingStore();
      const logger = testLogger();
      const erasure = new CallerErasure({
        db: app.db, clock, logger, recordingStore, outbox: store,
        recordings: new RecordingRetention(app.db, recordingStore, tempDir(), clock, logger),
      });
      const report = await erasure.forget(sent.callerNumber!, { dryRun: false });
      assert.deepEqual([report.callsErased, report.outboxEntriesDropped, report.outboxEntriesRewritten], [2, 1, 1]);

      clock.advance(3_600_000);
      await app.outbox.runOnce();
      assert.equal(ym.requests.filter((r) => r.status === 200).length, 1, 'the dropped upload never reaches Metrica');
      assert.deepEqual(await store.listByCall(app.db, unsent.id), []);
      const [kept] = await store.listByCall(app.db, sent.id);
      const upload = JSON.parse(kept!.payload) as { columns: string[]; row: (string | null)[] };
      const cell = (name: string) => upload.row[upload.columns.indexOf(name)];
      assert.deepEqual([kept?.status, cell('ClientId'), cell('PhoneNumber'), cell('TalkDuration')], ['delivered', null, null, '90']);
    });
  });

  it('reads the counter and the token from the configuration, the token from the environment', () => {
    const cfg = makeConfig({ analytics: { metrica: { counterId: '87654321', token: '${YM_TOKEN}' } } }, { YM_TOKEN: 'from-env' });
    assert.deepEqual(cfg.analytics.metrica, { counterId: '87654321', token: 'from-env' });
    assert.throws(() => makeConfig({ analytics: { metrica: { counterId: 'abc', token: 't' } } }), /counterId/);
  });
});
