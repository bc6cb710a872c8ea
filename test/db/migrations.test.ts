import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createDatabase } from '../../src/db/connect.js';
import { migrateToLatest, pendingMigrations, rollbackLastBatch } from '../../src/db/migrate.js';
import { tempDir } from '../support/temp.js';

const TABLES = ['tracking_numbers', 'tracking_number_changes', 'visits', 'visit_pages', 'number_holds', 'pool_events', 'calls', 'webhook_outbox'];

describe('database migrations on a SQLite file', () => {
  it('creates the directory and the schema, and rolls it back', async () => {
    const file = path.join(tempDir(), 'nested', 'dir', 'calltrack.sqlite');
    const db = createDatabase({ client: 'sqlite3', filename: file, busyTimeoutMs: 5000 });
    try {
      const { applied } = await migrateToLatest(db);
      assert.ok(applied.includes('20261123000001_initial_schema'));
      assert.ok(existsSync(file));
      for (const table of TABLES) assert.ok(await db.schema.hasTable(table), `${table} exists`);
      assert.deepEqual(await pendingMigrations(db), []);

      // The lookups that run on every call and every visit are indexed.
      const indexes = (await db.raw("select name from sqlite_master where type = 'index'")) as { name: string }[];
      const names = indexes.map((i) => i.name);
      for (const wanted of ['tracking_numbers_pool_idx', 'calls_tracking_number_started_at_index', 'calls_caller_number_started_at_index', 'number_holds_number_id_held_until_index', 'visits_visitor_id_last_seen_at_index']) {
        assert.ok(names.includes(wanted), `index ${wanted}; have ${names.join(', ')}`);
      }

      assert.deepEqual((await migrateToLatest(db)).applied, [], 'a second run changes nothing');

      await rollbackLastBatch(db);
      for (const table of TABLES) assert.equal(await db.schema.hasTable(table), false, `${table} dropped`);
      assert.ok((await pendingMigrations(db)).includes('20261123000001_initial_schema'));
    } finally {
      await db.destroy();
    }
  });

  it('sets WAL, synchronous=NORMAL, foreign keys and a busy timeout on the connection', async () => {
    const db = createDatabase({ client: 'sqlite3', filename: path.join(tempDir(), 'p.sqlite'), busyTimeoutMs: 4321 });
    try {
      const pragma = async (name: string) => Object.values(((await db.raw(`PRAGMA ${name}`)) as Record<string, unknown>[])[0] ?? {})[0];
      assert.equal(pragma && (await pragma('journal_mode')), 'wal');
      assert.equal(await pragma('synchronous'), 1); // NORMAL
      assert.equal(await pragma('foreign_keys'), 1);
      assert.equal(await pragma('busy_timeout'), 4321);

      await migrateToLatest(db);
      // foreign_keys=ON is what makes this insert fail: number 999 does not exist.
      await assert.rejects(
        db('number_holds').insert({ number_id: 999, visit_id: 'nope', held_from: 1, held_until: 2 }),
        /FOREIGN KEY constraint failed/,
      );
    } finally {
      await db.destroy();
    }
  });
});
