import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { CallStore } from '../../src/calls/call-store.js';
import { createDatabase } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { makeCall } from '../support/calls.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

const DAY = 24 * 60 * 60 * 1000;

describe('calltrack calls anonymise', () => {
  const dir = tempDir();
  const database = { client: 'sqlite3', filename: path.join(dir, 'ct.sqlite') };
  const configFile = (name: string, tracking: Record<string, unknown>) => {
    const file = path.join(dir, name);
    writeFileSync(file, stringify({ database, tracking: { defaultCountry: 'RU', repeatCallDays: 30, ...tracking }, log: { level: 'silent' } }));
    return file;
  };
  const unset = configFile('unset.yaml', {});
  const sixty = configFile('sixty.yaml', { callerRetentionDays: 60 });
  const old = makeCall({ startedAt: Date.now() - 90 * DAY, note: 'Ivan' });
  const recent = makeCall({ startedAt: Date.now() - 10 * DAY });

  before(async () => {
    const db = createDatabase({ client: 'sqlite3', filename: database.filename, busyTimeoutMs: 5000 });
    await migrateToLatest(db);
    for (const call of [old, recent]) await new CallStore().insert(db, call);
    await db.destroy();
  });

  it('refuses without a period, and a period shorter than repeatCallDays, saying why', async () => {
    const none = await runCli(['calls', 'anonymise', '-c', unset]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /tracking\.callerRetentionDays/);
    const short = await runCli(['calls', 'anonymise', '-c', unset, '--days', '7']);
    assert.equal(short.code, 2);
    assert.match(short.stderr, /at least tracking\.repeatCallDays \(30/);
  });

  it('--dry-run counts; the configured period erases the old call only', async () => {
    const dry = await runCli(['calls', 'anonymise', '-c', sixty, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /\(60 days\): dry run, nothing changed/);
    assert.match(dry.stdout, /calls whose caller number, note and analytics ids are to be erased \(the calls stay for reports\): 1/);
    const r = await runCli(['calls', 'anonymise', '-c', sixty, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { callsAnonymised: number }).callsAnonymised, 1);
    const shown = JSON.parse((await runCli(['calls', 'show', old.id, '-c', sixty, '--json'])).stdout) as { callerNumber: string | null; note: string | null };
    assert.deepEqual([shown.callerNumber, shown.note], [null, null]);
    const kept = JSON.parse((await runCli(['calls', 'show', recent.id, '-c', sixty, '--json'])).stdout) as { callerNumber: string | null };
    assert.equal(kept.callerNumber, recent.callerNumber);
  });
});
