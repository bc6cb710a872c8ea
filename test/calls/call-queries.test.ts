import assert from 'node:assert/strict';
import { SqliteHotPath } from '../../src/db/sqlite-hot-path.js';
import { describe, it } from 'node:test';
import { listCalls, streamCallRows, streamCallValueBatches, streamCalls } from '../../src/calls/call-queries.js';
import { rowToCall } from '../../src/calls/call-store.js';
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
    for await (const call of streamCalls(db, filter, { batchSize: 2, columns: ['status', 'tags'] })) exported.push(call.id);
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
    // The batch statements run prepared on the connection (SqliteHotPath), one unit of work each.
    let runs = 0;
    const work = SqliteHotPath.prototype.withConnection;
    SqliteHotPath.prototype.withConnection = function (this: SqliteHotPath, ...args) {
      runs += 1;
      return work.apply(this, args) as never;
    };
    const batches: number[] = [];
    try {
      for await (const batch of streamCallValueBatches(db, { from: t0 }, ['id', 'started_at', 'status'], 3)) batches.push(batch.length);
    } finally {
      SqliteHotPath.prototype.withConnection = work;
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
    const columns = Object.keys((await db('calls').first()) as Record<string, unknown>);
    const viaObjects: unknown[] = [];
    for await (const row of streamCallRows(db, filter, { columns })) viaObjects.push(rowToCall(row));
    const viaJson: unknown[] = [];
    for await (const call of streamCalls(db, filter, { columns })) viaJson.push(call);
    assert.equal(viaJson.length, 3);
    assert.deepEqual(viaJson, viaObjects);
  });
});
