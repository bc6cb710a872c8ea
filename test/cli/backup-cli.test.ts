import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import type { CallRecord } from '../../src/calls/call-record.js';
import type { BackupReport } from '../../src/db/sqlite-backup.js';
import { makeCall, migratedDb, seedCalls } from '../support/calls.js';
import { runCli } from '../support/cli.js';
import { sampleConfigDoc } from '../support/config.js';
import { tempDir } from '../support/temp.js';

function configFor(dir: string, dbFile: string, name = 'calltrack.yaml'): string {
  const file = path.join(dir, name);
  writeFileSync(file, stringify(sampleConfigDoc(dbFile)));
  return file;
}

describe('calltrack backup', () => {
  it('copies the database while calls are being written, into a file that restores with every call it holds', async () => {
    const dir = tempDir();
    const db = await migratedDb(dir);
    await seedCalls(db, Array.from({ length: 200 }, (_, i) => makeCall({ startedAt: Date.UTC(2026, 10, 1) + i * 60_000 })));
    const config = configFor(dir, path.join(dir, 'calltrack.sqlite'));

    // The server's writes go on beside the backup: one call at a time, as the SIP path writes them.
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        await seedCalls(db, [makeCall({ startedAt: Date.UTC(2026, 10, 5) + written * 1000 })]);
        written += 1;
      }
    })();
    const out = path.join(dir, 'backups', 'calltrack-2026-12-03.sqlite');
    mkdirSync(path.dirname(out));
    const result = await runCli(['-c', config, 'backup', '--out', out, '--json']);
    writing = false;
    await writer;
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as BackupReport;
    assert.equal(report.file, out);
    assert.ok(written > 0, 'calls were written during the backup');
    assert.ok(report.calls >= 200 && report.calls <= 200 + written, `a snapshot between the start and the end: ${report.calls}`);
    assert.equal(report.visits, 0);
    assert.match(report.schema ?? '', /^\d{14}_/);
    assert.deepEqual(readdirSync(path.dirname(out)), ['calltrack-2026-12-03.sqlite'], 'no partial file is left beside it');

    // Restore as README says: the copy in place of the database, then calltrack as usual.
    const restoredDir = tempDir();
    copyFileSync(out, path.join(restoredDir, 'calltrack.sqlite'));
    const restored = configFor(restoredDir, path.join(restoredDir, 'calltrack.sqlite'));
    const listed = await runCli(['-c', restored, 'calls', 'list', '--from', '2026-11-01', '--to', '2026-11-30', '--limit', '10000', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal((JSON.parse(listed.stdout) as CallRecord[]).length, report.calls);

    const text = await runCli(['-c', config, 'backup', '--out', path.join(dir, 'second.sqlite')]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^backup written: .*second\.sqlite \(\d+(?:\.\d)? [KM]iB, \d+\.\d s\)\nit holds \d+ calls and 0 visits, schema \d{14}_\w+; checked with quick_check\n$/);
  });

  it('never overwrites a file, and says what to do for a missing directory, a missing database and PostgreSQL', async () => {
    const dir = tempDir();
    await migratedDb(dir);
    const config = configFor(dir, path.join(dir, 'calltrack.sqlite'));
    const existing = path.join(dir, 'yesterday.sqlite');
    writeFileSync(existing, 'last night’s backup');

    const refused = await runCli(['-c', config, 'backup', '--out', existing]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /yesterday\.sqlite already exists: give a new file name/);
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('yesterday')), ['yesterday.sqlite']);

    const noDir = await runCli(['-c', config, 'backup', '--out', path.join(dir, 'missing', 'x.sqlite')]);
    assert.equal(noDir.code, 2);
    assert.match(noDir.stderr, /missing is not a directory: create it first/);

    const noDb = await runCli(['-c', configFor(dir, path.join(dir, 'nothing-here.sqlite'), 'empty.yaml'), 'backup', '--out', path.join(dir, 'x.sqlite')]);
    assert.equal(noDb.code, 2);
    assert.match(noDb.stderr, /no database at .*nothing-here\.sqlite: nothing to back up/);
    assert.equal(existsSync(path.join(dir, 'nothing-here.sqlite')), false, 'a backup creates no empty database');

    const pgConfig = path.join(dir, 'pg.yaml');
    writeFileSync(pgConfig, stringify({ ...sampleConfigDoc('unused'), database: { client: 'pg', connection: 'postgres://calltrack@127.0.0.1:1/calltrack' } }));
    const pg = await runCli(['-c', pgConfig, 'backup', '--out', path.join(dir, 'pg.sqlite')]);
    assert.equal(pg.code, 2);
    assert.match(pg.stderr, /for PostgreSQL use pg_dump/);
  });
});
