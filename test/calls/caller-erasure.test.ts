import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { CallerErasure } from '../../src/calls/caller-erasure.js';
import { listCalls } from '../../src/calls/call-queries.js';
import { CallStore } from '../../src/calls/call-store.js';
import { querySourceReport } from '../../src/calls/source-report-query.js';
import type { WebhookEvent } from '../../src/integrations/outbox-sink.js';
import { OutboxStore } from '../../src/integrations/outbox-store.js';
import { RecordingRetention, RecordingStore } from '../../src/media/recording-retention.js';
import { CallHistory } from '../../src/tracking/call-history.js';
import { FORGOTTEN, OTHER, erasureConfigDoc, outboxOf, seedErasureScene, visitRow } from '../support/caller-erasure-seed.js';
import { makeCall, seedCalls } from '../support/calls.js';
import { testLogger } from '../support/logger.js';
import { startTestPostgres } from '../support/postgres.js';
import { tempDir } from '../support/temp.js';
import { MINUTE, trackingApp, type TrackingFixture } from '../support/tracking-app.js';

const pgServer = await startTestPostgres();
after(() => pgServer.stop());

const RULES = { minTalkSeconds: 60, requireFirstCall: false };
const calls = new CallStore();

function erasure(f: TrackingFixture, recordingDir: string): CallerErasure {
  const recordingStore = new RecordingStore();
  const recordings = new RecordingRetention(f.app.db, recordingStore, recordingDir, f.clock, testLogger());
  // A batch of one: the loop, not a single pass, is what runs.
  return new CallerErasure({ db: f.app.db, clock: f.clock, logger: testLogger(), recordings, recordingStore, outbox: new OutboxStore(), batchSize: 1 });
}

const counts = (r: Awaited<ReturnType<CallerErasure['forget']>>) => ({
  callsErased: r.callsErased, callsInProgress: r.callsInProgress, recordingsDeleted: r.recordingsDeleted, recordingsAlreadyGone: r.recordingsAlreadyGone,
  recordingsFailed: r.recordingsFailed.length, visitsAnonymised: r.visitsAnonymised, outboxEntriesRewritten: r.outboxEntriesRewritten,
  outboxEntriesDropped: r.outboxEntriesDropped,
});
/** A report's rows without the caller counts, which change by design (the number is gone). */
const callCounts = (report: Awaited<ReturnType<typeof querySourceReport>>) =>
  [...report.groups, report.totals].map(({ uniqueCallers: _u, firstTimeCallers: _f, ...rest }) => rest);

function erasureScenarios(label: string, open: (recordingDir: string) => Promise<TrackingFixture>) {
  describe(`calls forget (${label})`, () => {
    it("erases one caller's number, note, recording, visitor data and webhook bodies; keeps the calls for reports; a second run finds nothing", async () => {
      const recordingDir = path.join(tempDir(), 'recordings');
      const f = await open(recordingDir);
      after(() => f.close());
      const scene = await seedErasureScene(f, recordingDir);
      // A call of the same caller still ringing: the call path would write the number back.
      const live = makeCall({ callerNumber: FORGOTTEN, startedAt: f.clock.now() - MINUTE, answeredAt: null, endedAt: null, status: 'ringing', talkSeconds: null });
      await seedCalls(f.app.db, [live]);
      const otherRowBefore = await calls.findById(f.app.db, scene.other.id);
      const otherOutboxBefore = await outboxOf(f, scene.other.id);
      const answeredOutboxBefore = await outboxOf(f, scene.answered.id);
      assert.match(answeredOutboxBefore.find((e) => e.target === 'crm')?.payload ?? '', /"signedUrl":"https:[^"]+signature=/, 'the CRM was given a signed link');
      const reportBefore = await querySourceReport(f.app.db, {}, 'source', RULES);
      const recognised = await f.app.attributor.explain({ trackingNumber: scene.answered.trackingNumber, callerNumber: FORGOTTEN, at: f.clock.now() });
      assert.equal(recognised?.firstCall, false, 'before: a repeat caller');

      const dry = await erasure(f, recordingDir).forget(FORGOTTEN, { dryRun: true });
      const expected = {
        callsErased: 2, callsInProgress: 1, recordingsDeleted: 1, recordingsAlreadyGone: 0, recordingsFailed: 0, visitsAnonymised: 2,
        outboxEntriesRewritten: 5, outboxEntriesDropped: 1,
      };
      assert.deepEqual(counts(dry), expected, 'webhooks crm and erp of both calls and the delivered GA4 hit rewritten; the pending GA4 hit dropped');
      assert.ok(existsSync(path.join(recordingDir, scene.answered.recordingPath!)), 'a dry run deletes no file');
      assert.equal((await calls.findById(f.app.db, scene.answered.id))?.callerNumber, FORGOTTEN, 'a dry run changes no call');
      assert.equal((await visitRow(f, scene.visits.credited)).ip, '203.0.113.1', 'a dry run erases no visit');
      assert.deepEqual(await outboxOf(f, scene.answered.id), answeredOutboxBefore, 'a dry run rewrites no outbox entry');

      const report = await erasure(f, recordingDir).forget(FORGOTTEN, { dryRun: false });
      assert.deepEqual(counts(report), expected);

      // The calls: what analytics needs stays, the number and the free text go.
      const answered = await calls.findById(f.app.db, scene.answered.id);
      assert.deepEqual({ ...answered, updatedAt: 0 }, {
        ...scene.answered, callerNumber: null, note: null, gaClientId: null, gaSessionId: null, ymClientId: null, recordingStatus: 'erased', identityErasedAt: f.clock.now(), updatedAt: 0,
      }, 'only the caller number, the note, the analytics ids and the recording status changed');
      const missed = await calls.findById(f.app.db, scene.missed.id);
      assert.deepEqual([missed?.callerNumber, missed?.tags, missed?.firstTouch?.visitId], [null, ['spam'], scene.visits.credited]);
      assert.deepEqual([missed?.gaClientId, missed?.firstTouch?.gaClientId, missed?.firstTouch?.ymClientId, missed?.firstTouch?.campaign], [null, null, null, 'fridges']);
      assert.equal((await calls.findById(f.app.db, live.id))?.callerNumber, FORGOTTEN, 'a call in progress is left alone');
      assert.deepEqual(await calls.findById(f.app.db, scene.other.id), otherRowBefore, "the other caller's call is untouched");

      // The recording file; the other caller's stays.
      assert.equal(existsSync(path.join(recordingDir, scene.answered.recordingPath!)), false);
      assert.ok(existsSync(path.join(recordingDir, scene.other.recordingPath!)));

      // Visits: the credited one and the visitor's other visit lose IP and user agent, and stay.
      for (const id of [scene.visits.credited, scene.visits.sameVisitor]) {
        const v = await visitRow(f, id);
        assert.deepEqual([v.ip, v.user_agent, v.ga_client_id, v.ga_session_id, v.ym_client_id, v.visitor_id], [null, null, null, null, null, 'visitor-forgotten']);
      }
      assert.equal((await visitRow(f, scene.visits.credited)).campaign, 'fridges');
      assert.deepEqual([(await visitRow(f, scene.visits.other)).ip, (await visitRow(f, scene.visits.other)).user_agent], ['203.0.113.2', 'Mozilla/5.0 (other)']);

      // The outbox: same entries, same statuses, no number anywhere; GA4 bodies as they were.
      for (const callId of [scene.answered.id, scene.missed.id]) {
        for (const entry of await outboxOf(f, callId)) {
          assert.ok(!entry.payload.includes(FORGOTTEN) && !(entry.lastError ?? '').includes(FORGOTTEN), `${entry.target} ${entry.eventType}: ${entry.payload}`);
          if (entry.target === 'ga4') {
            const hit = JSON.parse(entry.payload) as { client_id: string | null; events: { params: Record<string, unknown> }[] };
            assert.deepEqual([entry.status, hit.client_id, 'session_id' in (hit.events[0]?.params ?? {})], ['delivered', null, false], 'a GA4 hit kept is a delivered one, without the ids');
            continue;
          }
          const event = JSON.parse(entry.payload) as WebhookEvent;
          assert.deepEqual([event.call.callerNumber, event.call.note, event.call.trackingNumber], [null, null, scene.answered.trackingNumber]);
          assert.deepEqual([event.call.attribution.gaClientId, event.call.attribution.ymClientId], [null, null]);
        }
      }
      const after_ = await outboxOf(f, scene.answered.id);
      assert.deepEqual(after_.map((e) => [e.target, e.status]), answeredOutboxBefore.map((e) => [e.target, e.status]), 'pending stays pending, delivered stays delivered');
      assert.deepEqual((await outboxOf(f, scene.missed.id)).map((e) => e.target).sort(), ['crm', 'erp'], "the missed call's pending GA4 hit is dropped");
      const crm = after_.find((e) => e.target === 'crm');
      assert.equal(crm?.lastError, 'HTTP 409: contact [erased] exists');
      assert.deepEqual((JSON.parse(crm!.payload) as WebhookEvent).call.recording, { status: 'erased', durationSeconds: 1, sizeBytes: 32_044, url: null, signedUrl: null }, 'no link to a deleted file');
      assert.deepEqual(await outboxOf(f, scene.other.id), otherOutboxBefore, "the other caller's events are untouched");

      // Reports still count every call; only the distinct caller counts can drop.
      assert.deepEqual(callCounts(await querySourceReport(f.app.db, {}, 'source', RULES)), callCounts(reportBefore));

      // The call in progress ends; a run after it has settled erases it; then nothing is left.
      await calls.update(f.app.db, live.id, { status: 'no-answer', endedAt: f.clock.now() });
      assert.equal((await erasure(f, recordingDir).forget(FORGOTTEN, { dryRun: false })).callsInProgress, 1, 'just ended: its webhooks may not be queued yet');
      f.clock.advance(2 * MINUTE);
      const late = await erasure(f, recordingDir).forget(FORGOTTEN, { dryRun: false });
      assert.deepEqual(counts(late), { ...counts(report), callsErased: 1, callsInProgress: 0, recordingsDeleted: 0, visitsAnonymised: 0, outboxEntriesRewritten: 0, outboxEntriesDropped: 0 });
      const again = await erasure(f, recordingDir).forget(FORGOTTEN, { dryRun: false });
      assert.deepEqual(counts(again), { ...counts(late), callsErased: 0 }, 'a second run finds nothing');

      // Caller history no longer knows the person, and nothing breaks on the NULL numbers.
      assert.deepEqual((await listCalls(f.app.db, { callerNumber: FORGOTTEN }, { limit: 10 })).calls, []);
      const redial = await f.app.attributor.explain({ trackingNumber: scene.answered.trackingNumber, callerNumber: FORGOTTEN, at: f.clock.now() });
      assert.deepEqual([redial?.firstCall, redial?.firstTouch], [true, null]);
      assert.deepEqual(await new CallHistory().callerVisits(f.app.db, FORGOTTEN, 0, f.clock.now()), []);
      assert.equal((await new CallHistory().firstCallBetween(f.app.db, OTHER, 0, f.clock.now()))?.id, scene.other.id);
    });
  });
}

erasureScenarios('SQLite', (recordingDir) => trackingApp(erasureConfigDoc(recordingDir)));
describe('on PostgreSQL', { skip: pgServer.skipReason }, () => {
  erasureScenarios('PostgreSQL', async (recordingDir) => trackingApp(erasureConfigDoc(recordingDir), { pgUrl: await pgServer.createDatabase() }));
});

describe('calls forget and files it must not delete', () => {
  it('never deletes a file outside the recording directory: that call is left whole for a second run', async () => {
    const dir = tempDir();
    const recordingDir = path.join(dir, 'recordings');
    mkdirSync(recordingDir);
    writeFileSync(path.join(dir, 'calltrack.yaml'), 'not a recording');
    const f = await trackingApp(erasureConfigDoc(recordingDir));
    after(() => f.close());
    const escaping = makeCall({ callerNumber: FORGOTTEN, startedAt: f.clock.now() - 60 * MINUTE, recordingStatus: 'saved', recordingPath: '../calltrack.yaml', note: 'n' });
    const gone = makeCall({ callerNumber: FORGOTTEN, startedAt: f.clock.now() - 50 * MINUTE, recordingStatus: 'missing', recordingPath: '2026/11/23/gone.wav' });
    await seedCalls(f.app.db, [escaping, gone]);

    const report = await erasure(f, recordingDir).forget(FORGOTTEN, { dryRun: false });
    assert.deepEqual([report.callsErased, report.recordingsAlreadyGone, report.recordingsFailed.map((r) => r.callId)], [1, 1, [escaping.id]]);
    assert.match(report.recordingsFailed[0]?.error ?? '', /outside/);
    assert.ok(existsSync(path.join(dir, 'calltrack.yaml')));
    assert.deepEqual(await calls.findById(f.app.db, escaping.id), escaping, 'left whole: a second run finds it again');
    assert.deepEqual([(await calls.findById(f.app.db, gone.id))?.recordingStatus, (await calls.findById(f.app.db, gone.id))?.callerNumber], ['erased', null]);
  });
});
