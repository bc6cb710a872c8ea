import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { streamCallValueBatches } from '../../src/calls/call-queries.js';
import { createDatabase } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { SqliteReader } from '../../src/db/sqlite-reader.js';
import { makeCall, migratedDb, seedCalls } from '../support/calls.js';
import { tempDir } from '../support/temp.js';

describe("an export's own SQLite connection", () => {
  it('reads what the app committed (still in the WAL), never writes, and does not hold up the app', async () => {
    const db = await migratedDb(tempDir());
    await seedCalls(db, [makeCall({ source: 'yandex' })]);
    const reader = await SqliteReader.forDatabase(db);
    assert.ok(reader, 'a SQLite file gets a reader');
    try {
      assert.deepEqual(await reader.all('SELECT source FROM calls', []), [{ source: 'yandex' }]);
      await assert.rejects(reader.all("UPDATE calls SET source = 'x'", []), /readonly|read-only|query_only/i);
      assert.deepEqual(await reader.all('PRAGMA busy_timeout', []), [{ timeout: 5000 }], "waits out locks as the app's connection does");
      // The app writes (knex's one connection) while the reader is open, and the reader sees it.
      await db.transaction(async (trx) => {
        await trx('calls').update({ source: 'google' });
      });
      assert.deepEqual(await reader.all('SELECT source FROM calls', []), [{ source: 'google' }]);
    } finally {
      await reader.close();
    }
  });

  it('an in-memory database has none (no second connection can see it) and exports through knex', async () => {
    const db = createDatabase({ client: 'sqlite3', filename: ':memory:', busyTimeoutMs: 5000 });
    after(() => db.destroy());
    await migrateToLatest(db);
    assert.equal(await SqliteReader.forDatabase(db), undefined);
    const t0 = Date.UTC(2026, 10, 2, 9);
    const calls = Array.from({ length: 7 }, (_, i) => makeCall({ startedAt: t0 + i * 1000 }));
    await seedCalls(db, calls);
    const ids: string[] = [];
    for await (const batch of streamCallValueBatches(db, { from: t0 }, ['id', 'started_at'], 3)) ids.push(...batch.map((v) => String(v[0])));
    assert.deepEqual(ids, calls.map((c) => c.id));
  });
});
