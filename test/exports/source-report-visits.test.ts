import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { CallStore } from '../../src/calls/call-store.js';
import { SourceReportService, formatSourceReport } from '../../src/exports/source-report.js';
import { VisitRetention } from '../../src/tracking/visit-retention.js';
import { callFrom } from '../support/calls.js';
import { testLogger } from '../support/logger.js';
import { startTestPostgres } from '../support/postgres.js';
import { MINUTE, pool, trackingApp, type TrackingFixture } from '../support/tracking-app.js';

const pgServer = await startTestPostgres();
after(() => pgServer.stop());

const DAY = 24 * 60 * MINUTE;
const DOC = { tracking: { defaultCountry: 'RU' }, exports: { timeZone: 'Europe/Moscow' }, pools: [pool('ads', 1, 6, { holdMinutes: 15, fallbackNumber: '+74950009901' })] };
const ad = (source: string, campaign: string) => `https://shop.example.com/?utm_source=${source}&utm_medium=cpc&utm_campaign=${campaign}`;

function visitScenarios(label: string, open: () => Promise<TrackingFixture>) {
  describe(`source report with visits (${label})`, () => {
    it('counts visits per source beside the calls, the share that called, and sources that brought visits but no call; the same after the visits are pruned', async () => {
      const f = await open();
      after(() => f.close());
      const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Moscow' }).format(f.clock.now());
      const visit = (url: string, n: number, userAgent = `Mozilla/5.0 (visitor ${n})`) => f.app.visits.startVisit({ url, userAgent, ip: `203.0.113.${n}` });
      const yandex = [await visit(ad('yandex', 'fridges'), 1), await visit(ad('yandex', 'fridges'), 2), await visit(ad('yandex', 'ovens'), 3)];
      await visit(ad('google', 'fridges'), 4);
      await visit(ad('google', 'fridges'), 5);
      await visit(ad('yandex', 'fridges'), 6, 'Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)');
      f.clock.advance(2 * MINUTE);
      // The first yandex visitor calls twice: one visit that called, two calls.
      for (const minutes of [0, 30]) {
        const at = f.clock.now() + minutes * MINUTE;
        const attribution = await f.app.attributor.attribute({ trackingNumber: yandex[0]!.number ?? '', callerNumber: '+79161234567', at });
        assert.equal(attribution?.visitId, yandex[0]!.visitId);
        await new CallStore().insert(f.app.db, callFrom(attribution!, '+79161234567', at));
      }

      const service = new SourceReportService(f.app.db, f.app.config);
      const shape = async (input: Record<string, string>) =>
        (await service.run({ from: day, to: day, ...input })).groups.map((g) => [g.key, g.calls, g.visits, g.visitsWithCalls, g.conversionPercent]);
      const bySource = [['yandex', 2, 3, 1, 33.3], ['google', 0, 2, 0, 0]];
      assert.deepEqual(await shape({}), bySource, 'the crawler is not a visit; google brought visits and no call');
      const byCampaign = [['fridges', 2, 4, 1, 25], ['ovens', 0, 1, 0, 0]];
      assert.deepEqual(await shape({ by: 'campaign' }), byCampaign);
      const report = await service.run({ from: day, to: day });
      assert.deepEqual([report.totals.calls, report.totals.visits, report.totals.visitsWithCalls, report.totals.conversionPercent], [2, 5, 1, 20]);
      assert.match(formatSourceReport(report), /\nyandex\s+2\s+1\s+1\s+2\s+0\s+2\s+\S+\s+0\s+3\s+33\.3\n/);
      assert.match(formatSourceReport(report), /\ngoogle\s+0\s+0\s+0\s+0\s+0\s+0\s+-\s+0\s+2\s+0\.0\n/);
      assert.deepEqual(await shape({ source: 'google' }), [['google', 0, 2, 0, 0]], 'the source filter narrows visits too');
      const answered = await service.run({ from: day, to: day, status: 'answered' });
      assert.deepEqual([answered.groups[0]?.visits, answered.totals.visits, answered.totals.conversionPercent], [null, null, null], 'visits have no call status');

      // Ten days on, the uncalled visits are pruned: the period's report reads the same.
      f.clock.advance(10 * DAY);
      const pruned = await new VisitRetention({ db: f.app.db, clock: f.clock, logger: testLogger(), batchSize: 2 }).prune(8, { dryRun: false });
      assert.equal(pruned.visitsDeleted, 5, 'four uncalled visits and the crawler');
      assert.deepEqual(await shape({}), bySource);
      assert.deepEqual(await shape({ by: 'campaign' }), byCampaign);
      assert.equal((await service.run({ from: day, to: day })).totals.visits, 5);
    });
  });
}

visitScenarios('SQLite', () => trackingApp(DOC));
describe('on PostgreSQL', { skip: pgServer.skipReason }, () => {
  visitScenarios('PostgreSQL', async () => trackingApp(DOC, { pgUrl: await pgServer.createDatabase() }));
});
