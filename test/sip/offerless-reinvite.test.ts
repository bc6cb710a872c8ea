import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CALLER_SDP, sdp } from '../support/fake-drachtio/parties.js';
import { header, methodOf, statusOf, type SipText } from '../support/fake-drachtio/sip-text.js';
import { answeredCall, startSipHarness, type SipHarness } from '../support/sip-harness.js';

/**
 * re-INVITEs without SDP (delayed offer, RFC 3261 14.1), which PBXs send after a transfer or to
 * refresh a session: the offer comes from the other side in its 200, the answer in the sender's
 * ACK, and the other side's 200 is ACKed with that answer, not before.
 */
describe('re-INVITE without SDP', () => {
  let h: SipHarness;
  before(async () => {
    h = await startSipHarness();
  });
  after(() => h.stop());

  it("from the caller: the target's offer reaches the caller, and the caller's answer reaches the target in the ACK", async () => {
    const { caller, callee } = await answeredCall(h);
    callee.sdp = sdp('callee', 7400, 'sendrecv', 2);
    const answer = sdp('caller', 7410, 'sendrecv', 2);
    const res = await caller.reinviteWithoutOffer(answer);
    const atTarget = await callee.waitForRequest('INVITE', 2);
    assert.equal(atTarget.body, '', 'the target was asked for an offer');
    assert.equal(statusOf(res), 200);
    assert.match(res.body, /o=callee 1234 2 .*m=audio 7400/s, "the caller got the target's offer");
    const targetAck = await callee.waitForRequest('ACK', 2);
    assert.equal(targetAck.body, answer, "the target's 200 was ACKed with the caller's answer");
    assert.equal(header(targetAck, 'CSeq')?.split(' ')[0], header(atTarget, 'CSeq')?.split(' ')[0], "the ACK is the re-INVITE's");

    // The dialog admits the next re-INVITE (one with SDP, from the target) and still knows the caller's SDP.
    const change = sdp('callee', 7402, 'sendrecv', 3);
    const changed = await callee.reinvite(change);
    assert.equal(statusOf(changed), 200);
    assert.equal((await caller.waitForRequest('INVITE')).body, change);
    assert.match(changed.body, /m=audio 7410/, "the caller's answer to it came back");
    await caller.bye();
    await callee.waitForRequest('BYE');
    assert.equal((await h.finalRow(caller.callId)).status, 'answered');
  });

  it("from the target: the caller's offer reaches the target, and the target's answer reaches the caller in the ACK", async () => {
    const { caller, callee } = await answeredCall(h);
    const answer = sdp('callee', 7420, 'sendrecv', 2);
    const res = await callee.reinviteWithoutOffer(answer);
    const atCaller = await caller.waitForRequest('INVITE');
    assert.equal(atCaller.body, '');
    assert.equal(header(atCaller, 'Call-ID'), caller.callId, 'sent in the caller leg');
    assert.equal(statusOf(res), 200);
    assert.match(res.body, /o=caller/, "the target got the caller's offer");
    const callerAck = await caller.waitForRequest('ACK');
    assert.equal(callerAck.body, answer, "the caller's 200 was ACKed with the target's answer");
    await callee.bye();
    await caller.waitForRequest('BYE');
    assert.equal((await h.finalRow(caller.callId)).hangupBy, 'callee');
  });

  it("an ACK without the answer leaves the session as it was: the target's 200 is ACKed with the caller's SDP it had", async () => {
    const { caller, callee } = await answeredCall(h);
    const res = await caller.reinviteWithoutOffer('');
    assert.equal(statusOf(res), 200);
    const targetAck = await callee.waitForRequest('ACK', 2);
    assert.equal(targetAck.body, CALLER_SDP, 'ACKed with the SDP the target already had');
    assert.equal(h.app.sip.activeCalls, 1, 'the call goes on');
    await caller.bye();
    await callee.waitForRequest('BYE');
    assert.equal((await h.finalRow(caller.callId)).status, 'answered');
  });

  it("the caller hangs up before its ACK: the target's 200 is ACKed (with the SDP it had) before the BYE", async () => {
    const { caller, callee } = await answeredCall(h);
    const res = await caller.reinviteWithoutOffer('', { noAck: true });
    assert.equal(statusOf(res), 200);
    const atTarget = await callee.waitForRequest('INVITE', 2);
    assert.equal(statusOf(await caller.bye()), 200);
    await callee.waitForRequest('BYE');
    assertAckedBeforeBye(callee.requests.all, atTarget);
    const row = await h.finalRow(caller.callId);
    assert.deepEqual({ status: row.status, hangupBy: row.hangupBy }, { status: 'answered', hangupBy: 'caller' });
    assert.deepEqual(h.fake.sip.openDialogs(), []);
  });

  it("the caller hangs up before the target made its offer: its re-INVITE gets 487 at once, never a 200 to ACK", async () => {
    const { caller, callee } = await answeredCall(h);
    let offer = () => {};
    callee.reinviteAnswerGate = new Promise((resolve) => (offer = resolve));
    const pending = caller.reinviteWithoutOffer('', { noAck: true });
    await callee.waitForRequest('INVITE', 2);
    assert.equal(statusOf(await caller.bye()), 200);
    await callee.waitForRequest('BYE');
    assert.equal(statusOf(await pending), 487, 'RFC 3261 15.1.2: a request pending when the dialog ends gets 487');
    // The target's offer comes after its dialog ended: nothing reaches the caller any more.
    callee.reinviteAnswerGate = undefined;
    offer();
    const row = await h.finalRow(caller.callId);
    assert.deepEqual({ status: row.status, hangupBy: row.hangupBy }, { status: 'answered', hangupBy: 'caller' });
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(caller.responses.all.filter((r) => statusOf(r) === 200 && header(r, 'CSeq')?.endsWith('INVITE')).length, 1, "only the call's own 200");
    assert.deepEqual(h.fake.sip.openDialogs(), []);
  });

  it("shutdown while the caller's ACK is awaited: the target's 200 is ACKed before the BYE, and both legs end", async () => {
    const own = await startSipHarness({ sip: { shutdownGraceSeconds: 0 } });
    try {
      const { caller, callee } = await answeredCall(own);
      assert.equal(statusOf(await caller.reinviteWithoutOffer('', { noAck: true })), 200);
      const atTarget = await callee.waitForRequest('INVITE', 2);
      const stopping = own.app.stop();
      await caller.waitForRequest('BYE');
      await callee.waitForRequest('BYE');
      await stopping;
      assertAckedBeforeBye(callee.requests.all, atTarget);
      assert.deepEqual(own.fake.sip.openDialogs(), []);
    } finally {
      await own.stop();
    }
  });

  it("the other side's refusal is passed back and the call goes on", async () => {
    const { caller, callee } = await answeredCall(h);
    callee.answerStatus.INVITE = 488;
    const res = await caller.reinviteWithoutOffer(sdp('caller', 7430, 'sendrecv', 2));
    assert.equal(statusOf(res), 488);
    assert.equal(h.app.sip.activeCalls, 1);
    await caller.bye();
    await callee.waitForRequest('BYE');
  });
});

/**
 * What the target received after its re-INVITE: the ACK of that re-INVITE's 200 (with the SDP it
 * already had, the caller never answered), then the BYE. An ACK after the BYE is for a dialog the
 * target has already ended.
 */
function assertAckedBeforeBye(atTarget: SipText[], reinvite: SipText): void {
  const after = atTarget.slice(atTarget.indexOf(reinvite) + 1);
  assert.deepEqual(after.map(methodOf), ['ACK', 'BYE'], 'the ACK, then the BYE');
  const [ack] = after;
  assert.equal(header(ack!, 'CSeq')?.split(' ')[0], header(reinvite, 'CSeq')?.split(' ')[0], "the ACK is the re-INVITE's");
  assert.equal(ack!.body, CALLER_SDP, 'ACKed with the SDP the target already had');
}
