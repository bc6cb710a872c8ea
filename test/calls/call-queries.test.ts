import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listCalls, streamCallRows, streamCallValueBatches } from '../../src/calls/call-queries.js';
import { rowToCall } from '../../src/calls/call-store.js';
import { SqliteReader } from '../../src/db/sqlite-reader.js';
import { EXPORT_COLUMNS, EXPORT_FIELDS, exportRowFromValues, type ExportRow } from '../../src/exports/export-row.js';
import { makeCall, migratedDb, seedCalls } from '../support/calls.js';
import { tempDir } from '../support/temp.js';

describe('call queries (keyset batches and pages)', () => {
  it('returns every call exactly once across batch and page boundaries, also with equal start times', async () => {
    const db = await migratedDb(tempDir());
    const t0 = Date.UTC(2026, 10, 2, 9);
    // Five calls share one millisecond: batches of two must split them without losing or repeating any.
    const calls = [
      ...Array.from({ length: 5 }, () => makeCall({ startedAt: t0 })),
      ...Array.from({ length: 6 }, (_, i) => makeCall({ startedAt: t0 + (i + 1) * 1000 })),
      makeCall({ startedAt: t0 - 86_400_000 }), // before the period
    ];
    await seedCalls(db, calls);
    const inPeriod = calls.slice(0, 11);
    const expected = [...inPeriod].sort((a, b) => a.startedAt - b.startedAt || a.id.localeCompare(b.id)).map((c) => c.id);
    const filter = { from: t0, to: t0 + 3_600_000 };

    const streamed: string[] = [];
    for await (const row of streamCallRows(db, filter, { batchSize: 2 })) streamed.push(row.id);
    assert.deepEqual(streamed, expected);

    // The export's path (chosen columns, one JSON text column per SQLite row) pages the same way.
    const exported: string[] = [];
    for await (const batch of streamCallValueBatches(db, filter, ['id', 'started_at', 'status', 'tags'], 2)) exported.push(...batch.map((v) => String(v[0])));
    assert.deepEqual(exported, expected);

    const paged: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listCalls(db, filter, { limit: 2, cursor });
      paged.push(...page.calls.map((c) => c.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    assert.deepEqual(paged, [...expected].reverse());
  });

  it('reads ahead on SQLite without running any batch query twice', async () => {
    const db = await migratedDb(tempDir());
    const t0 = Date.UTC(2026, 10, 2, 9);
    await seedCalls(db, Array.from({ length: 7 }, (_, i) => makeCall({ startedAt: t0 + i * 1000 })));
    // The batch statements run prepared on the export's own connection (SqliteReader), one query each.
    let runs = 0;
    const all = SqliteReader.prototype.all;
    SqliteReader.prototype.all = function (this: SqliteReader, ...args) {
      runs += 1;
      return all.apply(this, args) as never;
    };
    const batches: number[] = [];
    try {
      for await (const batch of streamCallValueBatches(db, { from: t0 }, ['id', 'started_at', 'status'], 3)) batches.push(batch.length);
    } finally {
      SqliteReader.prototype.all = all;
    }
    assert.deepEqual(batches, [3, 3, 1]);
    assert.equal(runs, 3, 'one query per batch');
  });

  it('reads the same records through the export path as through row objects', async () => {
    const db = await migratedDb(tempDir());
    const t0 = Date.UTC(2026, 10, 2, 9);
    await seedCalls(db, [
      makeCall({ startedAt: t0, tags: ['vip', 'повтор'], firstCall: false, talkSeconds: 12.5, dealValue: 1500.25, term: 'a "q", b\nc' }),
      makeCall({ startedAt: t0 + 1000, tags: [], firstCall: true, late: true, recordingStatus: 'saved', recordingPath: 'x.wav' }),
      makeCall({ startedAt: t0 + 2000, answeredAt: null, talkSeconds: null, firstCall: null, source: null }),
    ]);
    const filter = { from: t0, to: t0 + 3_600_000 };
    // What the export reads of each row, mapped from SQLite's JSON rows and from row objects.
    const pick = (call: Omit<ExportRow, 'visitStartedAt'>) => Object.fromEntries(EXPORT_FIELDS.map((field) => [field, call[field]]));
    const viaObjects: unknown[] = [];
    for await (const row of streamCallRows(db, filter, { columns: EXPORT_COLUMNS })) viaObjects.push(pick(rowToCall(row)));
    const viaJson: unknown[] = [];
    for await (const batch of streamCallValueBatches(db, filter, EXPORT_COLUMNS, 500)) viaJson.push(...batch.map((v) => pick(exportRowFromValues(v))));
    assert.equal(viaJson.length, 3);
    assert.deepEqual(viaJson, viaObjects);
  });
});
