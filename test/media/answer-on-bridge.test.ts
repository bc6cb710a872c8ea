import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { AnswerOnBridgeFlow, type ForwardOutcome } from '../../src/media/answer-on-bridge.js';
import { boundMediaPort } from '../../src/media/bounded-media-port.js';
import type { MediaPolicy } from '../../src/media/media-policy.js';
import { recordingLocation } from '../../src/media/recording-files.js';
import { FakeMediaPort } from '../support/fake-media-port.js';
import { FakeCallee, FakeCaller } from '../support/fake-sip-legs.js';
import { testLogger } from '../support/logger.js';
import { ManualTimers } from '../support/manual-timers.js';
import { tempDir } from '../support/temp.js';
import { stereoWav } from '../support/wav.js';

const STARTED = Date.UTC(2026, 10, 23, 10, 0, 0);

function setup(policy: Partial<MediaPolicy> = {}) {
  return setupWith(() => undefined, policy);
}

function setupWith(script: (fake: FakeMediaPort) => void, policy: Partial<MediaPolicy> = {}) {
  const fake = new FakeMediaPort();
  script(fake);
  const timers = new ManualTimers();
  const dir = tempDir();
  const dirs = { local: dir, freeswitch: '/usr/local/freeswitch/recordings' };
  const port = boundMediaPort(fake, { timeoutMs: 3000, promptTimeoutMs: 30000 }, testLogger(), timers);
  const flow = new AnswerOnBridgeFlow(
    { port, dirs, timers, logger: testLogger() },
    { callId: 'call-1', startedAt: STARTED, ringTimeoutMs: 40000, policy: { record: true, stereo: true, minRecordingSeconds: 0, ...policy } },
  );
  const caller = new FakeCaller();
  const callee = new FakeCallee();
  const connecting: Promise<ForwardOutcome> = flow.connect(caller, callee);
  return { fake, timers, dirs, flow, caller, callee, connecting };
}

/** What FreeSWITCH leaves in the shared directory for call-1: a 2.5 s stereo WAV. */
function writeRecording(dirs: { local: string; freeswitch: string }, seconds = 2.5): void {
  const loc = recordingLocation(dirs, 'call-1', STARTED);
  mkdirSync(path.dirname(loc.local), { recursive: true });
  writeFileSync(loc.local, stereoWav(seconds));
}

describe('answer-on-bridge media flow', () => {
  it('answers the caller only when the callee answers, bridges, records stereo under dir/date/call id', async () => {
    const t = setup();
    await t.callee.dialed;
    assert.deepEqual(t.fake.log, ['create ep1', 'create ep2 3pcc']);
    assert.deepEqual(t.callee.events, ['INVITE ep2-offer']);
    t.callee.provisional(180);
    await tick();
    assert.deepEqual(t.caller.sent, ['180'], 'ringing relayed, caller not answered');
    t.callee.answer();
    assert.deepEqual(await t.connecting, { kind: 'answered', anchored: true });
    assert.deepEqual(t.caller.sent, ['180', '200 ep1-sendrecv']);
    assert.deepEqual(t.fake.log.slice(2), [
      'modify ep2',
      'bridge ep1 ep2',
      'record ep1 stereo /usr/local/freeswitch/recordings/2026/11/23/call-1.wav',
    ]);
    assert.equal(t.flow.recording.recordingStatus, 'recording');
    assert.equal(t.fake.openCount, 2);

    writeRecording(t.dirs);
    const rec = await t.flow.release();
    assert.equal(t.fake.openCount, 0);
    assert.deepEqual(rec, {
      recordingStatus: 'saved',
      recordingError: null,
      recordingPath: '2026/11/23/call-1.wav',
      recordingSize: 44 + 2.5 * 8000 * 4,
      recordingDuration: 2.5,
    });
    assert.ok(t.fake.log.includes('stop-record ep1 /usr/local/freeswitch/recordings/2026/11/23/call-1.wav'));
  });

  it('release from both hangup sides at once tears down once and leaves no channel', async () => {
    const t = setup({ minRecordingSeconds: 5 });
    await t.callee.dialed;
    t.callee.answer();
    await t.connecting;
    writeRecording(t.dirs, 1);
    const [a, b] = await Promise.all([t.flow.release(), t.flow.release()]);
    assert.equal(a, b);
    assert.equal(a.recordingStatus, 'saved');
    assert.match(a.recordingError ?? '', /shorter than recording.minSeconds \(5 s\); kept/);
    assert.equal(t.fake.log.filter((l) => l.startsWith('destroy')).length, 2);
    assert.equal(t.fake.openCount, 0);
  });

  it('busy: 486 goes back to the caller, nothing is recorded, no channel is left', async () => {
    const t = setup();
    await t.callee.dialed;
    t.callee.provisional(180);
    t.callee.reject(486);
    assert.deepEqual(await t.connecting, { kind: 'failed', status: 486, disposition: 'busy' });
    const rec = await t.flow.release();
    assert.equal(rec.recordingStatus, null);
    assert.equal(t.fake.openCount, 0);
  });

  it('cancel while ringing cancels the callee and leaves no channel', async () => {
    const t = setup();
    await t.callee.dialed;
    t.callee.provisional(180);
    t.caller.cancel();
    assert.deepEqual(await t.connecting, { kind: 'canceled' });
    assert.deepEqual(t.callee.events, ['INVITE ep2-offer', 'CANCEL caller-canceled']);
    await t.flow.release();
    assert.equal(t.fake.openCount, 0);
  });

  it('cancel while FreeSWITCH is still creating the endpoint never dials the callee', async () => {
    const fake = new FakeMediaPort();
    fake.misbehave('createEndpoint', { hang: true });
    const timers = new ManualTimers();
    const port = boundMediaPort(fake, { timeoutMs: 3000, promptTimeoutMs: 30000 }, testLogger(), timers);
    const flow = new AnswerOnBridgeFlow(
      { port, dirs: { local: tempDir(), freeswitch: '/rec' }, timers, logger: testLogger() },
      { callId: 'c', startedAt: STARTED, ringTimeoutMs: 40000, policy: { record: true, stereo: true, minRecordingSeconds: 0 } },
    );
    const caller = new FakeCaller();
    const callee = new FakeCallee();
    const connecting = flow.connect(caller, callee);
    caller.cancel();
    fake.releaseHung();
    assert.deepEqual(await connecting, { kind: 'canceled' });
    assert.deepEqual(callee.events, []);
    await flow.release();
    assert.equal(fake.openCount, 0);
  });

  it('callee answering across the caller\'s CANCEL is hung up', async () => {
    const t = setup();
    await t.callee.dialed;
    t.callee.answer();
    t.caller.cancel();
    assert.deepEqual(await t.connecting, { kind: 'canceled' });
    assert.deepEqual(t.callee.events.at(-1), 'BYE');
    await t.flow.release();
    assert.equal(t.fake.openCount, 0);
  });

  it('no-answer: the ring timer cancels the callee and the caller gets 480', async () => {
    const t = setup();
    await t.callee.dialed;
    t.timers.advance(40000);
    assert.deepEqual(await t.connecting, { kind: 'failed', status: 480, disposition: 'no-answer' });
    assert.deepEqual(t.callee.events.at(-1), 'CANCEL no-answer');
    await t.flow.release();
    assert.equal(t.fake.openCount, 0);
  });

  it('early media: the callee\'s 183 is bridged and relayed once; the same SDP in the 200 is not re-sent', async () => {
    const t = setup();
    await t.callee.dialed;
    t.callee.provisional(183, 'v=0\r\ns=callee-early\r\n');
    t.callee.provisional(180);
    t.callee.answer('v=0\r\ns=callee-early\r\n');
    await t.connecting;
    assert.deepEqual(t.caller.sent, ['183 ep1-sendrecv', '200 ep1-sendrecv']);
    assert.deepEqual(t.fake.log.filter((l) => /^(modify|bridge)/.test(l)), ['modify ep2', 'bridge ep1 ep2']);
    await t.flow.release();
    assert.equal(t.fake.openCount, 0);
  });

  it('whisper plays to the answering party before the bridge and before the caller\'s 200', async () => {
    const t = setup({ whisper: '/sounds/from-yandex.wav' });
    await t.callee.dialed;
    t.callee.answer();
    await t.connecting;
    assert.deepEqual(t.fake.log.slice(2, 5), ['modify ep2', 'play ep2 /sounds/from-yandex.wav', 'bridge ep1 ep2']);
    assert.deepEqual(t.caller.sent, ['200 ep1-sendrecv']);
    await t.flow.release();
    assert.equal(t.fake.openCount, 0);
  });

  it('recording notice plays to the caller as early media before the callee is dialled', async () => {
    const t = setup({ recordingNotice: '/sounds/recorded.wav' });
    await t.callee.dialed;
    assert.deepEqual(t.caller.sent, ['183 ep1-sendrecv']);
    assert.deepEqual(t.fake.log, ['create ep1', 'create ep2 3pcc', 'play ep1 /sounds/recorded.wav']);
    t.callee.provisional(180);
    await tick();
    assert.equal(t.fake.log.at(-1), 'play ep1 tone_stream://%(1000,4000,425);loop=-1', 'ringback, since the caller has our SDP');
    t.callee.answer();
    await t.connecting;
    await t.flow.release();
    assert.equal(t.fake.openCount, 0);
  });

  it('FreeSWITCH down at call time: plain B2BUA at once, recording unavailable with the reason', async () => {
    const fake = new FakeMediaPort();
    fake.setUnavailable('not connected to FreeSWITCH at 127.0.0.1:8021: connect ECONNREFUSED');
    const timers = new ManualTimers();
    const flow = new AnswerOnBridgeFlow(
      { port: fake, dirs: { local: tempDir(), freeswitch: '/rec' }, timers, logger: testLogger() },
      { callId: 'c', startedAt: STARTED, ringTimeoutMs: 40000, policy: { record: true, stereo: true, minRecordingSeconds: 0 } },
    );
    const outcome = await flow.connect(new FakeCaller(), new FakeCallee());
    assert.equal(outcome.kind, 'plain');
    const rec = await flow.release();
    assert.equal(rec.recordingStatus, 'unavailable');
    assert.match(rec.recordingError ?? '', /ECONNREFUSED/);
    assert.deepEqual(fake.log, []);
  });

  it('FreeSWITCH frozen mid-setup: our timeout gives plain B2BUA; the late endpoint is destroyed', async () => {
    const fake = new FakeMediaPort();
    fake.misbehave('createEndpoint', { hang: true });
    const timers = new ManualTimers();
    const port = boundMediaPort(fake, { timeoutMs: 3000, promptTimeoutMs: 30000 }, testLogger(), timers);
    const flow = new AnswerOnBridgeFlow(
      { port, dirs: { local: tempDir(), freeswitch: '/rec' }, timers, logger: testLogger() },
      { callId: 'c', startedAt: STARTED, ringTimeoutMs: 40000, policy: { record: true, stereo: true, minRecordingSeconds: 0 } },
    );
    const connecting = flow.connect(new FakeCaller(), new FakeCallee());
    timers.advance(3000);
    const outcome = await connecting;
    assert.equal(outcome.kind, 'plain');
    assert.match(outcome.kind === 'plain' ? outcome.reason : '', /did not complete endpoint creation within 3000 ms/);
    fake.releaseHung();
    await tick();
    assert.equal(fake.openCount, 0, 'the endpoint FreeSWITCH made after resuming is hung up');
  });

  it('FreeSWITCH failing on the 3pcc endpoint destroys the first one and falls back', async () => {
    const t = setupWith((fake) => fake.misbehave('createEndpoint', { ok: true }, { fail: 'Sip non-success response: 503' }));
    const outcome = await t.connecting;
    assert.equal(outcome.kind, 'plain');
    assert.match(outcome.kind === 'plain' ? outcome.reason : '', /FreeSWITCH endpoint creation \(3pcc\) failed: Sip non-success response: 503/);
    assert.deepEqual(t.callee.events, []);
    assert.equal(t.fake.openCount, 0);
  });

  it('FreeSWITCH failing after the callee answered: the callee is re-pointed at the caller, call unrecorded', async () => {
    const t = setupWith((fake) => fake.misbehave('bridge', { fail: '-ERR no such channel' }));
    await t.callee.dialed;
    t.callee.answer();
    assert.deepEqual(await t.connecting, { kind: 'answered', anchored: false });
    assert.deepEqual(t.callee.events, ['INVITE ep2-offer', 're-INVITE caller']);
    assert.deepEqual(t.caller.sent, ['200 callee']);
    assert.equal(t.fake.openCount, 0);
    const rec = await t.flow.release();
    assert.equal(rec.recordingStatus, 'unavailable');
    assert.match(rec.recordingError ?? '', /bridge failed: -ERR no such channel/);
  });

  it('record_session failing leaves the call connected and says why it is unrecorded', async () => {
    const t = setupWith((fake) => fake.misbehave('startRecording', { fail: 'boom' }));
    await t.callee.dialed;
    t.callee.answer();
    assert.deepEqual(await t.connecting, { kind: 'answered', anchored: true });
    const rec = await t.flow.release();
    assert.equal(rec.recordingStatus, 'unavailable');
    assert.match(rec.recordingError ?? '', /record_session failed: boom/);
    assert.equal(t.fake.openCount, 0);
  });

  it('a recording FreeSWITCH never wrote is reported missing with a hint', async () => {
    const t = setup();
    await t.callee.dialed;
    t.callee.answer();
    await t.connecting;
    const rec = await t.flow.release();
    assert.equal(rec.recordingStatus, 'missing');
    assert.match(rec.recordingError ?? '', /shared directory/);
  });

  it('FreeSWITCH dropping a channel mid-call is reported to the session', async () => {
    const t = setup();
    const lost: string[] = [];
    t.flow.onMediaLost((r) => lost.push(r));
    await t.callee.dialed;
    t.callee.answer();
    await t.connecting;
    t.fake.dropChannel('ep1', 'MEDIA_TIMEOUT');
    assert.deepEqual(lost, ['FreeSWITCH dropped channel ep1: MEDIA_TIMEOUT']);
    await t.flow.release();
    assert.equal(t.fake.openCount, 0);
  });
});

function tick(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
