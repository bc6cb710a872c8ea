import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { loadConfigFile } from '../../src/config/load.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createApp } from '../../src/main.js';
import { runCli } from '../support/cli.js';
import { testLogger } from '../support/logger.js';
import { tempDir } from '../support/temp.js';

describe('calltrack attribute --at: business hours', () => {
  const dir = tempDir();
  const file = path.join(dir, 'calltrack.yaml');

  before(async () => {
    writeFileSync(
      file,
      stringify({
        database: { client: 'sqlite3', filename: path.join(dir, 'ct.sqlite') },
        tracking: { defaultCountry: 'RU' },
        schedules: { office: { timeZone: 'Asia/Vladivostok', open: [{ days: 'mon-fri', hours: '09:00-18:00' }], closedOn: '2027-01-01..2027-01-08' } },
        numbers: [
          { number: '+74950007701', forwardTo: '+74951112233', schedule: 'office', afterHoursForwardTo: ['+79161110001', '+79161110002'], source: { name: 'Radio' } },
          { number: '+74950007702', forwardTo: '+74951112233', source: { name: 'Print' } },
        ],
        log: { level: 'silent' },
      }),
    );
    const { config } = loadConfigFile(file);
    const app = await createApp(config, { logger: testLogger() });
    await migrateToLatest(app.db);
    await app.numberSync.sync(config);
    await app.stop();
  });

  it('in hours: the office, with the schedule\'s verdict and the local time', async () => {
    // Sunday 23:30 UTC is Monday 09:30 in Vladivostok.
    const r = await runCli(['attribute', '-c', file, '--number', '+74950007701', '--at', '2026-11-29T23:30:00Z']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ {2}schedule office: open at 2026-11-30 09:30 mon \(Asia\/Vladivostok\): mon 09:00-18:00$/m);
    assert.match(r.stdout, /^ {2}forwards to: \+74951112233 \(forwardTo\)$/m);
  });

  it('after hours: the after-hours list, and --json carries the decision', async () => {
    const r = await runCli(['attribute', '-c', file, '--number', '+74950007701', '--at', '2027-01-04T01:00:00Z']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ {2}schedule office: closed at 2027-01-04 11:00 mon \(Asia\/Vladivostok\): closedOn 2027-01-01..2027-01-08$/m);
    assert.match(r.stdout, /^ {2}forwards to: \+79161110001, \+79161110002 \(afterHoursForwardTo\)$/m);

    const json = await runCli(['attribute', '-c', file, '--number', '+74950007701', '--at', '2026-12-01T09:00:00Z', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const out = JSON.parse(json.stdout) as Record<string, unknown>;
    assert.deepEqual(
      { forwardTo: out.forwardTo, afterHours: out.afterHours, hours: out.hours },
      {
        forwardTo: ['+79161110001', '+79161110002'],
        afterHours: true,
        hours: { schedule: 'office', open: false, afterHours: true, localTime: '2026-12-01 19:00 tue (Asia/Vladivostok)', reason: 'outside tue 09:00-18:00' },
      },
    );
  });

  it('a number without a schedule: always forwardTo, hours null', async () => {
    const json = await runCli(['attribute', '-c', file, '--number', '+74950007702', '--at', '2027-01-04T01:00:00Z', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const out = JSON.parse(json.stdout) as Record<string, unknown>;
    assert.deepEqual({ forwardTo: out.forwardTo, afterHours: out.afterHours, hours: out.hours }, { forwardTo: ['+74951112233'], afterHours: false, hours: null });
    const text = await runCli(['attribute', '-c', file, '--number', '+74950007702']);
    assert.doesNotMatch(text.stdout, /schedule/);
    assert.match(text.stdout, /^ {2}forwards to: \+74951112233$/m);
  });

  it('config check lists each schedule with its zone and who uses it', async () => {
    const r = await runCli(['config', 'check', '-c', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^schedules: 1\n {2}office: Asia\/Vladivostok, used by \+74950007701$/m);
  });
});
