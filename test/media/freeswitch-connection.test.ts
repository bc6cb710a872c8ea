import assert from 'node:assert/strict';
import { createServer, Socket } from 'node:net';
import { describe, it } from 'node:test';
import { FreeSwitchConnection } from '../../src/media/freeswitch-connection.js';
import { FakeFreeSwitch } from '../support/fake-freeswitch.js';
import { testLogger } from '../support/logger.js';
import { ManualTimers } from '../support/manual-timers.js';
import { waitFor } from '../support/wait.js';

function connectionTo(eslPort: number, fs: FakeFreeSwitch, timers: ManualTimers, extra: { secret?: string; listenPort?: number; listenAddress?: string } = {}) {
  return new FreeSwitchConnection({
    cfg: { host: '127.0.0.1', port: eslPort, secret: extra.secret ?? 'ClueCon', profile: 'drachtio_mrf', listenAddress: extra.listenAddress ?? '127.0.0.1', listenPort: extra.listenPort ?? 0 },
    srf: fs.srf,
    logger: testLogger(),
    connectTimeoutMs: 5000,
    reconnectMaxDelayMs: 8000,
    timers,
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('FreeSWITCH connection', () => {
  it('comes up after auth, event subscription and `sofia status`, with TCP_NODELAY on inbound and outbound sockets', async () => {
    const fs = new FakeFreeSwitch();
    const eslPort = await fs.listen();
    const noDelay: Socket[] = [];
    const original = Socket.prototype.setNoDelay;
    Socket.prototype.setNoDelay = function (this: Socket, on?: boolean) {
      if (on) noDelay.push(this);
      return original.call(this, on);
    };
    const conn = connectionTo(eslPort, fs, new ManualTimers());
    try {
      conn.start();
      await waitFor(() => conn.state.get().state === 'up', 'connection up');
      assert.match(conn.state.get().detail ?? '', /profile drachtio_mrf on sip:127\.0\.0\.1:5080/);
      assert.deepEqual(conn.availability(), { ok: true });
      assert.deepEqual(fs.commands.slice(0, 3), ['inbound: auth ClueCon', 'inbound: event json HEARTBEAT', 'inbound: api sofia status']);
      await waitFor(() => noDelay.some((s) => s.remotePort === eslPort), 'TCP_NODELAY on the inbound socket');
      const ms = conn.mediaServer;
      assert.ok(ms);
      const ep = await ms.createEndpoint({});
      assert.ok(noDelay.some((s) => s.localPort === ms.listenPort), 'TCP_NODELAY on the outbound (per-channel) socket');
      await ep.destroy();
    } finally {
      Socket.prototype.setNoDelay = original;
      conn.stop();
      await fs.stop();
    }
    assert.equal(conn.state.get().state, 'disabled');
  });

  it('listening on 0.0.0.0 advertises a dialable address in X-esl-outbound, never the wildcard', async () => {
    const fs = new FakeFreeSwitch();
    const eslPort = await fs.listen();
    const conn = connectionTo(eslPort, fs, new ManualTimers(), { listenAddress: '0.0.0.0' });
    conn.start();
    await waitFor(() => conn.state.get().state === 'up', 'connection up');
    const ep = await conn.mediaServer?.createEndpoint({});
    const channel = [...fs.channels.values()][0];
    assert.ok(ep && channel);
    assert.doesNotMatch(channel.eslOutbound, /^0\.0\.0\.0:/);
    assert.match(channel.eslOutbound, /^[\d.]+:\d+$/);
    await ep.destroy();
    conn.stop();
    await fs.stop();
  });

  it('FreeSWITCH down at start: reports why, retries with backoff, comes up when FreeSWITCH does', async () => {
    const fs = new FakeFreeSwitch();
    const eslPort = await freePort();
    const timers = new ManualTimers();
    const conn = connectionTo(eslPort, fs, timers);
    conn.start();
    await waitFor(() => conn.state.get().state === 'down', 'down state');
    const why = conn.availability();
    assert.equal(why.ok, false);
    assert.match(why.ok ? '' : why.reason, /cannot connect to FreeSWITCH at 127\.0\.0\.1:\d+: connect ECONNREFUSED/);
    assert.deepEqual(timers.pendingDelays(), [1000]);
    timers.advance(1000);
    await waitFor(() => timers.pendingDelays().join() === '2000', 'second retry scheduled after 2000 ms (backoff doubles)');

    await fs.listen(eslPort);
    timers.advance(2000);
    await waitFor(() => conn.state.get().state === 'up', 'connection up after FreeSWITCH started');
    conn.stop();
    await fs.stop();
  });

  it('losing FreeSWITCH makes media unavailable at once and reconnects on the timer', async () => {
    const fs = new FakeFreeSwitch();
    const eslPort = await fs.listen();
    const timers = new ManualTimers();
    const conn = connectionTo(eslPort, fs, timers);
    conn.start();
    await waitFor(() => conn.state.get().state === 'up', 'connection up');
    await fs.stop();
    await waitFor(() => conn.state.get().state === 'down', 'down after FreeSWITCH stopped');
    assert.equal(conn.mediaServer, undefined);
    assert.match(conn.availability().ok ? '' : (conn.availability() as { reason: string }).reason, /lost FreeSWITCH/);
    await fs.listen(eslPort);
    timers.advance(1000);
    await waitFor(() => conn.state.get().state === 'up', 'reconnected');
    conn.stop();
    await fs.stop();
  });

  it('a wrong event-socket password is reported as such', async () => {
    const fs = new FakeFreeSwitch();
    const eslPort = await fs.listen();
    const conn = connectionTo(eslPort, fs, new ManualTimers(), { secret: 'wrong' });
    conn.start();
    await waitFor(() => conn.state.get().state === 'down', 'down state');
    assert.match(conn.state.get().detail ?? '', /refused the event-socket password \(media\.freeswitch\.secret\)/);
    conn.stop();
    await fs.stop();
  });

  it('a listen port already in use is reported instead of crashing', async () => {
    const fs = new FakeFreeSwitch();
    const eslPort = await fs.listen();
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const conn = connectionTo(eslPort, fs, new ManualTimers(), { listenPort: (busy.address() as { port: number }).port });
    conn.start();
    await waitFor(() => conn.state.get().state === 'down', 'down state');
    assert.match(conn.state.get().detail ?? '', /the port is in use \(media\.freeswitch\.listenPort\)/);
    conn.stop();
    busy.close();
    await fs.stop();
  });

  it('a frozen FreeSWITCH (socket up, no answers) fails the attempt instead of hanging', async () => {
    const fs = new FakeFreeSwitch();
    const eslPort = await fs.listen();
    fs.freeze();
    const conn = connectionTo(eslPort, fs, new ManualTimers());
    conn.start();
    // The auth reply never comes; our connect timeout (manual timers) ends the attempt.
    await new Promise((r) => setTimeout(r, 50));
    (conn as unknown as { timers: ManualTimers }).timers.advance(5000);
    await waitFor(() => conn.state.get().state === 'down', 'down state');
    assert.match(conn.state.get().detail ?? '', /no answer within 5000 ms/);
    conn.stop();
    fs.thaw();
    await fs.stop();
  });
});
