import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { boundMediaPort } from '../../src/media/bounded-media-port.js';
import { FreeSwitchConnection } from '../../src/media/freeswitch-connection.js';
import { FsmrfMediaPort } from '../../src/media/fsmrf-media-port.js';
import type { MediaPort } from '../../src/media/media-port.js';
import { FakeFreeSwitch } from '../support/fake-freeswitch.js';
import { CALLER_OFFER, CALLEE_ANSWER } from '../support/sdp-samples.js';
import { testLogger } from '../support/logger.js';
import { ManualTimers } from '../support/manual-timers.js';
import { waitFor } from '../support/wait.js';

const FS_CFG = { host: '127.0.0.1', secret: 'ClueCon', profile: 'drachtio_mrf', listenAddress: '127.0.0.1', listenPort: 0 };

describe('drachtio-fsmrf adapter against a fake FreeSWITCH event socket', () => {
  const fs = new FakeFreeSwitch();
  let connection: FreeSwitchConnection;
  let raw: FsmrfMediaPort;
  let port: MediaPort;
  const timers = new ManualTimers();

  before(async () => {
    const eslPort = await fs.listen();
    connection = new FreeSwitchConnection({
      cfg: { ...FS_CFG, port: eslPort },
      srf: fs.srf,
      logger: testLogger(),
      connectTimeoutMs: 5000,
      reconnectMaxDelayMs: 30000,
    });
    connection.start();
    await waitFor(() => connection.state.get().state === 'up', 'FreeSWITCH connection');
    raw = new FsmrfMediaPort(connection, testLogger());
    port = boundMediaPort(raw, { timeoutMs: 3000, promptTimeoutMs: 30000 }, testLogger(), timers);
  });
  after(async () => {
    connection.stop();
    await fs.stop();
  });

  it('creates the caller endpoint from its offer and a 3pcc endpoint, each through its own outbound socket', async () => {
    const a = await port.createEndpoint({ remoteSdp: CALLER_OFFER, codecs: ['PCMU', 'PCMA'] });
    const b = await port.createEndpoint({});
    assert.equal(fs.channelCount, 2);
    assert.match(a.localSdp, /m=audio \d+ RTP\/AVP 0\r\n/);
    assert.match(b.localSdp, /RTP\/AVP 0 8/, 'the 3pcc offer is plain RTP/AVP G.711');
    assert.ok(fs.sipLog.includes('INVITE sip:drachtio@127.0.0.1:5080'));
    assert.ok(fs.sipLog.includes('INVITE sip:drachtio@127.0.0.1:5080 (3pcc)'));
    const aCmds = fs.commands.filter((c) => c.startsWith(a.id));
    assert.equal(aCmds[0], `${a.id}: connect`);
    assert.ok(aCmds.some((c) => c.includes(': event json CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE')));
    assert.ok(aCmds.includes(`${a.id}: filter Unique-ID ${a.id}`));
    assert.ok(aCmds.includes(`${a.id}: sendmsg ${a.id} | set codec_string=PCMU,PCMA`));
    await Promise.all([port.destroy(a), port.destroy(b)]);
    assert.equal(fs.channelCount, 0);
  });

  it('modify re-INVITEs FreeSWITCH and refreshes the SDP; bridge is uuid_bridge; record is multiset + record_session', async () => {
    const a = await port.createEndpoint({ remoteSdp: CALLER_OFFER });
    const b = await port.createEndpoint({});
    await port.modify(b, CALLEE_ANSWER);
    assert.ok(fs.sipLog.includes(`re-INVITE ${b.id}`));
    const bCmds = fs.commands.filter((c) => c.startsWith(b.id)).map((c) => c.slice(b.id.length + 2));
    assert.ok(bCmds.includes(`api uuid_set_media_stats ${b.id}`) && bCmds.includes(`api uuid_dump ${b.id}`));
    assert.equal(fs.channels.get(b.id)?.remoteSdp, CALLEE_ANSWER);

    await port.bridge(a, b);
    assert.equal(fs.channels.get(a.id)?.bridgedTo, b.id);
    assert.ok(fs.commands.includes(`${a.id}: api uuid_bridge ${a.id} ${b.id}`));

    await port.startRecording(a, { path: '/recordings/2026/11/23/c1.wav', stereo: true });
    assert.ok(fs.commands.includes(`${a.id}: sendmsg ${a.id} | multiset ^^^RECORD_STEREO=true^RECORD_MIN_SEC=0`));
    assert.equal(fs.channels.get(a.id)?.recording, '/recordings/2026/11/23/c1.wav');
    await port.stopRecording(a, '/recordings/2026/11/23/c1.wav');
    assert.equal(fs.channels.get(a.id)?.recording, undefined);

    await Promise.all([port.destroy(a), port.destroy(b)]);
    assert.equal(fs.channelCount, 0);
  });

  it('refuses a relative recording path before FreeSWITCH silently ignores it', async () => {
    const a = await port.createEndpoint({ remoteSdp: CALLER_OFFER });
    await assert.rejects(port.startRecording(a, { path: 'recordings/x.wav', stereo: true }), /absolute path/);
    assert.equal(fs.channels.get(a.id)?.recording, undefined);
    await port.destroy(a);
  });

  it('plays prompts and reports a missing file', async () => {
    const a = await port.createEndpoint({ remoteSdp: CALLER_OFFER });
    await port.play(a, '/sounds/notice.wav');
    assert.deepEqual(fs.channels.get(a.id)?.played, ['/sounds/notice.wav']);
    fs.missingFiles.add('/sounds/gone.wav');
    await assert.rejects(port.play(a, '/sounds/gone.wav'), /File Not Found/);
    await port.destroy(a);
    assert.equal(fs.channelCount, 0);
  });

  it('a bridge to a channel FreeSWITCH no longer has fails with its -ERR', async () => {
    const a = await port.createEndpoint({ remoteSdp: CALLER_OFFER });
    const b = await port.createEndpoint({});
    const gone: string[] = [];
    b.onGone((r) => gone.push(r));
    const channel = fs.channels.get(b.id);
    assert.ok(channel);
    fs.hangup(channel, 'MEDIA_TIMEOUT');
    await waitFor(() => gone.length > 0, 'the endpoint to notice the hangup');
    assert.deepEqual(gone, ['MEDIA_TIMEOUT']);
    await assert.rejects(port.bridge(a, b), /bridge failed/);
    await Promise.all([port.destroy(a), port.destroy(b)]);
    assert.equal(fs.channelCount, 0);
  });

  it('a frozen FreeSWITCH: endpoint creation fails on our timeout; the endpoint made after it resumes is destroyed', async () => {
    fs.freeze();
    const creating = port.createEndpoint({ remoteSdp: CALLER_OFFER });
    timers.advance(3000);
    await assert.rejects(creating, /did not complete endpoint creation within 3000 ms/);
    const before = fs.channels.size;
    fs.thaw();
    await waitFor(() => fs.channels.size === before + 1 && fs.channelCount === 0, 'the late channel to be hung up');
    const late = [...fs.channels.keys()].at(-1) ?? '';
    assert.ok(fs.commands.includes(`${late}: sendmsg ${late} | hangup `), 'calltrack hung up the channel it no longer wanted');
  });
});
