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

describe('the security log of requests from addresses outside the trunks', () => {
  const { logger, lines } = capturingLogger();
  let h: SipHarness;
  before(async () => {
    h = await startSipHarness({ logger, doc: (d) => void (d.log = { level: 'info', callerNumbers: 'masked' }) });
  });
  after(() => h.stop());

  const securityLines = () => lines.filter((l) => l.security === true);

  it('a scanner gets one line per address and method per 10 minutes, with how many requests came between; every one is still refused and counted', async () => {
    // Scanners probe with OPTIONS first: that must not hide the INVITEs that follow.
    assert.equal(await h.fake.sip.sendOptions({ address: '203.0.113.66' }), 403);
    for (let i = 0; i < 20; i++) {
      const call = h.fake.sip.placeCall({ from: '79161234567', to: `+7495000000${i % 10}`, address: '203.0.113.66' });
      assert.equal((await call.finalResponse()).status, 403);
    }
    const other = h.fake.sip.placeCall({ from: '100', to: '100', address: '198.51.100.7' });
    assert.equal((await other.finalResponse()).status, 403);

    assert.deepEqual(
      securityLines().map((l) => [l.source, l.msg]),
      [
        ['203.0.113.66', 'OPTIONS from an address that is not a trunk: 403 (further requests from this address: one line per 10 minutes)'],
        ['203.0.113.66', 'INVITE from an address that is not in any trunk allow list: rejected 403 (further requests from this address: one line per 10 minutes)'],
        ['198.51.100.7', 'INVITE from an address that is not in any trunk allow list: rejected 403 (further requests from this address: one line per 10 minutes)'],
      ],
    );
    assert.equal(securityLines()[1]?.from, '791******67', 'log.callerNumbers applies: it may be a real caller on a carrier address not yet allowed');
    assert.match(await h.app.metrics.metrics(), /calltrack_sip_invites_rejected_total\{reason="untrusted-source"\} 21/);

    h.clock.advance(10 * 60_000);
    const later = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000001', address: '203.0.113.66' });
    assert.equal((await later.finalResponse()).status, 403);
    const last = securityLines().at(-1); // the 19 INVITEs after the first; the OPTIONS has its own count
    assert.deepEqual([last?.source, last?.repeats, last?.msg], [
      '203.0.113.66',
      19,
      'INVITE from an address that is not in any trunk allow list: rejected 403 (19 more from this address since its last line)',
    ]);
  });
});
