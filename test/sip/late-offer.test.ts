import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CALLEE_SDP, CALLER_SDP, sdp } from '../support/fake-drachtio/parties.js';
import { header, statusOf } from '../support/fake-drachtio/sip-text.js';
import { startSipHarness, type SipHarness } from '../support/sip-harness.js';

/**
 * INVITE without SDP from the trunk (late offer): the target's 200 carries the offer, the caller's
 * ACK the answer, and the target's ACK must carry that answer (drachtio-srf's default would ACK the
 * target with its own SDP turned recvonly: one-way audio).
 */
describe('late offer (INVITE without SDP)', () => {
  let h: SipHarness;
  before(async () => {
    h = await startSipHarness();
  });
  after(() => h.stop());

  it("forwards without SDP, gives the caller the target's offer and the target the caller's answer from the ACK", async () => {
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000001', sdp: '', ackSdp: CALLER_SDP });
    const callee = await h.fake.sip.nextInvite();
    assert.equal(callee.invite.body, '', 'no SDP invented for the forward');
    assert.equal(callee.get('Content-Type'), undefined);

    h.clock.advance(2_000);
    callee.ring();
    await caller.waitForStatus(180);
    h.clock.advance(1_000);
    callee.answer(CALLEE_SDP); // the offer
    const final = await caller.finalResponse();
    assert.equal(final.status, 200);
    assert.equal(final.msg.body, CALLEE_SDP, "the caller's 200 carries the target's offer");
    const ack = await callee.waitForRequest('ACK');
    assert.equal(ack.body, CALLER_SDP, "the target's ACK carries the caller's answer");
    assert.equal(header(ack, 'Content-Type'), 'application/sdp');
    assert.equal(callee.requests.all.filter((r) => r.startLine.startsWith('ACK')).length, 1, 'ACKed once');

    await h.answered(caller.callId);
    h.clock.advance(40_000);
    assert.equal(statusOf(await caller.bye()), 200);
    await callee.waitForRequest('BYE');
    const row = await h.finalRow(caller.callId);
    assert.deepEqual(
      { status: row.status, sipCode: row.sipCode, hangupBy: row.hangupBy, ringSeconds: row.ringSeconds, talkSeconds: row.talkSeconds },
      { status: 'answered', sipCode: 200, hangupBy: 'caller', ringSeconds: 3, talkSeconds: 40 },
    );
    assert.deepEqual(h.events.typesFor(caller.callId), ['call.started', 'call.answered', 'call.completed']);
    assert.deepEqual(h.fake.sip.openDialogs(), []);
  });

  it('relays re-INVITEs after a late-offer answer, and the target can hang up', async () => {
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000001', sdp: '', ackSdp: CALLER_SDP });
    const callee = await h.fake.sip.nextInvite();
    callee.answer(CALLEE_SDP);
    await caller.finalResponse();
    assert.equal((await callee.waitForRequest('ACK')).body, CALLER_SDP);
    await h.answered(caller.callId);

    const hold = sdp('caller', 7372, 'sendonly', 2);
    const answer = await caller.reinvite(hold);
    assert.equal(statusOf(answer), 200);
    assert.equal((await callee.waitForRequest('INVITE', 2)).body, hold);
    assert.match(answer.body, /a=recvonly/);

    h.clock.advance(5_000);
    await callee.bye();
    await caller.waitForRequest('BYE');
    const row = await h.finalRow(caller.callId);
    assert.deepEqual({ status: row.status, hangupBy: row.hangupBy, talk: row.talkSeconds }, { status: 'answered', hangupBy: 'callee', talk: 5 });
  });

  it('ends both legs with BYE when the caller ACKs without SDP; the row is not answered', async () => {
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000001', sdp: '' });
    const callee = await h.fake.sip.nextInvite();
    h.clock.advance(4_000);
    callee.answer(CALLEE_SDP);
    assert.equal((await caller.finalResponse()).status, 200);

    const byeToCaller = await caller.waitForRequest('BYE');
    assert.match(header(byeToCaller, 'Reason') ?? '', /cause=488/);
    const ack = await callee.waitForRequest('ACK');
    assert.equal(ack.body, CALLEE_SDP, 'the abandoned target leg is completed with its own SDP, then ended');
    await callee.waitForRequest('BYE');

    const row = await h.finalRow(caller.callId);
    assert.deepEqual(
      { status: row.status, sipCode: row.sipCode, hangupBy: row.hangupBy, answeredAt: row.answeredAt, talk: row.talkSeconds, ring: row.ringSeconds },
      { status: 'failed', sipCode: 200, hangupBy: 'system', answeredAt: null, talk: null, ring: 4 },
    );
    assert.deepEqual(h.events.typesFor(caller.callId), ['call.started', 'call.missed']);
    assert.deepEqual(h.fake.sip.openDialogs(), []);
  });

  it('ends the target leg when the caller hangs up before its ACK', async () => {
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000001', sdp: '', noAck: true });
    const callee = await h.fake.sip.nextInvite();
    callee.answer(CALLEE_SDP);
    assert.equal((await caller.finalResponse()).status, 200);
    h.clock.advance(1_000);
    assert.equal(statusOf(await caller.bye()), 200);
    await callee.waitForRequest('ACK');
    await callee.waitForRequest('BYE');

    const row = await h.finalRow(caller.callId);
    assert.deepEqual({ status: row.status, hangupBy: row.hangupBy, answeredAt: row.answeredAt }, { status: 'canceled', hangupBy: 'caller', answeredAt: null });
    assert.deepEqual(h.events.typesFor(caller.callId), ['call.started', 'call.missed']);
    assert.deepEqual(h.fake.sip.openDialogs(), []);
  });
});

describe('late offer during shutdown', () => {
  let h: SipHarness | undefined;
  let again: SipHarness | undefined;
  after(async () => {
    await again?.stop();
    await h?.stop();
  });

  it('a call still waiting for the caller\'s ACK when the grace period ends: both legs get BYE, the row is final', async () => {
    h = await startSipHarness({ sip: { shutdownGraceSeconds: 0 } });
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000001', sdp: '', noAck: true });
    const callee = await h.fake.sip.nextInvite();
    callee.answer(CALLEE_SDP);
    assert.equal((await caller.finalResponse()).status, 200);
    await h.app.stop();
    const bye = await caller.waitForRequest('BYE');
    assert.match(header(bye, 'Reason') ?? '', /shutting down/);
    await callee.waitForRequest('BYE');

    const dir = h.dir;
    again = await startSipHarness({ doc: (d) => ((d.database as { filename: string }).filename = `${dir}/calltrack.sqlite`) });
    const row = await again.finalRow(caller.callId);
    assert.deepEqual({ status: row.status, hangupBy: row.hangupBy, answeredAt: row.answeredAt }, { status: 'failed', hangupBy: 'system', answeredAt: null });
  });
});
