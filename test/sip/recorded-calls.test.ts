import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CALLEE_SDP, CALLER_SDP, sdp } from '../support/fake-drachtio/parties.js';
import { statusOf } from '../support/fake-drachtio/sip-text.js';
import { startMediaHarness, US_RINGBACK, type MediaHarness } from '../support/media-harness.js';
import { waitFor } from '../support/wait.js';

/**
 * Issue 7 end to end: the real drachtio-srf (against the fake drachtio-server) and the real
 * drachtio-fsmrf (against the fake FreeSWITCH event socket, its SIP profile on the fake network).
 */
describe('calls anchored and recorded in FreeSWITCH (real drachtio-srf + drachtio-fsmrf)', () => {
  let m: MediaHarness;
  before(async () => {
    m = await startMediaHarness();
  });
  after(() => m.stop());

  it('answered and recorded, the caller hangs up: caller answered only on the target\'s 200, stereo file under rec/, row has path, size, duration', async () => {
    m.fs.recordedSeconds = 42;
    const caller = m.h.fake.sip.placeCall({ from: '79161234567', to: '84950000001' });
    const callee = await m.h.fake.sip.nextInvite();
    assert.match(callee.invite.body, /o=FreeSWITCH/, 'the target gets FreeSWITCH\'s offer');
    assert.match(callee.invite.body, /RTP\/AVP 0 8/);
    assert.equal(m.fs.channelCount, 2, 'an endpoint for each side');
    const [epA, epB] = m.openChannels();
    assert.ok(epA && epB);
    assert.equal(epA.remoteSdp, CALLER_SDP, 'the caller-side endpoint has the caller\'s offer');

    m.h.clock.advance(2_000);
    callee.ring();
    await caller.waitForStatus(180);
    assert.ok(!caller.codes().some((c) => c >= 200), 'not answered while the target rings');
    m.h.clock.advance(3_000);
    callee.answer();
    const final = await caller.finalResponse();
    assert.equal(final.status, 200);
    assert.equal(final.msg.body, epA.localSdp, 'the caller talks to FreeSWITCH');
    assert.equal(epB.remoteSdp, CALLEE_SDP, 'the target\'s answer went to its endpoint');
    assert.equal(epA.bridgedTo, epB.uuid);
    await m.h.answered(caller.callId);
    await waitFor(() => epA.recording !== undefined, 'recording started');
    assert.equal(epA.vars.RECORD_STEREO, 'true');
    assert.match(epA.recording ?? '', /\/rec\/2026\/11\/23\/[0-9a-f-]{36}\.wav$/);
    assert.ok(path.isAbsolute(epA.recording ?? ''));
    // While the call lasts, its row (the dashboard's live calls, the admin API) says it is being recorded.
    const live = await m.h.rowWhen(caller.callId, (r) => r.recordingStatus !== null);
    assert.deepEqual({ s: live.recordingStatus, path: live.recordingPath, ended: live.endedAt }, { s: 'recording', path: `2026/11/23/${live.id}.wav`, ended: null });

    m.h.clock.advance(42_000);
    assert.equal(statusOf(await caller.bye()), 200);
    await callee.waitForRequest('BYE');
    const row = await m.h.finalRow(caller.callId);
    await m.noChannelsLeft();
    assert.deepEqual(
      { status: row.status, hangupBy: row.hangupBy, ringSeconds: row.ringSeconds, talkSeconds: row.talkSeconds },
      { status: 'answered', hangupBy: 'caller', ringSeconds: 5, talkSeconds: 42 },
    );
    assert.equal(row.recordingStatus, 'saved');
    assert.equal(row.recordingPath, `2026/11/23/${row.id}.wav`);
    assert.equal(row.recordingDuration, 42);
    assert.equal(row.recordingSize, 44 + 42 * 8000 * 2 * 2);
    assert.ok(existsSync(path.join(m.h.dir, 'rec', row.recordingPath)));
  });

  it("a re-INVITE without SDP from the caller: offered its endpoint's SDP, its answer in the ACK goes to FreeSWITCH, the target is not disturbed", async () => {
    const caller = m.h.fake.sip.placeCall({ from: '79161239999', to: '+74950000001' });
    const callee = await m.h.fake.sip.nextInvite();
    callee.answer();
    await caller.finalResponse();
    await m.h.answered(caller.callId);
    const [epA] = m.openChannels();
    assert.ok(epA);
    const moved = sdp('caller', 7460, 'sendrecv', 2);
    const res = await caller.reinviteWithoutOffer(moved);
    assert.equal(statusOf(res), 200);
    assert.equal(res.body, epA.localSdp, "offered the caller-side endpoint's SDP");
    await waitFor(() => epA.remoteSdp === moved, "FreeSWITCH got the caller's new SDP");
    assert.equal(callee.requests.all.filter((r) => r.startLine.startsWith('INVITE')).length, 1, 'no re-INVITE reached the target');
    await caller.bye();
    await callee.waitForRequest('BYE');
    assert.equal((await m.h.finalRow(caller.callId)).recordingStatus, 'saved');
    await m.noChannelsLeft();
  });

  it('answered and recorded, the target hangs up: both legs and both endpoints end, the file is saved', async () => {
    m.fs.recordedSeconds = 7;
    const caller = m.h.fake.sip.placeCall({ from: '79161230000', to: '+74950000001' });
    const callee = await m.h.fake.sip.nextInvite();
    callee.answer();
    assert.equal((await caller.finalResponse()).status, 200);
    await m.h.answered(caller.callId);
    await waitFor(() => m.openChannels().some((c) => c.recording), 'recording started');
    m.h.clock.advance(7_000);
    assert.equal(statusOf(await callee.bye()), 200);
    await caller.waitForRequest('BYE');
    const row = await m.h.finalRow(caller.callId);
    await m.noChannelsLeft();
    assert.deepEqual({ status: row.status, hangupBy: row.hangupBy, talk: row.talkSeconds }, { status: 'answered', hangupBy: 'callee', talk: 7 });
    assert.deepEqual({ s: row.recordingStatus, d: row.recordingDuration, e: row.recordingError }, { s: 'saved', d: 7, e: null });
  });

  it('busy: 486 reaches the caller, no channel is left, nothing is recorded', async () => {
    const caller = m.h.fake.sip.placeCall({ from: '79161230001', to: '+74950000001' });
    const callee = await m.h.fake.sip.nextInvite();
    callee.ring();
    await caller.waitForStatus(180);
    callee.reject(486);
    assert.equal((await caller.finalResponse()).status, 486);
    const row = await m.h.finalRow(caller.callId);
    await m.noChannelsLeft();
    assert.equal(row.status, 'busy');
    assert.equal(row.recordingStatus, null);
  });

  it('cancel while ringing: the target is CANCELled and both endpoints are hung up', async () => {
    const caller = m.h.fake.sip.placeCall({ from: '79161230002', to: '+74950000001' });
    const callee = await m.h.fake.sip.nextInvite();
    callee.ring();
    await caller.waitForStatus(180);
    assert.equal(m.fs.channelCount, 2);
    caller.cancel();
    await callee.waitForRequest('CANCEL');
    assert.equal((await caller.finalResponse()).status, 487);
    const row = await m.h.finalRow(caller.callId);
    await m.noChannelsLeft();
    assert.equal(row.status, 'canceled');
    assert.equal(row.recordingStatus, null);
  });

  it('early media: the target\'s 183 goes to its endpoint, the caller gets a 183 with FreeSWITCH\'s SDP, bridged before the answer', async () => {
    const caller = m.h.fake.sip.placeCall({ from: '79161230003', to: '+74950000001' });
    const callee = await m.h.fake.sip.nextInvite();
    const [epA, epB] = m.openChannels();
    assert.ok(epA && epB);
    const early = sdp('pbx-announcement', 7400);
    callee.progress(early);
    const p183 = await caller.waitForStatus(183);
    assert.equal(p183.body, epA.localSdp, 'the caller hears FreeSWITCH, which carries the target\'s early media');
    assert.equal(epB.remoteSdp, early);
    assert.equal(epA.bridgedTo, epB.uuid);
    assert.ok(!caller.codes().some((c) => c >= 200), 'not answered by early media');
    callee.answer(early);
    const final = await caller.finalResponse();
    assert.equal(final.status, 200);
    assert.equal(final.msg.body, epA.localSdp);
    assert.deepEqual(caller.codes(), [100, 183, 200]);
    assert.equal(statusOf(await caller.bye()), 200);
    await m.h.finalRow(caller.callId);
    await m.noChannelsLeft();
  });

  it('late offer (INVITE without SDP): anchored and recorded; the caller\'s 200 carries FreeSWITCH\'s offer, its ACK the answer, the notice plays after the ACK', async () => {
    m.fs.recordedSeconds = 30;
    const caller = m.h.fake.sip.placeCall({ from: '79161230005', to: '+74950000101', sdp: '', ackSdp: CALLER_SDP });
    const callee = await m.h.fake.sip.nextInvite();
    assert.match(callee.invite.body, /o=FreeSWITCH/, "the target gets FreeSWITCH's offer");
    const [epA, epB] = m.openChannels();
    assert.ok(epA && epB);
    callee.progress(sdp('callee-early', 7390));
    callee.ring();
    await caller.waitForStatus(180);

    let finishWhisper = () => {};
    m.fs.playbackGate = new Promise((resolve) => (finishWhisper = resolve));
    callee.answer();
    await waitFor(() => epB.played.includes('/sounds/whisper-ads.wav'), 'the whisper to the target');
    let finishNotice = () => {};
    m.fs.playbackGate = new Promise((resolve) => (finishNotice = resolve));
    finishWhisper();
    const final = await caller.finalResponse();
    assert.equal(final.status, 200);
    assert.equal(mediaOf(final.msg.body), mediaOf(epA.localSdp), "the caller's 200 offers FreeSWITCH's caller-side endpoint");
    assert.deepEqual(caller.codes(), [100, 180, 200], 'no SDP before the 200 (the caller could not answer it): a 180 for the 183');
    await waitFor(() => epA.played.includes('/sounds/recorded.wav'), 'the recording notice, once the ACK brought the caller\'s answer');
    assert.equal(epA.remoteSdp, CALLER_SDP, "the caller's answer went to its endpoint");
    assert.equal(epA.bridgedTo, undefined, 'the caller hears the notice before it hears the target');
    m.fs.playbackGate = undefined;
    finishNotice();
    await waitFor(() => epA.bridgedTo === epB.uuid, 'caller and target bridged');
    assert.equal(epB.remoteSdp, CALLEE_SDP);
    await m.h.answered(caller.callId);
    await waitFor(() => epA.recording !== undefined, 'recording started');

    assert.equal(statusOf(await caller.bye()), 200);
    await callee.waitForRequest('BYE');
    const row = await m.h.finalRow(caller.callId);
    await m.noChannelsLeft();
    assert.deepEqual({ status: row.status, recording: row.recordingStatus, seconds: row.recordingDuration }, { status: 'answered', recording: 'saved', seconds: 30 });
  });

  it('recording notice before dialling, ringback while the target rings, whisper to the target before the caller\'s 200', async () => {
    const caller = m.h.fake.sip.placeCall({ from: '79161230004', to: '+74950000101' });
    const notice = await caller.waitForStatus(183);
    const callee = await m.h.fake.sip.nextInvite();
    const [epA, epB] = m.openChannels();
    assert.ok(epA && epB);
    assert.equal(notice.body, epA.localSdp);
    assert.deepEqual(epA.played, ['/sounds/recorded.wav'], 'the notice was played before the target was dialled');
    callee.ring();
    await waitFor(() => epA.played.includes(US_RINGBACK), 'the configured ringback (media.ringback) played to the caller');
    assert.deepEqual(caller.codes(), [100, 183], 'no 180: the caller already hears our media');

    let finishWhisper = () => {};
    m.fs.playbackGate = new Promise((resolve) => (finishWhisper = resolve));
    callee.answer();
    await waitFor(() => epB.played.includes('/sounds/whisper-ads.wav'), 'the whisper to the target');
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(!caller.codes().includes(200), 'the caller is connected only after the whisper');
    m.fs.playbackGate = undefined;
    finishWhisper();
    assert.equal((await caller.finalResponse()).status, 200);
    assert.equal(epA.bridgedTo, epB.uuid);
    await m.h.answered(caller.callId);
    await waitFor(() => epA.recording !== undefined, 'recording started');
    assert.equal(statusOf(await caller.bye()), 200);
    const row = await m.h.finalRow(caller.callId);
    await m.noChannelsLeft();
    assert.equal(row.poolName, 'ads');
    assert.equal(row.recordingStatus, 'saved');
  });
});

describe('an anchored call nobody answers', () => {
  let m: MediaHarness;
  before(async () => {
    m = await startMediaHarness({ ringTimeoutMs: 300 });
  });
  after(() => m.stop());

  it('no-answer: the ring timer CANCELs the target, the caller gets 480, both endpoints are hung up', async () => {
    const caller = m.h.fake.sip.placeCall({ from: '79161230010', to: '+74950000001' });
    const callee = await m.h.fake.sip.nextInvite();
    assert.equal(m.fs.channelCount, 2);
    callee.ring();
    await callee.waitForRequest('CANCEL');
    assert.equal((await caller.finalResponse()).status, 480);
    const row = await m.h.finalRow(caller.callId);
    await m.noChannelsLeft();
    assert.equal(row.status, 'no-answer');
    assert.equal(row.recordingStatus, null);
  });
});

/** The media address and port of an SDP (FreeSWITCH may rewrite the rest after a re-INVITE). */
function mediaOf(body: string): string {
  return [/c=IN IP4 \S+/.exec(body)?.[0], /m=audio \d+/.exec(body)?.[0]].join(' ');
}
