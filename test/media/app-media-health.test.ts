import assert from 'node:assert/strict';
import path from 'node:path';
import SrfClass from 'drachtio-srf';
import type Srf from 'drachtio-srf';
import { describe, it } from 'node:test';
import { createApp } from '../../src/main.js';
import { DrachtioConnection } from '../../src/sip/drachtio-connection.js';
import { makeConfig, sampleConfigDoc } from '../support/config.js';
import { FakeFreeSwitch } from '../support/fake-freeswitch.js';
import { testLogger } from '../support/logger.js';
import { tempDir } from '../support/temp.js';
import { waitFor } from '../support/wait.js';

interface Health {
  status: string;
  components: Record<string, { state: string; detail?: string }>;
}

describe('/healthz shows the FreeSWITCH connection', () => {
  it('connecting → up against FreeSWITCH, then down with the reason when it goes away; calltrack stays "degraded", not down', async () => {
    const dir = tempDir();
    const fs = new FakeFreeSwitch();
    const eslPort = await fs.listen();
    const doc = sampleConfigDoc(path.join(dir, 'calltrack.sqlite'));
    const cfg = makeConfig({
      ...doc,
      http: { ...(doc.http as object), port: 18080 },
      media: { freeswitch: { host: '127.0.0.1', port: eslPort, listenAddress: '127.0.0.1', listenPort: 0 }, recording: { enabled: true, dir: 'rec' } },
    });
    // drachtio-server is not part of this test: an Srf stand-in that routes fsmrf's INVITEs to the fake FreeSWITCH.
    // A real Srf (the SIP app installs its handlers on it) that never dials drachtio-server.
    const srf = Object.assign(new SrfClass(), { connect: () => undefined, disconnect: () => undefined, createUAC: fs.srf.createUAC });
    const drachtio = new DrachtioConnection(cfg.sip.drachtio, testLogger(), srf as unknown as Srf);
    const app = await createApp(cfg, { logger: testLogger(), baseDir: dir, drachtio });
    // Relative recording.dir resolves against baseDir; FreeSWITCH sees the same path unless freeswitchDir says otherwise.
    assert.deepEqual(app.media.dirs, { local: path.join(dir, 'rec'), freeswitch: path.join(dir, 'rec') });
    const health = async () => (await app.http.inject({ url: '/healthz' })).json<Health>();
    try {
      await app.start({ listen: false });
      let h = await health();
      assert.ok(['connecting', 'up'].includes(h.components.freeswitch?.state ?? ''));
      await waitFor(() => app.media.connection?.state.get().state === 'up', 'FreeSWITCH up');
      h = await health();
      assert.equal(h.components.freeswitch?.state, 'up');
      assert.match(h.components.freeswitch?.detail ?? '', /sip:127\.0\.0\.1:5080/);
      const ep = await app.media.port.createEndpoint({});
      assert.equal(fs.channelCount, 1);
      await app.media.port.destroy(ep);
      assert.equal(fs.channelCount, 0);
      await fs.stop();
      await waitFor(() => app.media.connection?.state.get().state === 'down', 'FreeSWITCH down');
      h = await health();
      assert.equal(h.components.freeswitch?.state, 'down');
      assert.match(h.components.freeswitch?.detail ?? '', /lost FreeSWITCH/);
      assert.notEqual(h.status, 'down', 'FreeSWITCH is not critical: calls go on unrecorded');
      assert.equal(app.media.port.availability().ok, false);
    } finally {
      await app.stop();
      await fs.stop();
    }
  });

  it('without media.freeswitch the probe says calls are forwarded unrecorded', async () => {
    const dir = tempDir();
    const doc = sampleConfigDoc(path.join(dir, 'c.sqlite'));
    const app = await createApp(makeConfig({ ...doc, http: { ...(doc.http as object), port: 18080 } }), { logger: testLogger(), baseDir: dir });
    const h = (await app.http.inject({ url: '/healthz' })).json<Health>();
    assert.equal(h.components.freeswitch?.state, 'disabled');
    await app.stop();
  });
});
