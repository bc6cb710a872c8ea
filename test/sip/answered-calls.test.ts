import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CALLEE_SDP, CALLER_SDP, sdp } from '../support/fake-drachtio/parties.js';
import { header, statusOf } from '../support/fake-drachtio/sip-text.js';
import { answeredCall, startSipHarness, type SipHarness } from '../support/sip-harness.js';

describe('answered calls through the B2BUA', () => {
  let h: SipHarness;
  before(async () => {
    h = await startSipHarness();
  });
  after(() => h.stop());

  it('forwards a static number with the caller kept, relays 180 and 200, and the caller hangs up', async () => {
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '84950000001' });
    const callee = await h.fake.sip.nextInvite();
    assert.equal(callee.uri, 'sip:+74951112233@127.0.0.1:5090');
    assert.match(callee.get('From') ?? '', /^<sip:\+79161234567@127\.0\.0\.1:5060>;tag=/);
    assert.equal(callee.get('P-Asserted-Identity'), '<tel:+79161234567>');
    assert.equal(callee.get('X-Calltrack-Source'), 'Radio');
    assert.equal(callee.get('X-Calltrack-Medium'), 'offline');
    assert.equal(callee.get('X-Calltrack-First-Call'), 'yes');
    assert.match(callee.get('X-Calltrack-Call-Id') ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(callee.invite.body, CALLER_SDP, 'signalling only: the caller SDP goes to the target unchanged');

    h.clock.advance(2_000);
    callee.ring();
    await caller.waitForStatus(180);
    h.clock.advance(3_000);
    callee.answer();
    const final = await caller.finalResponse();
    assert.equal(final.status, 200);
    assert.equal(final.msg.body, CALLEE_SDP);
    await callee.waitForRequest('ACK');

    await h.answered(caller.callId);
    const live = await h.rowWhen(caller.callId, (r) => r.status === 'answered');
    assert.equal(live.endedAt, null, 'answered and still talking');

    h.clock.advance(42_000);
    assert.equal(statusOf(await caller.bye()), 200);
    await callee.waitForRequest('BYE');

    const row = await h.finalRow(caller.callId);
    assert.equal(row.id, callee.get('X-Calltrack-Call-Id'));
    assert.deepEqual(
      { status: row.status, sipCode: row.sipCode, hangupBy: row.hangupBy, ringSeconds: row.ringSeconds, talkSeconds: row.talkSeconds },
      { status: 'answered', sipCode: 200, hangupBy: 'caller', ringSeconds: 5, talkSeconds: 42 },
    );
    assert.deepEqual(
      { tracking: row.trackingNumber, caller: row.callerNumber, forwardedTo: row.forwardedTo, trunk: row.trunk, type: row.attributionType, source: row.source },
      { tracking: '+74950000001', caller: '+79161234567', forwardedTo: '+74951112233', trunk: 'carrier', type: 'static', source: 'Radio' },
    );
    assert.equal(row.ringingAt, row.startedAt + 2_000);
    assert.equal(row.targetCall, true, '42 s is over tracking.targetCallSeconds (30)');
    assert.deepEqual(h.events.typesFor(caller.callId), ['call.started', 'call.answered', 'call.completed']);
  });

  it('ends both legs when the target hangs up', async () => {
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000001' });
    const callee = await h.fake.sip.nextInvite();
    callee.answer();
    assert.equal((await caller.finalResponse()).status, 200);
    await h.answered(caller.callId);
    h.clock.advance(10_000);
    assert.equal(statusOf(await callee.bye()), 200);
    await caller.waitForRequest('BYE');

    const row = await h.finalRow(caller.callId);
    assert.equal(row.status, 'answered');
    assert.equal(row.hangupBy, 'callee');
    assert.equal(row.talkSeconds, 10);
    assert.equal(row.ringSeconds, 0);
    assert.equal(row.targetCall, false);
    assert.equal(row.firstCall, false, 'the same caller called before');
    assert.equal(callee.get('X-Calltrack-First-Call'), 'no');
  });

  it('relays 183 with SDP (early media) before the 200', async () => {
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000001' });
    const callee = await h.fake.sip.nextInvite();
    const early = sdp('pbx-early', 7400);
    callee.progress(early);
    callee.answer(); // at once: the race of drachtio-srf#121
    const final = await caller.finalResponse();
    assert.deepEqual(caller.codes(), [100, 183, 200]);
    const p183 = await caller.waitForStatus(183);
    assert.equal(p183.body, early);
    assert.equal(final.msg.body, CALLEE_SDP, 'the 200 carries the answer SDP');
    await caller.bye();
    const row = await h.finalRow(caller.callId);
    assert.equal(row.status, 'answered');
    assert.notEqual(row.ringingAt, null);
  });

  it('relays re-INVITEs both ways (hold from the caller, then a codec change from the target)', async () => {
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000001' });
    const callee = await h.fake.sip.nextInvite();
    callee.answer();
    await caller.finalResponse();
    await callee.waitForRequest('ACK');

    const hold = sdp('caller', 7372, 'sendonly', 2);
    const holdAnswer = await caller.reinvite(hold);
    assert.equal(statusOf(holdAnswer), 200);
    const atTarget = await callee.waitForRequest('INVITE', 2);
    assert.equal(atTarget.body, hold, 'the hold offer reached the target');
    assert.match(holdAnswer.body, /a=recvonly/, "the caller got the target's answer");
    assert.match(holdAnswer.body, /o=callee/);

    const change = sdp('callee', 7392, 'sendrecv', 3);
    const changeAnswer = await callee.reinvite(change);
    assert.equal(statusOf(changeAnswer), 200);
    const atCaller = await caller.waitForRequest('INVITE');
    assert.equal(atCaller.body, change);
    assert.match(changeAnswer.body, /o=caller/);
    assert.equal(header(atCaller, 'X-Calltrack-Call-Id'), undefined);

    await caller.bye();
    await callee.waitForRequest('BYE');
    assert.equal((await h.finalRow(caller.callId)).status, 'answered');
  });

  it("a refused re-INVITE (488) is passed back and the next one is relayed (drachtio-srf would queue it forever)", async () => {
    const { caller, callee } = await answeredCall(h);
    callee.answerStatus.INVITE = 488;
    assert.equal(statusOf(await caller.reinvite(sdp('caller', 7372, 'sendonly', 2))), 488);
    delete callee.answerStatus.INVITE;
    const again = await caller.reinvite(sdp('caller', 7372, 'sendonly', 3));
    assert.equal(statusOf(again), 200);
    assert.match((await callee.waitForRequest('INVITE', 3)).body, /o=caller 1234 3 /);
    await caller.bye();
    await callee.waitForRequest('BYE');
  });
});
