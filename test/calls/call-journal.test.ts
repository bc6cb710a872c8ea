import assert from 'node:assert/strict';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { CallJournal } from '../../src/calls/call-journal.js';
import { CallRecorder } from '../../src/calls/call-recorder.js';
import { CallStore } from '../../src/calls/call-store.js';
import { createDatabase } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { newCallRecord } from '../../src/sip/call-row.js';
import { testLogger } from '../support/logger.js';
import { tempDir } from '../support/temp.js';

describe('the call journal', () => {
  const dir = tempDir();
  const db = createDatabase({ client: 'sqlite3', filename: path.join(dir, 'calltrack.sqlite'), busyTimeoutMs: 5000 });
  after(() => db.destroy());
  const record = (id: string, patch: object = {}) => ({
    ...newCallRecord(id, { sipCallId: `sip-${id}`, dialledRaw: '', dialled: undefined, caller: '+79161234567', callerIsE164: true, callerName: null }, 'carrier', 1_000, null, '+74950000001'),
    ...patch,
  });

  it('imports the last state of each call, skips a torn last line, and consumes the file', async () => {
    await migrateToLatest(db);
    const file = path.join(dir, 'journal.jsonl');
    const a = '00000000-0000-4000-8000-00000000000a';
    const b = '00000000-0000-4000-8000-00000000000b';
    writeFileSync(file, [record(a), record(b), record(a, { status: 'answered', answeredAt: 2_000, endedAt: 9_000, talkSeconds: 7 })].map((r) => JSON.stringify(r)).join('\n') + '\n');
    appendFileSync(file, '{"id":"00000000-0000-4000-8000-00000000000b","status":"bu'); // a crash mid-append
    const recorder = new CallRecorder(db, new CallStore(), new CallJournal(file), testLogger());
    assert.equal(await recorder.importJournal(), 2);
    const store = new CallStore();
    assert.equal((await store.findById(db, a))?.talkSeconds, 7);
    assert.equal((await store.findById(db, b))?.status, 'ringing');
    assert.equal(existsSync(file), false);
    assert.equal(await recorder.importJournal(), 0, 'nothing twice');
  });

  it('keeps a damaged journal and says which line to fix', async () => {
    const file = path.join(dir, 'damaged.jsonl');
    writeFileSync(file, `not json\n${JSON.stringify(record('00000000-0000-4000-8000-00000000000c'))}\n`);
    const journal = new CallJournal(file);
    await assert.rejects(journal.takeBatches(), /damaged\.jsonl\.importing-\d+-\d+:1: not a JSON call record: fix or delete that line/);
    const recorder = new CallRecorder(db, new CallStore(), journal, testLogger());
    assert.equal(await recorder.importJournal(), 0, 'logged, kept for a person to fix');
  });
});
