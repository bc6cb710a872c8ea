import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSipHarness, type SipHarness } from '../support/sip-harness.js';

/** CANCEL at every stage leaves no leg behind and a "canceled" row. */
describe('the caller hangs up before the answer', () => {
  let h: SipHarness;
  before(async () => {
    h = await startSipHarness();
  });
  after(() => h.stop());

  it('during the number lookup: no forward is ever sent', async () => {
    let release!: () => void;
    h.attributor.gate = new Promise((r) => (release = r));
    const before = h.attributor.calls;
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000001' });
    while (h.attributor.calls === before) await new Promise((r) => setTimeout(r, 5));
    caller.cancel();
    assert.equal((await caller.finalResponse()).status, 487);
    // Frames reach the app in order: once it has answered this OPTIONS, it has seen the CANCEL.
    assert.equal(await h.fake.sip.sendOptions({ address: '127.0.0.1' }), 200);
    h.clock.advance(1_500);
    h.attributor.gate = undefined;
    release();
    const row = await h.finalRow(caller.callId);
    assert.deepEqual({ status: row.status, sipCode: row.sipCode, hangupBy: row.hangupBy, ringSeconds: row.ringSeconds }, { status: 'canceled', sipCode: 487, hangupBy: 'caller', ringSeconds: 1.5 });
    assert.equal(h.fake.sip.untakenInvites(), 0, 'the target was never called');
    assert.deepEqual(h.events.typesFor(caller.callId), ['call.started', 'call.missed']);
  });

  it('while the target rings: the forward is cancelled', async () => {
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000001' });
    const callee = await h.fake.sip.nextInvite();
    callee.ring();
    await caller.waitForStatus(180);
    h.clock.advance(7_000);
    caller.cancel();
    await callee.waitForRequest('CANCEL');
    assert.equal((await caller.finalResponse()).status, 487);
    const row = await h.finalRow(caller.callId);
    assert.deepEqual({ status: row.status, sipCode: row.sipCode, hangupBy: row.hangupBy, ringSeconds: row.ringSeconds }, { status: 'canceled', sipCode: 487, hangupBy: 'caller', ringSeconds: 7 });
    assert.deepEqual(h.fake.sip.openDialogs(), []);
  });

  it("racing the target's 200: the answered target leg gets a BYE", async () => {
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000001' });
    const callee = await h.fake.sip.nextInvite();
    callee.ring();
    await caller.waitForStatus(180);
    callee.answer();
    caller.cancel();
    assert.equal((await caller.finalResponse()).status, 487);
    await callee.waitForRequest('BYE');
    const row = await h.finalRow(caller.callId);
    assert.equal(row.status, 'canceled');
    assert.equal(row.hangupBy, 'caller');
    assert.equal(row.answeredAt, null);
    assert.deepEqual(h.fake.sip.openDialogs(), []);
  });

  it('right after the INVITE, before anything came back from the target', async () => {
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000001' });
    const callee = await h.fake.sip.nextInvite();
    caller.cancel();
    await callee.waitForRequest('CANCEL');
    assert.equal((await caller.finalResponse()).status, 487);
    assert.equal((await h.finalRow(caller.callId)).status, 'canceled');
    assert.deepEqual(h.fake.sip.openDialogs(), []);
  });
});
