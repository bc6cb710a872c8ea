import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { CallRecord } from '../../src/calls/call-record.js';
import type { CliResult } from '../support/cli-batch.js';
import { CallStore } from '../../src/calls/call-store.js';
import { createDatabase } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { newCallRecord } from '../../src/sip/call-row.js';
import { sampleConfigDoc } from '../support/config.js';
import { tempDir } from '../support/temp.js';

/** The real CLI code, all command lines of a test in one child process (see cli-batch.ts). */
const run = promisify(execFile);
const BATCH = path.resolve(import.meta.dirname, '../support/cli-batch.ts');

describe('calltrack calls list / show', () => {
  const dir = tempDir();
  const configFile = path.join(dir, 'calltrack.yaml');
  const batch = async (...lines: string[][]): Promise<CliResult[]> => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', BATCH, JSON.stringify(lines.map((l) => ['-c', configFile, ...l]))], { cwd: path.resolve(import.meta.dirname, '../..') });
    return JSON.parse(stdout) as CliResult[];
  };
  const parsed = <T>(r: CliResult | undefined): T => {
    assert.equal(r?.code, 0, r?.stderr);
    return JSON.parse(r!.stdout) as T;
  };
  const day = Date.UTC(2026, 10, 23, 9, 0, 0);
  const call = (id: string, at: number, patch: Partial<CallRecord>): CallRecord => ({
    ...newCallRecord(id, { sipCallId: `sip-${id}`, dialledRaw: '', dialled: undefined, caller: '+79161234567', callerIsE164: true, callerName: null }, 'carrier', at, null, '+74950000001'),
    ...patch,
  });

  before(async () => {
    const doc = sampleConfigDoc(path.join(dir, 'calltrack.sqlite'));
    writeFileSync(configFile, stringify({ ...doc, http: { ...(doc.http as object), port: 8080 } }));
    const db = createDatabase({ client: 'sqlite3', filename: path.join(dir, 'calltrack.sqlite'), busyTimeoutMs: 5000 });
    await migrateToLatest(db);
    const store = new CallStore();
    await store.insert(db, call('00000000-0000-4000-8000-000000000001', day, { status: 'answered', sipCode: 200, source: 'Radio', talkSeconds: 61, ringSeconds: 4, endedAt: day + 65_000 }));
    await store.insert(db, call('00000000-0000-4000-8000-000000000002', day + 3_600_000, { status: 'busy', sipCode: 486, callerNumber: '+79035556677' }));
    await store.insert(db, call('00000000-0000-4000-8000-000000000003', day - 86_400_000, { status: 'no-answer', sipCode: 480 }));
    await db.destroy();
  });

  it('lists newest first, and filters by day, status and number as exports do', async () => {
    const [all, today, missed, byCaller, byNumber, lateMoscow, table] = await batch(
      ['calls', 'list', '--json'],
      ['calls', 'list', '--from', '2026-11-23', '--to', '2026-11-23', '--json'],
      ['calls', 'list', '--status', 'missed', '--limit', '1', '--json'],
      ['calls', 'list', '--caller', '8 903 555-66-77', '--json'],
      ['calls', 'list', '--number', '8 495 000-00-01', '--status', 'answered', '--json'],
      // 10:00 UTC is 13:00 in Moscow: the day's bounds follow --tz
      ['calls', 'list', '--from', '2026-11-23T13:00:00+03:00', '--tz', 'Europe/Moscow', '--json'],
      ['calls', 'list'],
    );
    assert.deepEqual(parsed<CallRecord[]>(all).map((c) => c.status), ['busy', 'answered', 'no-answer']);
    assert.deepEqual(parsed<CallRecord[]>(today).map((c) => c.status), ['busy', 'answered']);
    assert.deepEqual(parsed<CallRecord[]>(missed).map((c) => c.status), ['busy'], 'missed = busy, no-answer, ...; newest first');
    assert.deepEqual(parsed<CallRecord[]>(byCaller).map((c) => c.callerNumber), ['+79035556677']);
    assert.deepEqual(parsed<CallRecord[]>(byNumber).map((c) => c.id), ['00000000-0000-4000-8000-000000000001']);
    assert.equal(parsed<Record<string, unknown>[]>(byNumber)[0]?.startedAt, '2026-11-23T09:00:00.000Z');
    assert.deepEqual(parsed<CallRecord[]>(lateMoscow).map((c) => c.status), ['busy']);
    assert.match(table!.stdout, /^started \(UTC\)\s+status/);
    assert.match(table!.stdout, /2026-11-23T09:00:00Z\s+answered\s+200\s+\+74950000001\s+\+79161234567/);
  });

  it('shows one call by id or SIP Call-ID, and says what to do when there is none', async () => {
    const [shown, text, missing, badStatus, badDate] = await batch(
      ['calls', 'show', 'sip-00000000-0000-4000-8000-000000000001', '--json'],
      ['calls', 'show', '00000000-0000-4000-8000-000000000001'],
      ['calls', 'show', 'nope'],
      ['calls', 'list', '--status', 'lost'],
      ['calls', 'list', '--from', 'yesterday'],
    );
    assert.equal(parsed<CallRecord>(shown).talkSeconds, 61);
    // Times as the admin API writes them, not epoch milliseconds.
    const times = parsed<Record<string, unknown>>(shown);
    assert.deepEqual([times.startedAt, times.endedAt, times.answeredAt], ['2026-11-23T09:00:00.000Z', '2026-11-23T09:01:05.000Z', null]);
    assert.match(text!.stdout, /source\s+Radio/);
    assert.match(text!.stdout, /startedAt\s+2026-11-23T09:00:00Z/);
    assert.equal(missing!.code, 2);
    assert.match(missing!.stderr, /no call with id or SIP Call-ID "nope": see `calltrack calls list`/);
    assert.equal(badStatus!.code, 2);
    assert.match(badStatus!.stderr, /status: "lost" is not a call status; use one or more .* of ringing, answered, busy/);
    assert.equal(badDate!.code, 2);
    assert.match(badDate!.stderr, /from: "yesterday"/);
  });
});
