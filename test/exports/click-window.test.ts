import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { DAY_MS } from '../../src/clock.js';
import { parseConfigText } from '../../src/config/load.js';
import { CallExportService } from '../../src/exports/call-export-service.js';
import { ConfigError } from '../../src/errors.js';
import { makeConfig } from '../support/config.js';
import { makeCall, migratedDb, seedCalls, seedVisitsOf } from '../support/calls.js';
import { tempDir } from '../support/temp.js';

const cfgDoc = { tracking: { defaultCountry: 'RU', targetCallSeconds: 30 } };

describe("Google Ads click conversions: the conversion action's click-through window", () => {
  /** The GCLIDs of the google-ads-clicks file for November, with this googleAds section. */
  async function exportedClicks(googleAds: Record<string, unknown>): Promise<string[]> {
    const db = await migratedDb(tempDir());
    const clicked = (gclid: string, clickDaysBefore: number, day: number) => {
      const call = makeCall({ source: 'google', gclid, startedAt: Date.UTC(2026, 10, day, 9) });
      return { call, clickAt: call.endedAt! - clickDaysBefore * DAY_MS };
    };
    const rows = [clicked('week-old-click', 7, 2), clicked('month-old-click', 29, 3), clicked('31-days-old', 31, 4), clicked('89-days-old', 89, 5)];
    await seedCalls(db, rows.map((r) => r.call));
    await seedVisitsOf(db, rows.map((r) => r.call), (call) => rows.find((r) => r.call.id === call.id)!.clickAt);
    const cfg = makeConfig({ ...cfgDoc, exports: { timeZone: 'UTC', googleAds: { clickConversionName: 'Call after ad click', ...googleAds } } });
    const chunks: Buffer[] = [];
    for await (const chunk of new CallExportService(db, { current: cfg }).prepare({ from: '2026-11-01', to: '2026-11-30', format: 'google-ads-clicks' }).open()) {
      chunks.push(Buffer.from(chunk as Buffer));
    }
    const [, header, ...records] = parse(Buffer.concat(chunks).toString('utf8'), { relax_column_count: true }) as string[][];
    assert.equal(header?.[0], 'Google Click ID');
    return records.map((r) => r[0] ?? '');
  }

  it("leaves out calls later after the click than the action's window (clickWindowDays), 90 days by default", async () => {
    assert.deepEqual(await exportedClicks({}), ['week-old-click', 'month-old-click', '31-days-old', '89-days-old']);
    assert.deepEqual(await exportedClicks({ clickWindowDays: 30 }), ['week-old-click', 'month-old-click']);
    assert.deepEqual(await exportedClicks({ clickWindowDays: 7 }), ['week-old-click']);
  });

  it('refuses a window Google does not offer, naming the setting', () => {
    const problemsFor = (value: string) => {
      const yaml = ['pools: []', 'exports:', '  googleAds:', '    clickConversionName: Call after ad click', `    clickWindowDays: ${value}`].join('\n');
      try {
        parseConfigText(yaml, 'test.yaml', {});
      } catch (err) {
        assert.ok(err instanceof ConfigError);
        return err.problems.map((p) => `${p.path}: ${p.message}`);
      }
      return [];
    };
    assert.deepEqual(problemsFor('30'), []);
    for (const [value, why] of [['0', /from 1 to 90/], ['91', /longest click-through conversion window is 90 days/], ['14.5', /expected int, got number 14\.5/], ['"30"', /expected number, got string "30"/]] as const) {
      const problems = problemsFor(value);
      assert.equal(problems.length, 1, `${value}: ${problems.join('; ')}`);
      assert.match(problems[0]!, /^exports\.googleAds\.clickWindowDays \(line 5\): /);
      assert.match(problems[0]!, why);
    }
  });
});
