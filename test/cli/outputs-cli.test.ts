import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { stringify } from 'yaml';
import { OutboxStore } from '../../src/integrations/outbox-store.js';
import { makeCall, makeMissedCall, migratedDb, seedCalls, seedVisitsOf } from '../support/calls.js';
import { tempDir } from '../support/temp.js';

const BIN = fileURLToPath(new URL('../../bin/calltrack.js', import.meta.url));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, LOG_LEVEL: 'error' } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function setup() {
  const dir = tempDir();
  const dbFile = path.join(dir, 'calltrack.sqlite');
  const configFile = path.join(dir, 'calltrack.yaml');
  writeFileSync(
    configFile,
    stringify({
      database: { filename: dbFile },
      tracking: { defaultCountry: 'RU' },
      exports: { timeZone: 'Europe/Moscow' },
      webhooks: [{ name: 'crm', url: 'http://127.0.0.1:9/hooks', secret: 'whsec-0123456789abcdef' }],
      log: { level: 'error' },
    }),
  );
  const db = await migratedDb(dir);
  const calls = [makeCall({ source: '=cmd' }), makeMissedCall({ startedAt: Date.UTC(2026, 10, 3, 12) })];
  await seedCalls(db, calls);
  return { dir, db, configFile, calls };
}

describe('calltrack export / report / webhooks commands', () => {
  it('exports to a file and to stdout, and refuses bad options with exit code 2', async () => {
    const { dir, configFile, calls } = await setup();
    const out = path.join(dir, 'november.csv');
    const toFile = await run(['-c', configFile, 'export', 'calls', '--from', '2026-11-01', '--to', '2026-11-30', '--out', out, '--delimiter', ';', '--bom']);
    assert.equal(toFile.code, 0, toFile.stderr);
    assert.match(toFile.stderr, /wrote .*november\.csv \(csv\)/);
    assert.equal(existsSync(`${out}.partial`), false);
    const rows = parse(readFileSync(out), { columns: true, delimiter: ';', bom: true }) as Record<string, string>[];
    assert.deepEqual(rows.map((r) => r.call_id), calls.map((c) => c.id));
    assert.equal(rows[0]?.started_at, '2026-11-02T12:00:00+03:00', 'exports.timeZone applies');
    assert.equal(rows[0]?.source, "'=cmd");

    const metrica = await run(['-c', configFile, 'export', 'calls', '--from', '2026-11-01', '--to', '2026-11-30', '--format', 'metrica', '--status', 'missed']);
    assert.equal(metrica.code, 0, metrica.stderr);
    const mrows = parse(metrica.stdout, { columns: true }) as Record<string, string>[];
    assert.deepEqual(mrows.map((r) => r.CallMissed), ['1']);

    const bad = await run(['-c', configFile, 'export', 'calls', '--from', '2026-11-01', '--to', '2026-11-30', '--tz', 'Moscow']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown time zone "Moscow": use an IANA name/);
    const missing = await run(['-c', configFile, 'export', 'calls', '--from', '2026-11-01']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--to/);
  });

  it('exports Google Ads click conversions, and says which setting is missing when the name is not configured', async () => {
    const { dir, db, configFile } = await setup();
    const clicked = makeCall({ startedAt: Date.UTC(2026, 10, 4, 9), source: 'google', gclid: 'Cj0KCQiA-xyz' });
    await seedCalls(db, [clicked]);
    await seedVisitsOf(db, [clicked], (call) => call.startedAt - 60_000);
    const args = ['export', 'calls', '--from', '2026-11-01', '--to', '2026-11-30', '--format', 'google-ads-clicks'];

    const unnamed = await run(['-c', configFile, ...args]);
    assert.equal(unnamed.code, 2);
    assert.match(unnamed.stderr, /format google-ads-clicks needs exports\.googleAds\.clickConversionName/);

    const named = path.join(dir, 'clicks.yaml');
    writeFileSync(
      named,
      stringify({
        database: { filename: path.join(dir, 'calltrack.sqlite') },
        tracking: { defaultCountry: 'RU' },
        exports: { timeZone: 'Europe/Moscow', googleAds: { clickConversionName: 'Call after ad click', currency: 'RUB' } },
        log: { level: 'error' },
      }),
    );
    const out = path.join(dir, 'clicks.csv');
    const ok = await run(['-c', named, ...args, '--out', out]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /wrote .*clicks\.csv \(google-ads-clicks\)/);
    assert.deepEqual(parse(readFileSync(out), { relax_column_count: true }), [
      ['Parameters:TimeZone=Europe/Moscow'],
      ['Google Click ID', 'Conversion Name', 'Conversion Time', 'Conversion Value', 'Conversion Currency'],
      ['Cj0KCQiA-xyz', 'Call after ad click', '2026-11-04 12:01:36', '', 'RUB'],
    ]);
  });

  it('prints the source report as a table or JSON', async () => {
    const { configFile } = await setup();
    const json = await run(['-c', configFile, 'report', 'sources', '--from', '2026-11-01', '--to', '2026-11-30', '--by', 'medium', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout) as { by: string; timeZone: string; totals: { calls: number; missed: number } };
    assert.equal(report.by, 'medium');
    assert.equal(report.timeZone, 'Europe/Moscow');
    assert.deepEqual([report.totals.calls, report.totals.missed], [2, 1]);
    const table = await run(['-c', configFile, 'report', 'sources', '--from', '2026-11-01', '--to', '2026-11-30']);
    assert.match(table.stdout, /\nTOTAL\s+2\s+1\s+1\s+1\s+1\s+1\s+90\.0\s+0\s+0\s+-\n/);
  });

  it('lists undelivered webhooks and re-queues failed ones', async () => {
    const { db, configFile, calls } = await setup();
    const store = new OutboxStore();
    await store.enqueue(db, [{ eventId: 'e-1', target: 'crm', eventType: 'call.completed', callId: calls[0]!.id, payload: '{}' }], Date.now(), 86_400_000);
    const [entry] = await store.listByCall(db, calls[0]!.id);
    await store.markAttemptFailed(db, entry!.id, { now: Date.now(), httpStatus: 500, error: 'HTTP 500: down for maintenance', retryAt: null });
    await db.destroy();

    const status = await run(['-c', configFile, 'webhooks', 'status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^crm: 0 pending, 1 failed, 0 delivered/);
    assert.match(status.stdout, /failed +crm call\.completed .* event e-1: 1 attempt, gave up; last error: HTTP 500: down for maintenance/);
    assert.match(status.stdout, /calltrack webhooks retry/);

    const unknown = await run(['-c', configFile, 'webhooks', 'retry', '--target', 'crn']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /--target: "crn" is not a configured receiver; use one of crm/);
    const retry = await run(['-c', configFile, 'webhooks', 'retry', '--target', 'crm']);
    assert.equal(retry.stdout.trim(), 're-queued 1 delivery');
    const after = await run(['-c', configFile, 'webhooks', 'status', '--json']);
    const json = JSON.parse(after.stdout) as { targets: { target: string; pending: number; failed: number }[] };
    assert.deepEqual(json.targets.map((t) => [t.target, t.pending, t.failed]), [['crm', 1, 0]]);
  });
});
