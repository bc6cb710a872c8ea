import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeFreeSwitch } from '../support/fake-freeswitch.js';
import { attachFreeSwitch } from '../support/fake-freeswitch-sip.js';
import { CALLEE_SDP, CALLER_SDP } from '../support/fake-drachtio/parties.js';
import { statusOf } from '../support/fake-drachtio/sip-text.js';
import { startSipHarness, type SipHarness } from '../support/sip-harness.js';
import { waitFor } from '../support/wait.js';

/**
 * Issue 7 end to end: the real drachtio-srf (against the fake drachtio-server) and the real
 * drachtio-fsmrf (against the fake FreeSWITCH event socket, its SIP profile on the fake network).
 */
describe('calls anchored and recorded in FreeSWITCH (real drachtio-srf + drachtio-fsmrf)', () => {
  let h: SipHarness;
  const fs = new FakeFreeSwitch();
  before(async () => {
    const eslPort = await fs.listen();
    h = await startSipHarness({
      doc: (d) => {
        d.media = { freeswitch: { host: '127.0.0.1', port: eslPort, listenAddress: '127.0.0.1', listenPort: 0 }, recording: { enabled: true, dir: 'rec' } };
      },
    });
    attachFreeSwitch(h.fake.sip, fs);
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
});
