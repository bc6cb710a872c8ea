import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnchoredMediaPath } from '../../src/media/anchored-media-path.js';
import type { MediaPolicy } from '../../src/media/media-policy.js';
import { FakeMediaPort } from '../support/fake-media-port.js';
import { CALLEE_ANSWER, CALLER_OFFER } from '../support/sdp-samples.js';
import { testLogger } from '../support/logger.js';
import { tempDir } from '../support/temp.js';

function pathWith(policy: Partial<MediaPolicy> = {}, script: (f: FakeMediaPort) => void = () => undefined) {
  const fake = new FakeMediaPort();
  script(fake);
  const media = new AnchoredMediaPath(
    { port: fake, dirs: { local: tempDir(), freeswitch: '/rec' }, logger: testLogger() },
    { callId: 'c1', startedAt: Date.UTC(2026, 10, 23), policy: { record: true, stereo: true, minRecordingSeconds: 0, ringback: 'tone_stream://%(1000,4000,425);loop=-1', ...policy } },
  );
  return { fake, media };
}

/** The step-by-step shape a CallSession drives (SIP branch MediaPath): offer, early, answer, connected, reinvite, release. */
describe('anchored media path', () => {
  it('a call that needs no media passes every SDP through and touches no FreeSWITCH channel', async () => {
    const { fake, media } = pathWith({ record: false });
    assert.equal(await media.offerForTarget(CALLER_OFFER), CALLER_OFFER);
    assert.equal(await media.answerForCaller(CALLEE_ANSWER, 'answer'), CALLEE_ANSWER);
    await media.connected();
    assert.equal(await media.reinvite('caller', 'v=0 new', (s) => Promise.resolve(`relayed ${s}`)), 'relayed v=0 new');
    assert.equal((await media.release()).recordingStatus, null);
    assert.deepEqual(fake.log, []);
  });

  it('anchored: the target gets FreeSWITCH\'s offer, the caller the caller-side endpoint, re-INVITEs are answered locally', async () => {
    const { fake, media } = pathWith();
    const offer = await media.offerForTarget(CALLER_OFFER);
    assert.match(offer, /s=ep2-offer/);
    assert.match(await media.answerForCaller(CALLEE_ANSWER, 'early'), /s=ep1-sendrecv/);
    assert.match(await media.answerForCaller(CALLEE_ANSWER, 'answer'), /s=ep1-sendrecv/);
    await media.connected();
    assert.equal(media.recording.recordingStatus, 'recording');
    const relayed: string[] = [];
    const answer = await media.reinvite('target', 'v=0\r\ns=hold\r\n', (s) => (relayed.push(s), Promise.resolve(s)));
    assert.match(answer, /s=ep2-sendrecv/);
    assert.deepEqual(relayed, [], 'the other side is not bothered: FreeSWITCH decouples the legs');
    assert.deepEqual(fake.log.slice(0, 5), ['create ep1', 'create ep2 3pcc', 'modify ep2', 'bridge ep1 ep2', 'record ep1 stereo /rec/2026/11/23/c1.wav']);
    await media.release();
    assert.equal(fake.openCount, 0);
  });

  it("a re-INVITE without SDP is offered the endpoint's SDP; the answer re-INVITEs that endpoint, and a failure there is not the caller's", async () => {
    const { fake, media } = pathWith();
    await media.offerForTarget(CALLER_OFFER);
    const ep1Answer = await media.answerForCaller(CALLEE_ANSWER, 'answer');
    await media.connected();
    const relay = () => Promise.reject(new Error('the target must not be asked'));
    const delayed = await media.offerlessReinvite('caller', relay);
    assert.equal(delayed.offer, ep1Answer);
    await delayed.answer('v=0\r\ns=moved\r\n');
    assert.equal(fake.log.filter((l) => l === 'modify ep1').length, 1);
    await (await media.offerlessReinvite('caller', relay)).answer(undefined);
    assert.equal(fake.log.filter((l) => l === 'modify ep1').length, 1, 'no answer in the ACK: FreeSWITCH keeps what it had');
    fake.misbehave('modify', { fail: 'gone' });
    await (await media.offerlessReinvite('target', relay)).answer('v=0\r\ns=t\r\n');
    await media.release();
    assert.equal(fake.openCount, 0);
  });

  it('FreeSWITCH failing on answer without a way to re-INVITE the target: the error reaches the session', async () => {
    const { fake, media } = pathWith({}, (f) => f.misbehave('modify', { fail: 'gone' }));
    await media.offerForTarget(CALLER_OFFER);
    await assert.rejects(media.answerForCaller(CALLEE_ANSWER, 'answer'), /gone/);
    await media.release();
    assert.equal(fake.openCount, 0);
  });

  it('FreeSWITCH failing on answer with reofferTarget: the target is re-pointed at the caller, unrecorded', async () => {
    const { fake, media } = pathWith({}, (f) => f.misbehave('modify', { fail: 'gone' }));
    await media.offerForTarget(CALLER_OFFER);
    const reoffered: string[] = [];
    const sdp = await media.answerForCaller(CALLEE_ANSWER, 'answer', (s) => (reoffered.push(s), Promise.resolve('target-new-answer')));
    assert.equal(sdp, 'target-new-answer');
    assert.deepEqual(reoffered, [CALLER_OFFER]);
    assert.equal(media.anchored, false);
    assert.equal(fake.openCount, 0);
    await media.connected();
    const rec = await media.release();
    assert.equal(rec.recordingStatus, 'unavailable');
    assert.match(rec.recordingError ?? '', /gone/);
  });

  it('late offer: both endpoints offer, the caller joins only with its answer; a notice that fails leaves the call connected and unrecorded', async () => {
    const { fake, media } = pathWith({ recordingNotice: '/sounds/recorded.wav' }, (f) => f.misbehave('play', { fail: 'file not found' }));
    let earlyMediaSent = false;
    assert.match(await media.offerForTarget(''), /s=ep2-offer/);
    await media.beforeDial(() => (earlyMediaSent = true));
    assert.equal(earlyMediaSent, false, 'no SDP before the 200 for a caller that made no offer');
    const callerOffer = await media.answerForCaller(CALLEE_ANSWER, 'answer');
    assert.match(callerOffer, /s=ep1-offer/, "the caller's 200 offers its own endpoint");
    assert.ok(!fake.log.includes('bridge ep1 ep2'), 'not bridged before the caller answered');
    await media.callerAnswer(CALLER_OFFER);
    assert.equal(fake.endpoint('ep1').remoteSdp, CALLER_OFFER);
    assert.deepEqual(fake.log.slice(0, 4), ['create ep1 3pcc', 'create ep2 3pcc', 'modify ep2', 'modify ep1']);
    assert.ok(fake.log.includes('bridge ep1 ep2'), 'bridged although the notice failed');
    assert.equal(await media.connected(), undefined, 'not recorded without the notice the operator promised');
    const rec = await media.release();
    assert.equal(rec.recordingStatus, 'unavailable');
    assert.match(rec.recordingError ?? '', /recording notice could not be played: file not found/);
  });
});
