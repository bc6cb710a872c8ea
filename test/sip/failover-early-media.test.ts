import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sdp } from '../support/fake-drachtio/parties.js';
import { statusOf } from '../support/fake-drachtio/sip-text.js';
import { addFailoverNumber, startSipHarness, type SipHarness } from '../support/sip-harness.js';

/**
 * Failover after early media without FreeSWITCH (SDP passes through): the caller's session
 * already holds the first target's answer from its 183, so the 200 must repeat it (RFC 3261
 * §13.2.1) and the second target's media reaches the caller by re-INVITE, under the same SDP
 * origin with a higher version (RFC 3264 §8). Otherwise the caller's phone keeps sending its
 * audio to the first target's early-media port and the call is one-way.
 */
describe('failover after early media (pass-through)', () => {
  let h: SipHarness;
  before(async () => {
    h = await startSipHarness({
      doc: addFailoverNumber,
    });
  });
  after(() => h.stop());

  it("the 200 repeats the first target's early answer, then a re-INVITE moves the caller to the answering target's media", async () => {
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000002' });
    const first = await h.fake.sip.nextInvite();
    const early = sdp('pbx-a', 7400);
    first.progress(early);
    assert.equal((await caller.waitForStatus(183)).body, early);
    first.reject(486);

    const second = await h.fake.sip.nextInvite();
    assert.equal(second.uri, 'sip:+74951110002@127.0.0.1:5090');
    second.answer(sdp('pbx-b', 7500));
    const final = await caller.finalResponse();
    assert.equal(final.status, 200);
    assert.equal(final.msg.body, early, 'the 200 carries the answer the caller already has');

    const moved = await caller.waitForRequest('INVITE');
    assert.match(moved.body, /^m=audio 7500 /m, "the second target's media");
    assert.match(moved.body, /^o=pbx-a 1234 2 IN IP4 127\.0\.0\.1\r?$/m, 'same origin, next version');

    // Later SDP from the second target reaches the caller under that origin too.
    await h.answered(caller.callId);
    const hold = sdp('pbx-b', 7500, 'sendonly', 2);
    assert.equal(statusOf(await second.reinvite(hold)), 200);
    const held = await caller.waitForRequest('INVITE', 2);
    assert.match(held.body, /^o=pbx-a 1234 3 /m);
    assert.match(held.body, /a=sendonly/);

    await caller.bye();
    await second.waitForRequest('BYE');
    const row = await h.finalRow(caller.callId);
    assert.deepEqual({ status: row.status, forwardedTo: row.forwardedTo }, { status: 'answered', forwardedTo: '+74951110002' });
  });

  /** The first target sends early media and then 486; the second is INVITEd (not yet answered). */
  async function failoverAfterEarlyMedia(opts: { noAck?: boolean } = {}) {
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000002', ...opts });
    const first = await h.fake.sip.nextInvite();
    first.progress(sdp('pbx-a', 7400));
    await caller.waitForStatus(183);
    first.reject(486);
    return { caller, second: await h.fake.sip.nextInvite() };
  }

  it('the caller answering the switch with 491 (glare) gets the same offer again, and the call is answered', async () => {
    const { caller, second } = await failoverAfterEarlyMedia();
    caller.answerStatus.INVITE = 491;
    second.answer(sdp('pbx-b', 7500));
    const refused = await caller.waitForRequest('INVITE');
    delete caller.answerStatus.INVITE;
    const retried = await caller.waitForRequest('INVITE', 2);
    assert.equal(retried.body, refused.body, 'the same offer (same version) after the 491');
    assert.match(retried.body, /^m=audio 7500 /m);
    await h.answered(caller.callId);
    await caller.bye();
    await second.waitForRequest('BYE');
    assert.equal((await h.finalRow(caller.callId)).status, 'answered');
  });

  it('the caller hanging up before its ACK (while the switch waits for it) ends the target leg too', async () => {
    const { caller, second } = await failoverAfterEarlyMedia({ noAck: true });
    second.answer(sdp('pbx-b', 7500));
    assert.equal((await caller.finalResponse()).status, 200);
    await h.answered(caller.callId);
    await caller.bye();
    await second.waitForRequest('BYE');
    const row = await h.finalRow(caller.callId);
    assert.deepEqual({ status: row.status, hangupBy: row.hangupBy }, { status: 'answered', hangupBy: 'caller' });
    assert.equal(caller.hasRequest('INVITE'), false, 'no re-INVITE to a caller that is gone');
  });

  it("a re-INVITE from the answering target before the switch is relayed to the caller (under the caller's origin), which makes the switch needless", async () => {
    const { caller, second } = await failoverAfterEarlyMedia({ noAck: true });
    second.answer(sdp('pbx-b', 7500));
    await caller.finalResponse();
    await h.answered(caller.callId);
    const res = await second.reinvite(sdp('pbx-b', 7502, 'sendrecv', 2));
    assert.equal(statusOf(res), 200);
    assert.match(res.body, /o=caller/, "the caller's answer, not drachtio-srf's stale SDP");
    const atCaller = await caller.waitForRequest('INVITE');
    assert.match(atCaller.body, /^o=pbx-a 1234 2 /m);
    assert.match(atCaller.body, /^m=audio 7502 /m);
    // The switch waits up to 4 s for the caller's ACK (it never comes here), then finds the
    // caller already moved and sends nothing.
    await new Promise((resolve) => setTimeout(resolve, 4_300));
    assert.equal(caller.requests.all.filter((r) => r.startLine.startsWith('INVITE')).length, 1, 'no switch re-INVITE after it');
    await caller.bye();
    await second.waitForRequest('BYE');
  });

  it('early media and answer from the same target: the 200 carries its answer and the caller gets no re-INVITE', async () => {
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000002' });
    const first = await h.fake.sip.nextInvite();
    first.progress(sdp('pbx-a', 7400));
    await caller.waitForStatus(183);
    const answer = sdp('pbx-a', 7402, 'sendrecv', 2);
    first.answer(answer);
    assert.equal((await caller.finalResponse()).msg.body, answer);
    await caller.bye();
    await first.waitForRequest('BYE');
    assert.equal(caller.hasRequest('INVITE'), false);
  });
});
