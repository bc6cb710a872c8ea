import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { CallStore } from '../../src/calls/call-store.js';
import { ManualClock } from '../../src/clock.js';
import { createDatabase, type Database } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { RecordingRetention, RecordingStore } from '../../src/media/recording-retention.js';
import { makeConfig, sampleConfigDoc } from '../support/config.js';
import { capturingLogger, testLogger } from '../support/logger.js';
import { tempDir } from '../support/temp.js';
import { stereoWav } from '../support/wav.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

async function seed(dir: string): Promise<{ db: Database; recDir: string; dbFile: string }> {
  const dbFile = path.join(dir, 'calltrack.sqlite');
  const recDir = path.join(dir, 'recordings');
  const doc = sampleConfigDoc(dbFile);
  const db = createDatabase(makeConfig({ ...doc, http: { ...(doc.http as object), port: 18080 } }).database);
  await migrateToLatest(db);
  const store = new CallStore();
  const call = (id: string, daysAgo: number, status: 'saved' | 'unavailable' | 'pruned' | null, file?: string) => {
    const startedAt = NOW - daysAgo * DAY;
    if (file) {
      mkdirSync(path.dirname(path.join(recDir, file)), { recursive: true });
      writeFileSync(path.join(recDir, file), stereoWav(1));
    }
    return store.insert(db, {
      id, sipCallId: `${id}@sip`, trackingNumber: '+74950000001', trackingNumberId: null, callerNumber: '+79990000000',
      forwardedTo: '+74951112233', trunk: 'carrier', startedAt, ringingAt: null, answeredAt: startedAt + 1000, endedAt: startedAt + 60000,
      status: 'answered', sipCode: 200, hangupBy: 'caller', ringSeconds: 1, talkSeconds: 59, attributionType: null, poolName: null,
      visitId: null, late: false, source: null, medium: null, campaign: null, term: null, content: null, referrer: null, landingPage: null,
      gaClientId: null, gaSessionId: null, ymClientId: null, gclid: null, yclid: null, firstCall: null, targetCall: null, firstTouch: null, tags: [], note: null,
      dealValue: null, recordingStatus: status, recordingError: null, recordingPath: file ?? null, recordingSize: file ? 16044 : null,
      recordingDuration: file ? 1 : null, identityErasedAt: null, afterHours: null, createdAt: startedAt, updatedAt: startedAt,
    });
  };
  await call('old-1', 100, 'saved', '2026/08/15/old-1.wav');
  await call('old-gone', 95, 'saved', '2026/08/20/old-gone.wav');
  await call('recent', 10, 'saved', '2026/11/13/recent.wav');
  await call('recent-gone', 5, 'saved', '2026/11/18/recent-gone.wav');
  await call('unrecorded', 120, 'unavailable');
  // FreeSWITCH files no row mentions: one old, one new.
  const orphanOld = path.join(recDir, '2026/07/01/stray.wav');
  mkdirSync(path.dirname(orphanOld), { recursive: true });
  writeFileSync(orphanOld, stereoWav(1));
  utimesSync(orphanOld, new Date(NOW - 140 * DAY), new Date(NOW - 140 * DAY));
  writeFileSync(path.join(recDir, '2026/11/13/stray-new.wav'), stereoWav(1));
  // Files that vanished behind calltrack's back.
  for (const f of ['2026/08/20/old-gone.wav', '2026/11/18/recent-gone.wav']) {
    const { rmSync } = await import('node:fs');
    rmSync(path.join(recDir, f));
  }
  return { db, recDir, dbFile };
}

describe('recordings retention', () => {
  it('verify reports rows whose file is missing and files with no row; --mark-missing marks them', async () => {
    const { db, recDir } = await seed(tempDir());
    const retention = new RecordingRetention(db, new RecordingStore(), recDir, new ManualClock(NOW), testLogger());
    const report = await retention.verify();
    assert.deepEqual(report.missingFiles.map((m) => m.callId), ['old-gone', 'recent-gone']);
    assert.deepEqual(report.orphanFiles, ['2026/07/01/stray.wav', '2026/11/13/stray-new.wav']);
    assert.equal(report.checked, 4);
    await retention.verify({ markMissing: true });
    const row = await new CallStore().findById(db, 'recent-gone');
    assert.equal(row?.recordingStatus, 'missing');
    assert.match(row?.recordingError ?? '', /file not found/);
    await db.destroy();
  });

  it('prune deletes files of calls older than retentionDays, marks their rows, keeps recent ones', async () => {
    const { db, recDir } = await seed(tempDir());
    const { logger, lines } = capturingLogger();
    const retention = new RecordingRetention(db, new RecordingStore(), recDir, new ManualClock(NOW), logger);
    const dry = await retention.prune(90, { dryRun: true });
    assert.deepEqual(dry.deleted, ['2026/08/15/old-1.wav']);
    assert.ok(existsSync(path.join(recDir, '2026/08/15/old-1.wav')), 'a dry run deletes nothing');
    assert.deepEqual(lines.map((l) => l.msg), ['recordings prune: dry run, nothing deleted'], 'nor does its log line claim it did');

    const report = await retention.prune(90);
    assert.deepEqual(report.deleted, ['2026/08/15/old-1.wav']);
    assert.deepEqual(report.alreadyGone, ['2026/08/20/old-gone.wav']);
    assert.deepEqual(report.orphansDeleted, ['2026/07/01/stray.wav']);
    assert.deepEqual(report.failed, []);
    assert.ok(!existsSync(path.join(recDir, '2026/08/15')), 'emptied day directories go too');
    assert.ok(existsSync(path.join(recDir, '2026/11/13/recent.wav')));
    assert.ok(existsSync(path.join(recDir, '2026/11/13/stray-new.wav')), 'a recent file with no row may still be in progress');
    const calls = new CallStore();
    assert.equal((await calls.findById(db, 'old-1'))?.recordingStatus, 'pruned');
    assert.equal((await calls.findById(db, 'old-1'))?.recordingPath, '2026/08/15/old-1.wav', 'the path stays for the record');
    assert.equal((await calls.findById(db, 'recent'))?.recordingStatus, 'saved');
    assert.equal((await calls.findById(db, 'unrecorded'))?.recordingStatus, 'unavailable');
    assert.equal(lines.at(-1)?.msg, 'recordings pruned');
    const again = await retention.prune(90);
    assert.deepEqual([again.deleted, again.alreadyGone], [[], []], 'pruning is idempotent');
    await db.destroy();
  });

  it('`calltrack recordings verify` and `prune` run from the command line against the config', async () => {
    const dir = tempDir();
    const { db, dbFile } = await seed(dir);
    await db.destroy();
    const doc = sampleConfigDoc(dbFile);
    const cfgFile = path.join(dir, 'calltrack.yaml');
    writeFileSync(cfgFile, stringify({ ...doc, http: { ...(doc.http as object), port: 18080 }, media: { recording: { dir: path.join(dir, 'recordings'), retentionDays: 90 } } }));
    const run = promisify(execFile);
    const bin = path.join(import.meta.dirname, '..', '..', 'bin', 'calltrack.js');
    const verify = await run(process.execPath, [bin, '-c', cfgFile, 'recordings', 'verify']);
    assert.match(verify.stdout, /calls with a missing file: 2/);
    assert.match(verify.stdout, /orphan 2026\/07\/01\/stray\.wav/);
    // Real time is "now" for the CLI: everything seeded relative to NOW (2026-11-23) older than 90 days by then.
    const prune = await run(process.execPath, [bin, '-c', cfgFile, 'recordings', 'prune', '--days', '36500', '--json']);
    const report = JSON.parse(prune.stdout) as { deleted: string[] };
    assert.deepEqual(report.deleted, []);
    await assert.rejects(run(process.execPath, [bin, '-c', cfgFile, 'recordings', 'prune', '--days', 'soon']), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 2);
      assert.match(err.stderr, /--days: expected a whole number of days/);
      return true;
    });
  });
});
