/**
 * `npm run bench:export [-- --rows 1000000]`: exports N calls with `calltrack export calls` and,
 * in the same run on the same database, with the sqlite3 command-line tool's own CSV output
 * (the ceiling: C, no formatting). Reports rows/s, peak memory (max RSS) and the ratio.
 * Not a test: the machine is shared and noisy, so only the ratio means something.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabase } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';

const rowsArg = process.argv.indexOf('--rows');
const ROWS = rowsArg > 0 ? Number(process.argv[rowsArg + 1]) : 1_000_000;
const BIN = fileURLToPath(new URL('../bin/calltrack.js', import.meta.url));

function requireTool(cmd: string, hint: string): void {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) {
    console.error(`${cmd} not found: ${hint}`);
    process.exit(1);
  }
}

/** Runs a command under GNU time; returns wall seconds, CPU seconds (user + system) and peak RSS in MB. */
function measure(cmd: string, args: string[], stdoutFile?: string): { seconds: number; cpu: number; peakMb: number } {
  const shell = `/usr/bin/time -f '%e %U %S %M' ${[cmd, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')}${stdoutFile ? ` > '${stdoutFile}'` : ''}`;
  const result = spawnSync('sh', ['-c', shell], { encoding: 'utf8', maxBuffer: 1 << 20, env: { ...process.env, LOG_LEVEL: 'error' } });
  if (result.status !== 0) throw new Error(`${cmd} failed: ${result.stderr}`);
  const last = result.stderr.trim().split('\n').pop() ?? '';
  const [seconds = NaN, user = NaN, system = NaN, kb = NaN] = last.split(' ').map(Number);
  return { seconds, cpu: user + system, peakMb: kb / 1024 };
}

const SEED = (n: number) => `
INSERT INTO calls (id, sip_call_id, tracking_number, tracking_number_id, caller_number, forwarded_to, trunk,
  started_at, ringing_at, answered_at, ended_at, status, sip_code, hangup_by, ring_seconds, talk_seconds,
  attribution_type, pool_name, visit_id, late, source, medium, campaign, term, content, referrer, landing_page,
  ga_client_id, ym_client_id, gclid, yclid, first_call, target_call, tags, recording_status, recording_path,
  created_at, updated_at)
WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ${n - 1})
SELECT printf('%08x-0000-4000-8000-%012x', i, i), printf('%d@carrier.example', i), printf('+7495000%04d', i % 200), NULL,
  printf('+7916%07d', (i * 7919) % 10000000), '+74951112233', 'carrier',
  1761955200000 + i * 2000, 1761955201000 + i * 2000,
  CASE WHEN i % 4 = 0 THEN NULL ELSE 1761955206000 + i * 2000 END, 1761955296000 + i * 2000,
  CASE WHEN i % 4 = 0 THEN 'no-answer' ELSE 'answered' END, CASE WHEN i % 4 = 0 THEN 480 ELSE 200 END, 'caller',
  6.2, CASE WHEN i % 4 = 0 THEN NULL ELSE (i % 300) + 0.4 END,
  'dynamic', 'ads', printf('%08x-1111-4000-8000-%012x', i, i), 0,
  CASE i % 3 WHEN 0 THEN 'yandex' WHEN 1 THEN 'google' ELSE 'vk' END, 'cpc', printf('campaign-%d', i % 17), 'купить холодильник', NULL,
  'https://yandex.ru/search/?text=fridge', printf('https://shop.example.com/fridges/%d?utm_source=yandex&utm_medium=cpc', i % 1000),
  printf('%d.1700000000', i), printf('1700000000%09d', i), NULL, printf('55%011d', i),
  i % 5 <> 0, NULL, CASE WHEN i % 10 = 0 THEN '["vip","repeat"]' ELSE '[]' END,
  CASE WHEN i % 4 = 0 THEN NULL ELSE 'saved' END, CASE WHEN i % 4 = 0 THEN NULL ELSE printf('2025-11/%d.wav', i) END,
  1761955200000 + i * 2000, 1761955296000 + i * 2000
FROM seq;`;

async function main(): Promise<void> {
  requireTool('sqlite3', 'apt-get install -y sqlite3');
  requireTool('/usr/bin/time', 'apt-get install -y time');
  const dir = mkdtempSync(path.join(tmpdir(), 'calltrack-bench-'));
  try {
    const dbFile = path.join(dir, 'bench.sqlite');
    const db = createDatabase({ client: 'sqlite3', filename: dbFile, busyTimeoutMs: 5000 });
    await migrateToLatest(db);
    await db.destroy();
    console.log(`seeding ${ROWS} calls...`);
    execFileSync('sqlite3', [dbFile, SEED(ROWS)]);
    const configFile = path.join(dir, 'calltrack.yaml');
    writeFileSync(configFile, `database: { filename: ${JSON.stringify(dbFile)} }\nlog: { level: error }\n`);

    const sqliteOut = path.join(dir, 'sqlite3.csv');
    const sqlite = measure('sqlite3', ['-csv', '-header', dbFile, 'SELECT * FROM calls ORDER BY started_at, id'], sqliteOut);
    const oursOut = path.join(dir, 'calltrack.csv');
    const ours = measure(process.execPath, [BIN, '-c', configFile, 'export', 'calls', '--from', '2000-01-01', '--to', '2100-01-01', '--out', oursOut]);

    const rate = (s: number) => Math.round(ROWS / s).toLocaleString('en-US');
    const mb = (f: string) => (statSync(f).size / 1048576).toFixed(0);
    console.log(`\n| exporter | wall s | rows/s (wall) | CPU s | rows/s (CPU) | peak RSS | file |`);
    console.log(`|---|---:|---:|---:|---:|---:|---:|`);
    for (const [name, m, file] of [['sqlite3 -csv (ceiling)', sqlite, sqliteOut], ['calltrack export calls', ours, oursOut]] as const) {
      console.log(`| ${name} | ${m.seconds.toFixed(1)} | ${rate(m.seconds)} | ${m.cpu.toFixed(1)} | ${rate(m.cpu)} | ${m.peakMb.toFixed(0)} MB | ${mb(file)} MB |`);
    }
    console.log(
      `\n${ROWS} rows, load average ${loadavg()[0]?.toFixed(1)}: calltrack/sqlite3 = ${(ours.seconds / sqlite.seconds).toFixed(2)}x wall time, ` +
        `${(ours.cpu / sqlite.cpu).toFixed(2)}x CPU time (target: within 3x, under 200 MB)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
