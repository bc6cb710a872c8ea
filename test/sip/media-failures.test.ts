import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CALLEE_SDP, CALLER_SDP, sdp } from '../support/fake-drachtio/parties.js';
import { methodOf, statusOf } from '../support/fake-drachtio/sip-text.js';
import { startMediaHarness, type MediaHarness } from '../support/media-harness.js';
import { answeredCall } from '../support/sip-harness.js';
import { sameMedia } from '../../src/sip/sdp-origin.js';
import { waitFor } from '../support/wait.js';

/**
 * FreeSWITCH down, failing or frozen (real drachtio-srf + drachtio-fsmrf against the fakes): the
 * call is never dropped; it goes on as a plain B2BUA and the row says why it was not recorded.
 */
describe('calls when FreeSWITCH fails', () => {
  let m: MediaHarness;
  before(async () => {
    m = await startMediaHarness();
  });
  after(() => m.stop());

  it('FreeSWITCH failing mid-setup (3pcc endpoint refused): the caller-side endpoint is freed and the call goes on as a plain B2BUA', async () => {
    m.faults.reject3pcc = true;
    try {
      const caller = m.h.fake.sip.placeCall({ from: '79161230005', to: '+74950000001' });
      const callee = await m.h.fake.sip.nextInvite();
      assert.equal(callee.invite.body, CALLER_SDP, 'the target gets the caller\'s own offer');
      await waitFor(() => m.fs.channelCount === 0, 'the caller-side endpoint hung up');
      callee.answer();
      const final = await caller.finalResponse();
      assert.equal(final.msg.body, CALLEE_SDP);
      assert.equal(statusOf(await callee.bye()), 200);
      const row = await m.h.finalRow(caller.callId);
      await m.noChannelsLeft();
      assert.equal(row.status, 'answered');
      assert.equal(row.recordingStatus, 'unavailable');
      assert.match(row.recordingError ?? '', /480/);
    } finally {
      m.faults.reject3pcc = false;
    }
  });

  it("late offer, FreeSWITCH failing when the target answers: the target is asked for an offer (re-INVITE without SDP), the caller answers it", async () => {
    m.faults.failReinvite = 500;
    try {
      const caller = m.h.fake.sip.placeCall({ from: '79161230016', to: '+74950000001', sdp: '', ackSdp: CALLER_SDP });
      const callee = await m.h.fake.sip.nextInvite();
      assert.match(callee.invite.body, /o=FreeSWITCH/);
      callee.answer();
      const reinvite = await callee.waitForRequest('INVITE', 2);
      assert.equal(reinvite.body, '', 'the caller made no offer: the target is asked for one');
      const final = await caller.finalResponse();
      assert.equal(final.status, 200);
      assert.equal(final.msg.body, CALLEE_SDP, "the caller gets the target's own offer");
      assert.equal((await callee.waitForRequest('ACK', 2)).body, CALLER_SDP, "the target's 200 is ACKed with the caller's answer");
      await m.h.answered(caller.callId);
      assert.equal(statusOf(await caller.bye()), 200);
      await callee.waitForRequest('BYE');
      const row = await m.h.finalRow(caller.callId);
      await m.noChannelsLeft();
      assert.deepEqual({ status: row.status, recording: row.recordingStatus }, { status: 'answered', recording: 'unavailable' });
      assert.match(row.recordingError ?? '', /FreeSWITCH failed while connecting the answered call/);
    } finally {
      m.faults.failReinvite = undefined;
    }
  });

  it("late offer, FreeSWITCH failing on the caller's answer: both parties are re-INVITEd to talk directly, the call goes on", async () => {
    const caller = m.h.fake.sip.placeCall({ from: '79161230017', to: '+74950000001', sdp: '', ackSdp: CALLER_SDP });
    const callee = await m.h.fake.sip.nextInvite();
    callee.answer();
    // The target's answer has gone to FreeSWITCH by now; the caller's (in its ACK) will fail there.
    const final = await caller.finalResponse();
    m.faults.failReinvite = 500;
    try {
      assert.match(final.msg.body, /o=FreeSWITCH/);
      const offerless = await callee.waitForRequest('INVITE', 2);
      assert.equal(offerless.body, '');
      const toCaller = await caller.waitForRequest('INVITE');
      assert.ok(sameMedia(toCaller.body, CALLEE_SDP), "the target's offer goes to the caller in a re-INVITE");
      const fsOrigin = originOf(final.msg.body);
      assert.equal(originOf(toCaller.body), fsOrigin.replace(/^(\S+ \S+ )(\d+)/, (_, head: string, v: string) => `${head}${BigInt(v) + 1n}`), "under the caller's session origin, next version (RFC 3264 8)");
      assert.equal((await callee.waitForRequest('ACK', 2)).body, CALLER_SDP, "and the caller's answer to the target");
      await m.h.answered(caller.callId);
      await waitFor(() => m.fs.channelCount === 0, 'the FreeSWITCH channels hung up');
      // Later SDP from the target reaches the caller under the same origin.
      assert.equal(statusOf(await callee.reinvite(sdp('callee', 7394, 'sendonly', 2))), 200);
      const held = await caller.waitForRequest('INVITE', 2);
      assert.equal(originOf(held.body).split(' ').slice(0, 2).join(' '), fsOrigin.split(' ').slice(0, 2).join(' '));
      assert.equal(statusOf(await callee.bye()), 200);
      await caller.waitForRequest('BYE');
      const row = await m.h.finalRow(caller.callId);
      await m.noChannelsLeft();
      assert.deepEqual({ status: row.status, hangupBy: row.hangupBy, recording: row.recordingStatus }, { status: 'answered', hangupBy: 'callee', recording: 'unavailable' });
      assert.match(row.recordingError ?? '', /caller's answer \(late offer\)/);
    } finally {
      m.faults.failReinvite = undefined;
    }
  });

  it('FreeSWITCH failing when the target answers: the target is re-INVITEd with the caller\'s SDP, the caller still gets its 200', async () => {
    m.faults.failReinvite = 500;
    try {
      const caller = m.h.fake.sip.placeCall({ from: '79161230006', to: '+74950000001' });
      const callee = await m.h.fake.sip.nextInvite();
      callee.answer();
      const reinvite = await callee.requests.find((m) => methodOf(m) === 'INVITE' && m !== callee.invite, 'the re-INVITE to the target');
      assert.equal(reinvite.body, CALLER_SDP);
      const final = await caller.finalResponse();
      assert.equal(final.status, 200);
      assert.equal(final.msg.body, CALLEE_SDP);
      assert.equal(statusOf(await caller.bye()), 200);
      const row = await m.h.finalRow(caller.callId);
      await m.noChannelsLeft();
      assert.equal(row.status, 'answered');
      assert.equal(row.recordingStatus, 'unavailable');
      assert.match(row.recordingError ?? '', /FreeSWITCH failed while connecting the answered call/);
    } finally {
      m.faults.failReinvite = undefined;
    }
  });

  it('FreeSWITCH failing on the target\'s early media: the caller hears ringing (180), then the call connects without FreeSWITCH', async () => {
    m.faults.failReinvite = 500;
    try {
      const caller = m.h.fake.sip.placeCall({ from: '79161230011', to: '+74950000001' });
      const callee = await m.h.fake.sip.nextInvite();
      callee.progress(sdp('pbx-announcement', 7400));
      await caller.waitForStatus(180);
      callee.answer();
      const final = await caller.finalResponse();
      assert.equal(final.status, 200);
      assert.equal(final.msg.body, CALLEE_SDP, 'the target was re-pointed at the caller');
      assert.deepEqual(caller.codes(), [100, 180, 200]);
      assert.equal(statusOf(await callee.bye()), 200);
      const row = await m.h.finalRow(caller.callId);
      await m.noChannelsLeft();
      assert.equal(row.recordingStatus, 'unavailable');
    } finally {
      m.faults.failReinvite = undefined;
    }
  });

  it('FreeSWITCH refusing one re-INVITE mid-call: that one fails, the next re-INVITE of the same endpoint is answered (it waited for the media timeout, then 500)', async () => {
    const { caller } = await answeredCall(m.h);
    const [epA] = m.openChannels();
    assert.ok(epA);
    m.faults.failReinvite = 488;
    try {
      assert.ok(statusOf(await caller.reinvite(sdp('caller', 7470, 'sendonly', 2))) >= 400, 'FreeSWITCH refused the first');
    } finally {
      m.faults.failReinvite = undefined;
    }
    // drachtio-srf queues a dialog's re-INVITEs and never counted a refused one down: the next
    // one waited for it forever (here: until calltrack's media timeout, then a 500).
    const unhold = sdp('caller', 7470, 'sendrecv', 3);
    assert.equal(statusOf(await caller.reinvite(unhold)), 200);
    assert.equal(epA.remoteSdp, unhold);
    assert.equal(statusOf(await caller.bye()), 200);
    await m.h.finalRow(caller.callId);
    await m.noChannelsLeft();
  });

  it('FreeSWITCH drops the media mid-call: both legs get a BYE and the row is final', async () => {
    m.fs.recordedSeconds = 3;
    const caller = m.h.fake.sip.placeCall({ from: '79161230007', to: '+74950000001' });
    const callee = await m.h.fake.sip.nextInvite();
    callee.answer();
    assert.equal((await caller.finalResponse()).status, 200);
    await m.h.answered(caller.callId);
    const epA = m.openChannels().find((c) => c.remoteSdp === CALLER_SDP);
    assert.ok(epA);
    await waitFor(() => epA.recording !== undefined, 'recording started');
    m.fs.hangup(epA, 'MEDIA_TIMEOUT');
    await caller.waitForRequest('BYE');
    await callee.waitForRequest('BYE');
    const row = await m.h.finalRow(caller.callId);
    await m.noChannelsLeft();
    assert.equal(row.hangupBy, 'system');
    assert.equal(row.recordingStatus, 'saved', 'what was recorded until then is kept');
  });

  it('FreeSWITCH frozen: endpoint creation gives up on calltrack\'s timer and the call is forwarded at once without FreeSWITCH', async () => {
    m.fs.freeze();
    const caller = m.h.fake.sip.placeCall({ from: '79161230008', to: '+74950000001' });
    const callee = await m.h.fake.sip.nextInvite(15_000);
    assert.equal(callee.invite.body, CALLER_SDP);
    m.fs.thaw();
    callee.answer();
    assert.equal((await caller.finalResponse()).status, 200);
    assert.equal(statusOf(await caller.bye()), 200);
    const row = await m.h.finalRow(caller.callId);
    await m.noChannelsLeft();
    assert.equal(row.recordingStatus, 'unavailable');
    assert.match(row.recordingError ?? '', /did not complete endpoint creation within 3000 ms/);
  });

  it('FreeSWITCH down at call time: a plain B2BUA at once, the row says why it was not recorded', async () => {
    await m.fs.stop();
    await waitFor(() => m.h.app.media.connection?.state.get().state === 'down', 'FreeSWITCH down');
    const caller = m.h.fake.sip.placeCall({ from: '79161230009', to: '+74950000001' });
    const callee = await m.h.fake.sip.nextInvite();
    assert.equal(callee.invite.body, CALLER_SDP);
    callee.answer();
    assert.equal((await caller.finalResponse()).msg.body, CALLEE_SDP);
    assert.equal(statusOf(await callee.bye()), 200);
    const row = await m.h.finalRow(caller.callId);
    assert.equal(row.status, 'answered');
    assert.equal(row.recordingStatus, 'unavailable');
    assert.match(row.recordingError ?? '', /FreeSWITCH/);
    const health = (await m.h.app.http.inject({ url: '/healthz' })).json<{ components: Record<string, { state: string }> }>();
    assert.equal(health.components.freeswitch?.state, 'down');
  });
});

/** The o= line's fields after "o=" (username, session id, version, ...). */
function originOf(sdpText: string): string {
  return /^o=(.*)$/m.exec(sdpText)?.[1]?.trim() ?? '';
}
