import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { capturingLogger } from '../support/logger.js';
import { answeredCall, startSipHarness, type SipHarness } from '../support/sip-harness.js';

describe('the INVITE log line and log.callerNumbers', () => {
  const { logger, lines } = capturingLogger();
  let h: SipHarness;
  before(async () => {
    h = await startSipHarness({ logger, doc: (d) => void (d.log = { level: 'info', callerNumbers: 'masked' }) });
  });
  after(() => h.stop());

  const inviteLines = () => lines.filter((l) => l.msg === 'INVITE');

  it('masked: the caller shows as its first three characters and last two digits; the call row keeps the number', async () => {
    const { caller } = await answeredCall(h);
    await caller.bye();
    const row = await h.finalRow(caller.callId);
    assert.equal(row.callerNumber, '+79161234567');
    assert.deepEqual(inviteLines().map((l) => l.caller), ['+79*******67']);
    assert.doesNotMatch(JSON.stringify(lines), /9161234567/, 'no log line holds the number');
  });

  it('full (the default), after a reload: the whole number', async () => {
    const current = h.app.config.current;
    await h.app.reload({ ...current, log: { ...current.log, callerNumbers: 'full' } });
    const { caller } = await answeredCall(h);
    await caller.bye();
    await h.finalRow(caller.callId);
    assert.equal(inviteLines().at(-1)?.caller, '+79161234567');
  });
});
