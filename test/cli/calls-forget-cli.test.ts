import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import type { CallRecord } from '../../src/calls/call-record.js';
import type { CallerErasureReport } from '../../src/calls/caller-erasure.js';
import type { ReportRow } from '../../src/calls/source-report-query.js';
import { makeCall, migratedDb, seedCalls } from '../support/calls.js';
import { FORGOTTEN, OTHER, erasureConfigDoc, seedErasureScene, type ErasureScene } from '../support/caller-erasure-seed.js';
import { runCli, type CliResult } from '../support/cli.js';
import { sampleConfigDoc } from '../support/config.js';
import { tempDir } from '../support/temp.js';
import { trackingApp } from '../support/tracking-app.js';

describe('calltrack calls forget', () => {
  const dir = tempDir();
  const configFile = path.join(dir, 'calltrack.yaml');
  const recordingDir = path.join(dir, 'recordings');
  let scene: ErasureScene;
  const cli = (...args: string[]) => runCli(['-c', configFile, ...args]);
  const json = <T>(r: CliResult): T => {
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as T;
  };
  const totals = async () => json<{ totals: ReportRow }>(await cli('report', 'sources', '--from', '2026-11-01', '--to', '2026-11-30', '--json')).totals;

  before(async () => {
    // The server's own code seeds the database the command then works on.
    const f = await trackingApp(erasureConfigDoc(recordingDir), { dir });
    try {
      scene = await seedErasureScene(f, recordingDir);
    } finally {
      await f.close();
    }
    const doc = sampleConfigDoc(path.join(dir, 'calltrack.sqlite'));
    writeFileSync(configFile, stringify({ ...doc, http: { ...(doc.http as object), port: 8080 }, media: { recording: { dir: recordingDir } } }));
  });

  it('dry-runs, erases with a plain-words summary, and then finds nothing; reports still count the calls', async () => {
    const before = await totals();
    const dry = json<CallerErasureReport>(await cli('calls', 'forget', '--caller', '8 (916) 123-45-67', '--dry-run', '--json'));
    assert.deepEqual(
      [dry.caller, dry.dryRun, dry.callsErased, dry.recordingsDeleted, dry.visitsAnonymised, dry.outboxEntriesRewritten, dry.outboxEntriesDropped],
      [FORGOTTEN, true, 2, 1, 2, 5, 1],
    );
    assert.ok(existsSync(path.join(recordingDir, scene.answered.recordingPath!)), 'the dry run deleted nothing');

    const done = await cli('calls', 'forget', '--caller', '+7 916 123-45-67');
    assert.equal(done.code, 0, done.stderr);
    assert.equal(
      done.stdout,
      [
        `caller ${FORGOTTEN}`,
        'calls erased (caller number, note and analytics ids; times, status, attribution, tags and deal value kept for reports): 2',
        'recordings deleted: 1',
        'recordings already gone (row marked erased): 0',
        'visits kept for their calls, IP address, user agent and analytics ids erased: 2',
        'webhook outbox entries rewritten without the number and analytics ids: 5',
        'analytics hits not yet sent dropped: 1',
        '',
      ].join('\n'),
    );
    assert.equal(existsSync(path.join(recordingDir, scene.answered.recordingPath!)), false);
    assert.ok(existsSync(path.join(recordingDir, scene.other.recordingPath!)));

    assert.deepEqual(json<CallRecord[]>(await cli('calls', 'list', '--caller', FORGOTTEN, '--json')), []);
    const shown = json<CallRecord>(await cli('calls', 'show', scene.answered.id, '--json'));
    assert.deepEqual([shown.callerNumber, shown.note, shown.tags, shown.dealValue, shown.campaign, shown.recordingStatus], [null, null, ['lead'], 1500, 'fridges', 'erased']);
    const erasedAt = (shown as unknown as { identityErasedAt: string | null }).identityErasedAt;
    assert.ok(erasedAt !== null && Date.now() - Date.parse(erasedAt) < 60_000, `the call says when it was erased: ${erasedAt}`);
    const listed = await cli('calls', 'list', '--from', '2026-11-01', '--to', '2026-11-30');
    assert.match(listed.stdout.split('\n').find((l) => l.includes(scene.answered.id)) ?? '', /\berased\b/, 'the table tells an erased caller from a withheld one');
    const after = await totals();
    assert.deepEqual([after.calls, after.answered, after.missed, after.targetCalls], [before.calls, before.answered, before.missed, before.targetCalls]);
    assert.deepEqual([before.uniqueCallers, after.uniqueCallers], [2, 1], 'the erased caller is no longer told apart');

    const again = await cli('calls', 'forget', '--caller', FORGOTTEN);
    assert.deepEqual([again.code, again.stdout], [0, `no calls from ${FORGOTTEN}: nothing to erase\n`]);
    assert.equal(json<CallRecord[]>(await cli('calls', 'list', '--caller', OTHER, '--json')).length, 1, 'the other caller is still there');
  });

  it('leaves a call in progress alone and exits 1, saying to run again', async () => {
    const db = await migratedDb(dir);
    const ringing = makeCall({ callerNumber: '+79261112233', startedAt: Date.now() - 5_000, answeredAt: null, endedAt: null, status: 'ringing', talkSeconds: null });
    await seedCalls(db, [ringing, makeCall({ callerNumber: '+79261112233', startedAt: Date.now() - 86_400_000 })]);
    const r = await cli('calls', 'forget', '--caller', '+79261112233');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /calls erased .*: 1\n/);
    assert.match(r.stdout, /calls in progress or just ended, left alone: 1; run this again once they are over/);
    assert.equal(json<CallRecord[]>(await cli('calls', 'list', '--caller', '+79261112233', '--json')).length, 1);
  });

  it('refuses a malformed or missing number with exit code 2, naming the option', async () => {
    const bad = await cli('calls', 'forget', '--caller', 'ivan@example.com');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--caller: "ivan@example.com" is not a valid phone number/);
    const invalid = await cli('calls', 'forget', '--caller', '+7 916');
    assert.deepEqual([invalid.code, /--caller: "\+7 916" is not a valid phone number/.test(invalid.stderr)], [2, true]);
    const missing = await cli('calls', 'forget');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--caller <phone>/);
  });
});
