import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { CallRetention } from '../../src/calls/call-retention.js';
import { CallStore } from '../../src/calls/call-store.js';
import { touchFromCall } from '../../src/calls/call-record.js';
import { querySourceReport } from '../../src/calls/source-report-query.js';
import type { WebhookEvent } from '../../src/integrations/outbox-sink.js';
import { OutboxStore } from '../../src/integrations/outbox-store.js';
import { erasureConfigDoc, outboxOf } from '../support/caller-erasure-seed.js';
import { makeCall, makeMissedCall, seedCalls } from '../support/calls.js';
import { makeConfig } from '../support/config.js';
import { testLogger } from '../support/logger.js';
import { startTestPostgres } from '../support/postgres.js';
import { tempDir } from '../support/temp.js';
import { trackingApp, type TrackingFixture } from '../support/tracking-app.js';

const pgServer = await startTestPostgres();
after(() => pgServer.stop());

const DAY = 24 * 60 * 60 * 1000;
const RULES = { minTalkSeconds: 30, requireFirstCall: false };
const calls = new CallStore();

function retentionScenarios(label: string, open: () => Promise<TrackingFixture>) {
  describe(`calls anonymise (${label})`, () => {
    it('erases caller number, note and analytics ids of calls older than the period; recent calls and reports stay', async () => {
      const f = await open();
      after(() => f.close());
      const now = f.clock.now();
      const old = makeCall({ startedAt: now - 40 * DAY, note: 'Ivan, wants a fridge' });
      const repeat = makeMissedCall({ startedAt: now - 39 * DAY, firstCall: false, firstTouch: touchFromCall(old) });
      const anonymous = makeCall({ startedAt: now - 35 * DAY, callerNumber: null });
      // afterHours true: the column (a boolean since its own migration) reads back as written on both databases.
      const recent = makeCall({ startedAt: now - 5 * DAY, callerNumber: '+79035556677', note: 'call back', afterHours: true });
      await seedCalls(f.app.db, [old, repeat, anonymous, recent]);
      for (const call of [old, repeat, anonymous, recent]) await f.app.callEvents.publish(call.answeredAt ? 'call.completed' : 'call.missed', call);
      const reportBefore = await querySourceReport(f.app.db, {}, 'source', RULES);
      const recentOutbox = await outboxOf(f, recent.id);
      const retention = new CallRetention({ db: f.app.db, clock: f.clock, logger: testLogger(), outbox: new OutboxStore(), batchSize: 2 });

      const dry = await retention.anonymise(30, { dryRun: true });
      // Webhooks crm and erp for each old call are rewritten; their GA4 hits, not yet sent, dropped.
      assert.deepEqual([dry.callsAnonymised, dry.outboxEntriesRewritten, dry.outboxEntriesDropped], [3, 6, 3]);
      assert.equal((await calls.findById(f.app.db, old.id))?.callerNumber, old.callerNumber, 'a dry run changes nothing');

      const report = await retention.anonymise(30, { dryRun: false });
      assert.deepEqual([report.callsAnonymised, report.outboxEntriesRewritten, report.outboxEntriesDropped], [3, 6, 3]);
      assert.equal(report.cutoff, now - 30 * DAY);
      const erased = await calls.findById(f.app.db, old.id);
      assert.deepEqual({ ...erased, updatedAt: 0 }, { ...old, callerNumber: null, note: null, gaClientId: null, gaSessionId: null, ymClientId: null, identityErasedAt: now, updatedAt: 0 });
      const repeated = await calls.findById(f.app.db, repeat.id);
      assert.deepEqual([repeated?.callerNumber, repeated?.firstTouch?.gaClientId, repeated?.firstTouch?.campaign], [null, null, old.campaign]);
      assert.equal((await calls.findById(f.app.db, anonymous.id))?.gaClientId, null);
      assert.deepEqual(await calls.findById(f.app.db, recent.id), recent, 'a recent call is untouched');

      for (const call of [old, repeat]) {
        const entries = await outboxOf(f, call.id);
        assert.deepEqual(entries.map((e) => e.target).sort(), ['crm', 'erp']);
        for (const e of entries) {
          const body = JSON.parse(e.payload) as WebhookEvent;
          assert.deepEqual([body.call.callerNumber, body.call.note, body.call.attribution.gaClientId, body.call.attribution.campaign], [null, null, null, call.campaign]);
        }
      }
      const anonymousHook = JSON.parse((await outboxOf(f, anonymous.id)).find((e) => e.target === 'crm')!.payload) as WebhookEvent;
      assert.deepEqual([anonymousHook.call.attribution.ymClientId, anonymousHook.call.attribution.source], [null, anonymous.source], 'no number to look for: only the ids go');
      assert.deepEqual(await outboxOf(f, recent.id), recentOutbox);

      const counted = (r: Awaited<ReturnType<typeof querySourceReport>>) => r.groups.map(({ uniqueCallers: _u, firstTimeCallers: _f, ...rest }) => rest);
      assert.deepEqual(counted(await querySourceReport(f.app.db, {}, 'source', RULES)), counted(reportBefore), 'reports count the same calls');
      const again = await retention.anonymise(30, { dryRun: false });
      assert.deepEqual([again.callsAnonymised, again.outboxEntriesRewritten, again.outboxEntriesDropped], [0, 0, 0], 'a second run finds nothing');
    });
  });
}

retentionScenarios('SQLite', () => trackingApp(erasureConfigDoc(path.join(tempDir(), 'recordings'))));
describe('on PostgreSQL', { skip: pgServer.skipReason }, () => {
  retentionScenarios('PostgreSQL', async () => trackingApp(erasureConfigDoc(path.join(tempDir(), 'recordings')), { pgUrl: await pgServer.createDatabase() }));
});

describe('tracking.callerRetentionDays', () => {
  it('must cover tracking.repeatCallDays, or a repeat caller would no longer be recognised', () => {
    assert.throws(() => makeConfig({ tracking: { repeatCallDays: 30, callerRetentionDays: 20 } }), /tracking\.callerRetentionDays.*at least repeatCallDays \(30\)/);
    assert.equal(makeConfig({ tracking: { repeatCallDays: 30, callerRetentionDays: 30 } }).tracking.callerRetentionDays, 30);
  });
});
