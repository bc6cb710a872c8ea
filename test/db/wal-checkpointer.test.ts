import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import sqlite3 from 'sqlite3';
import { createDatabase } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { WalCheckpointer } from '../../src/db/wal-checkpointer.js';
import { testLogger } from '../support/logger.js';
import { tempDir } from '../support/temp.js';

/** What a reader that ignores the WAL sees: the database file alone (immutable, no WAL read). */
function rowsInDatabaseFile(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const conn = new sqlite3.Database(`file:${file}?immutable=1`, sqlite3.OPEN_READONLY | sqlite3.OPEN_URI, (err) => {
      if (err) return reject(err);
      conn.get('SELECT count(*) AS n FROM pool_events', (e, row: { n: number }) => conn.close(() => (e ? reject(e) : resolve(row.n))));
    });
  });
}

/** How many times SQLite has started writing the WAL from its beginning (the WAL header's checkpoint sequence). */
const walRestarts = (file: string) => readFileSync(`${file}-wal`).readUInt32BE(12);

describe('background WAL checkpoints (SQLite)', () => {
  it('commits no longer checkpoint; the checkpointer copies the WAL into the database file', async () => {
    const file = path.join(tempDir(), 'w.sqlite');
    const db = createDatabase({ client: 'sqlite3', filename: file, busyTimeoutMs: 5000 });
    const checkpointer = WalCheckpointer.forDatabase(db, testLogger(), 60_000);
    assert.ok(checkpointer, 'a SQLite file gets a checkpointer');
    try {
      await migrateToLatest(db);
      await checkpointer.start();
      assert.deepEqual(await db.raw('PRAGMA wal_autocheckpoint'), [{ wal_autocheckpoint: 0 }]);
      await checkpointer.checkpoint(); // the schema the migrations wrote

      // Well past the 1,000 pages at which a commit would have checkpointed by itself.
      const text = 'x'.repeat(3000);
      for (let batch = 0; batch < 20; batch++) {
        await db('pool_events').insert(Array.from({ length: 100 }, (_, i) => ({ pool_name: text, kind: 'bot', visit_id: `${batch}-${i}`, at: i })));
      }
      assert.ok(statSync(`${file}-wal`).size > 1000 * 4096, 'the WAL grew past the automatic checkpoint size');
      assert.equal(await rowsInDatabaseFile(file), 0, 'nothing reached the database file yet');

      assert.ok((await checkpointer.checkpoint()) > 1000, 'the checkpoint copied the frames');
      assert.equal(await rowsInDatabaseFile(file), 2000);
      assert.equal(Number((await db('pool_events').count({ n: '*' }))[0]?.n), 2000, 'the app reads on as before');
    } finally {
      await checkpointer.stop();
      await db.destroy();
    }
  });

  it('under writes that never pause, the WAL is written from its beginning again after each checkpoint', async () => {
    const file = path.join(tempDir(), 'w.sqlite');
    const db = createDatabase({ client: 'sqlite3', filename: file, busyTimeoutMs: 5000 });
    const checkpointer = WalCheckpointer.forDatabase(db, testLogger(), 60_000);
    assert.ok(checkpointer);
    let writing = true;
    let written = 0;
    try {
      await migrateToLatest(db);
      await checkpointer.start();
      const text = 'x'.repeat(3000);
      // Commits back to back, as under steady load: one always lands while a checkpoint copies.
      const writer = (async () => {
        while (writing) {
          await db('pool_events').insert(Array.from({ length: 20 }, (_, i) => ({ pool_name: text, kind: 'bot', visit_id: `${written}-${i}`, at: i })));
          written += 20;
        }
      })();
      const restartsBefore = walRestarts(file);
      for (let round = 0; round < 5; round++) {
        const before = written;
        while (written < before + 400) await new Promise((r) => setTimeout(r, 5));
        await checkpointer.checkpoint();
      }
      writing = false;
      await writer;
      assert.ok(walRestarts(file) >= restartsBefore + 4, `the WAL restarted ${walRestarts(file) - restartsBefore} times in 5 checkpoints`);
      assert.equal(Number((await db('pool_events').count({ n: '*' }))[0]?.n), written, 'every row committed');
    } finally {
      writing = false;
      await checkpointer.stop();
      await db.destroy();
    }
  });

  it('does not apply to an in-memory database', () => {
    const db = createDatabase({ client: 'sqlite3', filename: ':memory:', busyTimeoutMs: 5000 });
    assert.equal(WalCheckpointer.forDatabase(db, testLogger()), undefined);
    void db.destroy();
  });
});
