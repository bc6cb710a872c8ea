import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SourceReportService, formatSourceReport } from '../../src/exports/source-report.js';
import { makeConfig } from '../support/config.js';
import { makeCall, makeMissedCall, migratedDb, seedCalls } from '../support/calls.js';
import { tempDir } from '../support/temp.js';

const day = (d: number, h = 9) => Date.UTC(2026, 10, d, h);

async function seededDb() {
  const db = await migratedDb(tempDir());
  await seedCalls(db, [
    // yandex: one caller twice (first, then repeat), one other caller; one short call
    makeCall({ startedAt: day(2), callerNumber: '+79160000001', firstCall: true, talkSeconds: 120 }),
    makeCall({ startedAt: day(3), callerNumber: '+79160000001', firstCall: false, talkSeconds: 60 }),
    makeCall({ startedAt: day(4), callerNumber: '+79160000002', firstCall: true, talkSeconds: 10 }),
    makeMissedCall({ startedAt: day(5), callerNumber: '+79160000003', firstCall: true }),
    // google: target call stored explicitly as false by the call path overrides the rules
    makeCall({ startedAt: day(6), source: 'google', medium: 'cpc', callerNumber: '+79160000004', talkSeconds: 300, targetCall: false, poolName: 'ads', afterHours: true }),
    // no source at all (a static number without campaign), anonymous caller
    makeCall({ startedAt: day(7), source: null, medium: null, campaign: null, callerNumber: null, talkSeconds: 45, firstCall: null, poolName: null }),
    // outside the period
    makeCall({ startedAt: Date.UTC(2026, 11, 1), source: 'yandex' }),
  ]);
  return db;
}

describe('source report', () => {
  it('counts calls, callers, first-timers, answered, missed, target calls and average talk per source, with totals', async () => {
    const db = await seededDb();
    const service = new SourceReportService(db, { current: makeConfig({ tracking: { targetCallSeconds: 30 } }) });
    const report = await service.run({ from: '2026-11-01', to: '2026-11-30', by: 'source' });
    assert.deepEqual(report.groups, [
      { key: 'yandex', calls: 4, uniqueCallers: 3, firstTimeCallers: 3, answered: 3, missed: 1, targetCalls: 2, avgTalkSeconds: 63.3, afterHoursCalls: 0, visits: 0, visitsWithCalls: 4, conversionPercent: null },
      { key: 'google', calls: 1, uniqueCallers: 1, firstTimeCallers: 1, answered: 1, missed: 0, targetCalls: 0, avgTalkSeconds: 300, afterHoursCalls: 1, visits: 0, visitsWithCalls: 1, conversionPercent: null },
      { key: null, calls: 1, uniqueCallers: 0, firstTimeCallers: 0, answered: 1, missed: 0, targetCalls: 1, avgTalkSeconds: 45, afterHoursCalls: 0, visits: 0, visitsWithCalls: 1, conversionPercent: null },
    ]);
    assert.deepEqual(report.totals, {
      key: null,
      calls: 6,
      uniqueCallers: 4,
      firstTimeCallers: 4,
      answered: 5,
      missed: 1,
      targetCalls: 3,
      avgTalkSeconds: 107,
      afterHoursCalls: 1,
      visits: 0,
      visitsWithCalls: 6,
      conversionPercent: null,
    });
    const text = formatSourceReport(report);
    assert.match(text, /^calls by source, 2026-11-01T00:00:00\+00:00 to 2026-12-01T00:00:00\+00:00 \(UTC\); target call: talk >= 30 s/);
    assert.match(text, /\nyandex\s+4\s+3\s+3\s+3\s+1\s+2\s+63\.3\s+0\s+0\s+-\n/);
    assert.match(text, /\n\(none\)\s+1/);
    assert.match(text, /\nTOTAL\s+6\s+4\s+4\s+5\s+1\s+3\s+107\.0\s+1\s+0\s+-$/);
  });

  it('applies tracking.targetRequiresFirstCall, and groups by other dimensions', async () => {
    const db = await seededDb();
    const cfg = makeConfig({ tracking: { targetCallSeconds: 30, targetRequiresFirstCall: true } });
    const service = new SourceReportService(db, { current: cfg });
    const bySource = await service.run({ from: '2026-11-01', to: '2026-11-30' });
    assert.equal(bySource.groups.find((g) => g.key === 'yandex')?.targetCalls, 1, 'the repeat call with 60 s talk no longer counts');
    const byPool = await service.run({ from: '2026-11-01', to: '2026-11-30', by: 'pool' });
    assert.deepEqual(byPool.groups.map((g) => [g.key, g.calls]), [['ads', 5], [null, 1]]);
    const byNumber = await service.run({ from: '2026-11-01', to: '2026-11-30', by: 'number' });
    assert.deepEqual(byNumber.groups.map((g) => [g.key, g.calls]), [['+74950000101', 6]]);
    await assert.rejects(service.run({ by: 'city' }), /by: "city" is not a report grouping; use source, medium, campaign, term, number, pool/);
  });

  it('reports zeros for an empty period', async () => {
    const db = await seededDb();
    const report = await new SourceReportService(db, { current: makeConfig({}) }).run({ from: '2025-01-01', to: '2025-01-31' });
    assert.deepEqual(report.groups, []);
    assert.equal(report.totals.calls, 0);
    assert.equal(report.totals.avgTalkSeconds, null);
  });
});
