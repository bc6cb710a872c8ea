import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { CallStore } from '../../src/calls/call-store.js';
import { VisitRetention } from '../../src/tracking/visit-retention.js';
import { callFrom } from '../support/calls.js';
import { testLogger } from '../support/logger.js';
import { startTestPostgres } from '../support/postgres.js';
import { MINUTE, pool, trackingApp, type TrackingFixture } from '../support/tracking-app.js';

const pgServer = await startTestPostgres();
after(() => pgServer.stop());

const DAY = 24 * 60 * MINUTE;
const CALLER = '+79161234567';
const DOC = {
  tracking: { defaultCountry: 'RU', repeatCallDays: 30 },
  pools: [pool('ads', 1, 3, { holdMinutes: 15, fallbackNumber: '+74950009901' })],
};
const ad = (campaign: string) => `https://shop.example.com/?utm_source=yandex&utm_medium=cpc&utm_campaign=${campaign}`;
const visitor = (n: number) => ({ userAgent: `Mozilla/5.0 (visitor ${n})`, ip: `203.0.113.${n}` });

async function visitRow(f: TrackingFixture, id: string) {
  return (await f.app.db('visits').where({ id }).first()) as { ip: string | null; user_agent: string | null; campaign: string } | undefined;
}
async function rows(f: TrackingFixture, table: string, visitId: string): Promise<number> {
  const r = (await f.app.db(table).where({ visit_id: visitId }).count({ n: '*' }).first()) as { n: number | string };
  return Number(r.n);
}

function retentionScenarios(label: string, open: () => Promise<TrackingFixture>) {
  describe(`visit retention (${label})`, () => {
    it('deletes old visits no call refers to, keeps the called ones without IP and user agent, and leaves tracking working', async () => {
      const f = await open();
      after(() => f.close());
      const retention = new VisitRetention({ db: f.app.db, clock: f.clock, logger: testLogger(), batchSize: 2 });

      // Day 0: three visits take the pool's three numbers; a fourth is shown the fallback.
      const called = await f.app.visits.startVisit({ url: ad('fridges'), ...visitor(1) });
      f.clock.advance(MINUTE);
      const left = await f.app.visits.startVisit({ url: ad('ovens'), ...visitor(2) });
      f.clock.advance(MINUTE);
      const alsoLeft = await f.app.visits.startVisit({ url: ad('kettles'), ...visitor(3) });
      await f.app.visits.ping(left.visitId, 'https://shop.example.com/ovens/2');
      assert.equal(await rows(f, 'visit_pages', left.visitId), 2);
      const fallback = await f.app.visits.startVisit({ url: ad('kettles'), ...visitor(4) });
      assert.equal(fallback.type, 'fallback');
      f.clock.advance(3 * MINUTE);
      const attribution = await f.app.attributor.attribute({ trackingNumber: called.number ?? '', callerNumber: CALLER, at: f.clock.now() });
      assert.equal(attribution?.visitId, called.visitId);
      const call = callFrom(attribution!, CALLER, f.clock.now());
      await new CallStore().insert(f.app.db, call);
      const eventsBefore = Number(((await f.app.db('pool_events').count({ n: '*' }).first()) as { n: number | string }).n);
      assert.ok(eventsBefore >= 2, 'the exhaustion and the fallback show were recorded');

      // Day 10: a recent visit takes the number `left` held.
      f.clock.advance(10 * DAY);
      const recent = await f.app.visits.startVisit({ url: ad('fridges'), ...visitor(5) });
      assert.equal(recent.number, left.number);

      const dry = await retention.prune(8, { dryRun: true });
      assert.deepEqual([dry.visitsDeleted, dry.visitsAnonymised, dry.poolEventsDeleted], [3, 1, eventsBefore]);
      assert.ok(await visitRow(f, left.visitId), 'a dry run deletes nothing');
      assert.equal((await visitRow(f, called.visitId))?.ip, '203.0.113.1', 'a dry run erases nothing');

      const report = await retention.prune(8, { dryRun: false });
      assert.deepEqual([report.visitsDeleted, report.visitsAnonymised, report.poolEventsDeleted], [3, 1, eventsBefore]);
      assert.equal(report.cutoff, f.clock.now() - 8 * DAY);

      for (const gone of [left, alsoLeft, fallback]) {
        assert.equal(await visitRow(f, gone.visitId), undefined);
        assert.equal(await rows(f, 'visit_pages', gone.visitId), 0, 'its pages went with it');
        assert.equal(await rows(f, 'number_holds', gone.visitId), 0, 'its hold history went with it');
      }
      const kept = await visitRow(f, called.visitId);
      assert.deepEqual([kept?.ip, kept?.user_agent, kept?.campaign], [null, null, 'fridges'], 'the called visit stays, without personal data');
      assert.equal(await rows(f, 'visit_pages', called.visitId), 1, "the call's page journey stays");
      assert.equal((await visitRow(f, recent.visitId))?.ip, '203.0.113.5', 'a recent visit is untouched');
      assert.equal(Number(((await f.app.db('pool_events').count({ n: '*' }).first()) as { n: number | string }).n), 0);

      // The call row keeps its attribution; the caller is still known by their visit.
      const stored = await new CallStore().findById(f.app.db, call.id);
      assert.deepEqual([stored?.visitId, stored?.campaign], [called.visitId, 'fridges']);
      const redial = await f.app.attributor.explain({ trackingNumber: called.number ?? '', callerNumber: CALLER, at: f.clock.now() });
      assert.equal(redial?.visitId, called.visitId, 'caller history still names the called visit');

      // The number whose last holder was deleted is handed out again.
      const next = await f.app.visits.startVisit({ url: ad('ovens'), ...visitor(6) });
      assert.deepEqual([next.type, next.number], ['dynamic', alsoLeft.number]);
      const status = await f.app.poolReports.poolStatus();
      assert.equal(status.find((p) => p.pool === 'ads')?.heldNow, 2);

      const again = await retention.prune(8, { dryRun: false });
      assert.deepEqual([again.visitsDeleted, again.visitsAnonymised, again.poolEventsDeleted], [0, 0, 0], 'a second run finds nothing');
    });
  });
}

retentionScenarios('SQLite', () => trackingApp(DOC));
describe('on PostgreSQL', { skip: pgServer.skipReason }, () => {
  retentionScenarios('PostgreSQL', async () => trackingApp(DOC, { pgUrl: await pgServer.createDatabase() }));
});
