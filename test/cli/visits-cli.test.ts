import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { ManualClock } from '../../src/clock.js';
import { loadConfigFile } from '../../src/config/load.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createApp } from '../../src/main.js';
import { runCli } from '../support/cli.js';
import { testLogger } from '../support/logger.js';
import { tempDir } from '../support/temp.js';

const DAY = 24 * 60 * 60 * 1000;

describe('calltrack visits prune', () => {
  const dir = tempDir();
  const doc = (tracking: Record<string, unknown>) => ({
    database: { client: 'sqlite3', filename: path.join(dir, 'ct.sqlite') },
    tracking: { defaultCountry: 'RU', ...tracking },
    pools: [{ name: 'ads', numbers: ['+74950000101', '+74950000102'], forwardTo: '+74951112233', fallbackNumber: '+74950000199' }],
    log: { level: 'silent' },
  });
  const configFile = (name: string, tracking: Record<string, unknown>) => {
    const file = path.join(dir, name);
    writeFileSync(file, stringify(doc(tracking)));
    return file;
  };
  const unset = configFile('unset.yaml', {});
  const thirtyDays = configFile('thirty.yaml', { visitRetentionDays: 30 });

  before(async () => {
    // Visits made by the server 40 days and 1 day ago (the CLI reads the wall clock).
    const { config } = loadConfigFile(unset);
    const clock = new ManualClock(Date.now() - 40 * DAY);
    const app = await createApp(config, { logger: testLogger(), clock });
    await migrateToLatest(app.db);
    await app.numberSync.sync(config);
    await app.visits.startVisit({ url: 'https://shop.example.com/?utm_source=google&utm_medium=cpc', ip: '203.0.113.7' });
    clock.advance(39 * DAY);
    await app.visits.startVisit({ url: 'https://shop.example.com/', ip: '203.0.113.8' });
    await app.stop();
  });

  it('without a retention period it refuses, naming the setting and the option', async () => {
    const r = await runCli(['visits', 'prune', '-c', unset]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /tracking\.visitRetentionDays/);
    assert.match(r.stderr, /--days/);
  });

  it('a retention period shorter than the 7 days pools status reads is refused, in the config and in --days', async () => {
    const r = await runCli(['visits', 'prune', '-c', unset, '--days', '3']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--days: expected a whole number of days, at least 8/);
    const check = await runCli(['config', 'check', '-c', configFile('short.yaml', { visitRetentionDays: 5 })]);
    assert.equal(check.code, 2);
    assert.match(check.stderr + check.stdout, /tracking\.visitRetentionDays.*at least 8/);
  });

  it('--dry-run counts, then the configured period deletes the old visit only', async () => {
    const dry = await runCli(['visits', 'prune', '-c', thirtyDays, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /\(30 days\)/);
    assert.match(dry.stdout, /visits to be deleted \(no call refers to them; with their pages and hold history\): 1/);

    const r = await runCli(['visits', 'prune', '-c', thirtyDays, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual([report.days, report.dryRun, report.visitsDeleted, report.visitsAnonymised], [30, false, 1, 0]);
    assert.match(String(report.cutoff), /^\d{4}-\d\d-\d\dT/);

    const none = await runCli(['visits', 'prune', '-c', unset, '--days', '8', '--json']);
    assert.equal((JSON.parse(none.stdout) as { visitsDeleted: number }).visitsDeleted, 0, 'the visit of yesterday stays');
  });

  it('runs on a database the server has not migrated yet, as after an upgrade (the cron job may come first)', async () => {
    const fresh = path.join(dir, 'fresh.yaml');
    writeFileSync(fresh, stringify({ ...doc({ visitRetentionDays: 30 }), database: { client: 'sqlite3', filename: path.join(dir, 'fresh.sqlite') } }));
    const r = await runCli(['visits', 'prune', '-c', fresh, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { visitsDeleted: number }).visitsDeleted, 0);
  });
});
