import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeFreeSwitch } from '../support/fake-freeswitch.js';
import { attachFreeSwitch, type FreeSwitchSipFaults } from '../support/fake-freeswitch-sip.js';
import { CALLEE_SDP, CALLER_SDP, sdp } from '../support/fake-drachtio/parties.js';
import { methodOf, statusOf } from '../support/fake-drachtio/sip-text.js';
import { startSipHarness, type SipHarness } from '../support/sip-harness.js';
import { waitFor } from '../support/wait.js';

/**
 * Issue 7 end to end: the real drachtio-srf (against the fake drachtio-server) and the real
 * drachtio-fsmrf (against the fake FreeSWITCH event socket, its SIP profile on the fake network).
 */
describe('calls anchored and recorded in FreeSWITCH (real drachtio-srf + drachtio-fsmrf)', () => {
  let h: SipHarness;
  const fs = new FakeFreeSwitch();
  const faults: FreeSwitchSipFaults = {};
  before(async () => {
    const eslPort = await fs.listen();
    h = await startSipHarness({
      doc: (d) => {
        d.media = { freeswitch: { host: '127.0.0.1', port: eslPort, listenAddress: '127.0.0.1', listenPort: 0 }, recording: { enabled: true, dir: 'rec' } };
        // The pool's calls get a recording notice before dialling and a whisper to whoever answers.
        const pools = d.pools as Array<Record<string, unknown>>;
        Object.assign(pools[0]!, { recordingNotice: '/sounds/recorded.wav', whisper: '/sounds/whisper-ads.wav' });
      },
    });
    attachFreeSwitch(h.fake.sip, fs, faults);
    await waitFor(() => h.app.media.connection?.state.get().state === 'up', 'FreeSWITCH connection up');
  });
  after(async () => {
    await h.stop();
    await fs.stop();
  });

  const noChannelsLeft = () => waitFor(() => fs.channelCount === 0 && h.fake.sip.openDialogs().length === 0, () => `zero FreeSWITCH channels and SIP dialogs (channels ${fs.channelCount}, dialogs ${h.fake.sip.openDialogs().join(' ')})`);

  it('answered and recorded, the caller hangs up: caller answered only on the target\'s 200, stereo file under rec/, row has path, size, duration', async () => {
    fs.recordedSeconds = 42;
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '84950000001' });
    const callee = await h.fake.sip.nextInvite();
    assert.match(callee.invite.body, /o=FreeSWITCH/, 'the target gets FreeSWITCH\'s offer');
    assert.match(callee.invite.body, /RTP\/AVP 0 8/);
    assert.equal(fs.channelCount, 2, 'an endpoint for each side');
    const [epA, epB] = [...fs.channels.values()].filter((c) => c.open);
    assert.ok(epA && epB);
    assert.equal(epA.remoteSdp, CALLER_SDP, 'the caller-side endpoint has the caller\'s offer');

    h.clock.advance(2_000);
    callee.ring();
    await caller.waitForStatus(180);
    assert.ok(!caller.codes().some((c) => c >= 200), 'not answered while the target rings');
    h.clock.advance(3_000);
    callee.answer();
    const final = await caller.finalResponse();
    assert.equal(final.status, 200);
    assert.equal(final.msg.body, epA.localSdp, 'the caller talks to FreeSWITCH');
    assert.equal(epB.remoteSdp, CALLEE_SDP, 'the target\'s answer went to its endpoint');
    assert.equal(epA.bridgedTo, epB.uuid);
    await h.answered(caller.callId);
    await waitFor(() => epA.recording !== undefined, 'recording started');
    assert.equal(epA.vars.RECORD_STEREO, 'true');
    assert.match(epA.recording ?? '', /\/rec\/2026\/11\/23\/[0-9a-f-]{36}\.wav$/);
    assert.ok(path.isAbsolute(epA.recording ?? ''));

    h.clock.advance(42_000);
    assert.equal(statusOf(await caller.bye()), 200);
    await callee.waitForRequest('BYE');
    const row = await h.finalRow(caller.callId);
    await noChannelsLeft();
    assert.deepEqual(
      { status: row.status, hangupBy: row.hangupBy, ringSeconds: row.ringSeconds, talkSeconds: row.talkSeconds },
      { status: 'answered', hangupBy: 'caller', ringSeconds: 5, talkSeconds: 42 },
    );
    assert.equal(row.recordingStatus, 'saved');
    assert.equal(row.recordingPath, `2026/11/23/${row.id}.wav`);
    assert.equal(row.recordingDuration, 42);
    assert.equal(row.recordingSize, 44 + 42 * 8000 * 2 * 2);
    assert.ok(existsSync(path.join(h.dir, 'rec', row.recordingPath)));
  });

  const openChannels = () => [...fs.channels.values()].filter((c) => c.open);

  it('answered and recorded, the target hangs up: both legs and both endpoints end, the file is saved', async () => {
    fs.recordedSeconds = 7;
    const caller = h.fake.sip.placeCall({ from: '79161230000', to: '+74950000001' });
    const callee = await h.fake.sip.nextInvite();
    callee.answer();
    assert.equal((await caller.finalResponse()).status, 200);
    await h.answered(caller.callId);
    await waitFor(() => openChannels().some((c) => c.recording), 'recording started');
    h.clock.advance(7_000);
    assert.equal(statusOf(await callee.bye()), 200);
    await caller.waitForRequest('BYE');
    const row = await h.finalRow(caller.callId);
    await noChannelsLeft();
    assert.deepEqual({ status: row.status, hangupBy: row.hangupBy, talk: row.talkSeconds }, { status: 'answered', hangupBy: 'callee', talk: 7 });
    assert.deepEqual({ s: row.recordingStatus, d: row.recordingDuration, e: row.recordingError }, { s: 'saved', d: 7, e: null });
  });

  it('busy: 486 reaches the caller, no channel is left, nothing is recorded', async () => {
    const caller = h.fake.sip.placeCall({ from: '79161230001', to: '+74950000001' });
    const callee = await h.fake.sip.nextInvite();
    callee.ring();
    await caller.waitForStatus(180);
    callee.reject(486);
    assert.equal((await caller.finalResponse()).status, 486);
    const row = await h.finalRow(caller.callId);
    await noChannelsLeft();
    assert.equal(row.status, 'busy');
    assert.equal(row.recordingStatus, null);
  });

  it('cancel while ringing: the target is CANCELled and both endpoints are hung up', async () => {
    const caller = h.fake.sip.placeCall({ from: '79161230002', to: '+74950000001' });
    const callee = await h.fake.sip.nextInvite();
    callee.ring();
    await caller.waitForStatus(180);
    assert.equal(fs.channelCount, 2);
    caller.cancel();
    await callee.waitForRequest('CANCEL');
    assert.equal((await caller.finalResponse()).status, 487);
    const row = await h.finalRow(caller.callId);
    await noChannelsLeft();
    assert.equal(row.status, 'canceled');
    assert.equal(row.recordingStatus, null);
  });

  it('early media: the target\'s 183 goes to its endpoint, the caller gets a 183 with FreeSWITCH\'s SDP, bridged before the answer', async () => {
    const caller = h.fake.sip.placeCall({ from: '79161230003', to: '+74950000001' });
    const callee = await h.fake.sip.nextInvite();
    const [epA, epB] = openChannels();
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
    await h.finalRow(caller.callId);
    await noChannelsLeft();
  });

  it('recording notice before dialling, ringback while the target rings, whisper to the target before the caller\'s 200', async () => {
    const caller = h.fake.sip.placeCall({ from: '79161230004', to: '+74950000101' });
    const notice = await caller.waitForStatus(183);
    const callee = await h.fake.sip.nextInvite();
    const [epA, epB] = openChannels();
    assert.ok(epA && epB);
    assert.equal(notice.body, epA.localSdp);
    assert.deepEqual(epA.played, ['/sounds/recorded.wav'], 'the notice was played before the target was dialled');
    callee.ring();
    await waitFor(() => epA.played.some((f) => f.startsWith('tone_stream://')), 'ringback played to the caller');
    assert.deepEqual(caller.codes(), [100, 183], 'no 180: the caller already hears our media');

    let finishWhisper = () => {};
    fs.playbackGate = new Promise((resolve) => (finishWhisper = resolve));
    callee.answer();
    await waitFor(() => epB.played.includes('/sounds/whisper-ads.wav'), 'the whisper to the target');
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(!caller.codes().includes(200), 'the caller is connected only after the whisper');
    fs.playbackGate = undefined;
    finishWhisper();
    assert.equal((await caller.finalResponse()).status, 200);
    assert.equal(epA.bridgedTo, epB.uuid);
    await h.answered(caller.callId);
    await waitFor(() => epA.recording !== undefined, 'recording started');
    assert.equal(statusOf(await caller.bye()), 200);
    const row = await h.finalRow(caller.callId);
    await noChannelsLeft();
    assert.equal(row.poolName, 'ads');
    assert.equal(row.recordingStatus, 'saved');
  });

  it('FreeSWITCH failing mid-setup (3pcc endpoint refused): the caller-side endpoint is freed and the call goes on as a plain B2BUA', async () => {
    faults.reject3pcc = true;
    try {
      const caller = h.fake.sip.placeCall({ from: '79161230005', to: '+74950000001' });
      const callee = await h.fake.sip.nextInvite();
      assert.equal(callee.invite.body, CALLER_SDP, 'the target gets the caller\'s own offer');
      await waitFor(() => fs.channelCount === 0, 'the caller-side endpoint hung up');
      callee.answer();
      const final = await caller.finalResponse();
      assert.equal(final.msg.body, CALLEE_SDP);
      assert.equal(statusOf(await callee.bye()), 200);
      const row = await h.finalRow(caller.callId);
      await noChannelsLeft();
      assert.equal(row.status, 'answered');
      assert.equal(row.recordingStatus, 'unavailable');
      assert.match(row.recordingError ?? '', /480/);
    } finally {
      faults.reject3pcc = false;
    }
  });

  it('FreeSWITCH failing when the target answers: the target is re-INVITEd with the caller\'s SDP, the caller still gets its 200', async () => {
    faults.failReinvite = 500;
    try {
      const caller = h.fake.sip.placeCall({ from: '79161230006', to: '+74950000001' });
      const callee = await h.fake.sip.nextInvite();
      callee.answer();
      const reinvite = await callee.requests.find((m) => methodOf(m) === 'INVITE' && m !== callee.invite, 'the re-INVITE to the target');
      assert.equal(reinvite.body, CALLER_SDP);
      const final = await caller.finalResponse();
      assert.equal(final.status, 200);
      assert.equal(final.msg.body, CALLEE_SDP);
      assert.equal(statusOf(await caller.bye()), 200);
      const row = await h.finalRow(caller.callId);
      await noChannelsLeft();
      assert.equal(row.status, 'answered');
      assert.equal(row.recordingStatus, 'unavailable');
      assert.match(row.recordingError ?? '', /FreeSWITCH failed while connecting the answered call/);
    } finally {
      faults.failReinvite = undefined;
    }
  });

  it('FreeSWITCH drops the media mid-call: both legs get a BYE and the row is final', async () => {
    fs.recordedSeconds = 3;
    const caller = h.fake.sip.placeCall({ from: '79161230007', to: '+74950000001' });
    const callee = await h.fake.sip.nextInvite();
    callee.answer();
    assert.equal((await caller.finalResponse()).status, 200);
    await h.answered(caller.callId);
    const epA = openChannels().find((c) => c.remoteSdp === CALLER_SDP);
    assert.ok(epA);
    await waitFor(() => epA.recording !== undefined, 'recording started');
    fs.hangup(epA, 'MEDIA_TIMEOUT');
    await caller.waitForRequest('BYE');
    await callee.waitForRequest('BYE');
    const row = await h.finalRow(caller.callId);
    await noChannelsLeft();
    assert.equal(row.hangupBy, 'system');
    assert.equal(row.recordingStatus, 'saved', 'what was recorded until then is kept');
  });

  it('FreeSWITCH frozen: endpoint creation gives up on calltrack\'s timer and the call is forwarded at once without FreeSWITCH', async () => {
    fs.freeze();
    const caller = h.fake.sip.placeCall({ from: '79161230008', to: '+74950000001' });
    const callee = await h.fake.sip.nextInvite(15_000);
    assert.equal(callee.invite.body, CALLER_SDP);
    fs.thaw();
    callee.answer();
    assert.equal((await caller.finalResponse()).status, 200);
    assert.equal(statusOf(await caller.bye()), 200);
    const row = await h.finalRow(caller.callId);
    await noChannelsLeft();
    assert.equal(row.recordingStatus, 'unavailable');
    assert.match(row.recordingError ?? '', /did not complete endpoint creation within 3000 ms/);
  });

  it('FreeSWITCH down at call time: a plain B2BUA at once, the row says why it was not recorded', async () => {
    await fs.stop();
    await waitFor(() => h.app.media.connection?.state.get().state === 'down', 'FreeSWITCH down');
    const caller = h.fake.sip.placeCall({ from: '79161230009', to: '+74950000001' });
    const callee = await h.fake.sip.nextInvite();
    assert.equal(callee.invite.body, CALLER_SDP);
    callee.answer();
    assert.equal((await caller.finalResponse()).msg.body, CALLEE_SDP);
    assert.equal(statusOf(await callee.bye()), 200);
    const row = await h.finalRow(caller.callId);
    assert.equal(row.status, 'answered');
    assert.equal(row.recordingStatus, 'unavailable');
    assert.match(row.recordingError ?? '', /FreeSWITCH/);
    const health = (await h.app.http.inject({ url: '/healthz' })).json<{ components: Record<string, { state: string }> }>();
    assert.equal(health.components.freeswitch?.state, 'down');
  });
});
