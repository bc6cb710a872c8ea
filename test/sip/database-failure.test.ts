import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSipHarness, type SipHarness } from '../support/sip-harness.js';

/**
 * The database fails for real (SQLite triggers raising an I/O error on the calls table) while a
 * call is up: the call goes on, its record goes to the journal, and is imported on recovery.
 */
describe('the database fails during calls', () => {
  let h: SipHarness;
  const journalLines = async () => {
    const files = (await readdir(h.dir)).filter((f) => f.startsWith('calls-journal.jsonl'));
    const lines = await Promise.all(files.map(async (f) => (await readFile(path.join(h.dir, f), 'utf8')).split('\n').filter(Boolean)));
    return lines.flat().map((l) => JSON.parse(l) as { sipCallId: string; status: string; endedAt: number | null });
  };
  const waitForJournal = async (sipCallId: string) => {
    const deadline = Date.now() + 10_000;
    while (!(await journalLines()).some((r) => r.sipCallId === sipCallId && r.endedAt !== null)) {
      if (Date.now() > deadline) throw new Error(`no final journal line for ${sipCallId}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const breakDatabase = async () => {
    for (const op of ['INSERT', 'UPDATE']) {
      await h.app.db.raw(`CREATE TRIGGER calls_broken_${op} BEFORE ${op} ON calls BEGIN SELECT RAISE(FAIL, 'disk I/O error'); END`);
    }
  };
  const repairDatabase = async () => {
    for (const op of ['INSERT', 'UPDATE']) await h.app.db.raw(`DROP TRIGGER calls_broken_${op}`);
  };

  before(async () => {
    h = await startSipHarness();
  });
  after(() => h.stop());

  it('keeps the call up, journals its record, and imports it when the database is back', async () => {
    const first = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000001' });
    const firstTarget = await h.fake.sip.nextInvite();
    firstTarget.answer();
    assert.equal((await first.finalResponse()).status, 200);
    await h.answered(first.callId);
    await h.rowWhen(first.callId, (r) => r.status === 'answered');

    await breakDatabase();
    h.clock.advance(20_000);
    assert.equal((await first.bye()).startLine, 'SIP/2.0 200 OK');
    await firstTarget.waitForRequest('BYE');
    await waitForJournal(first.callId);
    assert.equal((await h.row(first.callId))?.endedAt, null, 'the database still has the call as talking');

    // A new call while the database is down is forwarded all the same.
    const second = h.fake.sip.placeCall({ from: '79035556677', to: '+74950000001' });
    const secondTarget = await h.fake.sip.nextInvite();
    secondTarget.reject(486);
    assert.equal((await second.finalResponse()).status, 486);
    await waitForJournal(second.callId);
    assert.equal(await h.row(second.callId), undefined);

    await repairDatabase();
    // The next successful write starts the import.
    const third = h.fake.sip.placeCall({ from: '79035556677', to: '+74950000001' });
    (await h.fake.sip.nextInvite()).reject(486);
    await third.finalResponse();

    const firstRow = await h.finalRow(first.callId);
    assert.deepEqual({ status: firstRow.status, talk: firstRow.talkSeconds, hangupBy: firstRow.hangupBy }, { status: 'answered', talk: 20, hangupBy: 'caller' });
    const secondRow = await h.finalRow(second.callId);
    assert.deepEqual({ status: secondRow.status, sipCode: secondRow.sipCode, caller: secondRow.callerNumber }, { status: 'busy', sipCode: 486, caller: '+79035556677' });
    await h.finalRow(third.callId);
    await h.app.calls.flush();
    assert.deepEqual((await readdir(h.dir)).filter((f) => f.startsWith('calls-journal')), [], 'the journal is consumed');
  });

  it('does not fail a call when publishing its events fails', async () => {
    h.events.failing = true;
    try {
      const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000001' });
      const callee = await h.fake.sip.nextInvite();
      callee.answer();
      assert.equal((await caller.finalResponse()).status, 200);
      await caller.bye();
      await callee.waitForRequest('BYE');
      assert.equal((await h.finalRow(caller.callId)).status, 'answered');
    } finally {
      h.events.failing = false;
    }
  });
});
