import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createDatabase } from '../../src/db/connect.js';
import { createApp } from '../../src/main.js';
import { makeConfig, sampleConfigDoc } from '../support/config.js';
import { testLogger } from '../support/logger.js';
import { Scrape } from '../support/prometheus-text.js';
import { tempDir } from '../support/temp.js';

type Health = { status: string; version: string; components: Record<string, { state: string; critical?: boolean; detail?: string }> };

describe('GET /healthz over HTTP', () => {
  it('answers 200 with each component while the database is up', async () => {
    const cfg = makeConfig(sampleConfigDoc(path.join(tempDir(), 'h.sqlite')));
    const app = await createApp(cfg, { logger: testLogger() });
    await app.start();
    try {
      const { port } = app.http.server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      const body = (await res.json()) as Health;
      assert.equal(body.components.database?.state, 'up');
      assert.equal(body.components.database?.critical, true);
      assert.ok(body.components.drachtio, 'drachtio state is shown');
      assert.ok(body.components.freeswitch, 'FreeSWITCH state is shown');
      assert.match(body.version, /^\d+\.\d+\.\d+/);

      // /metrics says the same per component, for alerting; the database has its own gauge.
      const metrics = new Scrape(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
      for (const [component, health] of Object.entries(body.components)) {
        const up = metrics.value('calltrack_component_up', { component });
        if (component === 'database' || health.state === 'disabled') assert.equal(up, undefined, component);
        else assert.equal(up, health.state === 'up' ? 1 : 0, component);
      }
      assert.equal(metrics.value('calltrack_component_up', { component: 'drachtio' }), 0, 'no drachtio-server here');
    } finally {
      await app.stop();
    }
  });

  it('answers 503 "down" when the database cannot be reached', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const { port: deadPort } = srv.address() as { port: number };
    await new Promise<void>((r) => srv.close(() => r()));

    const url = `postgres://calltrack:x@127.0.0.1:${deadPort}/calltrack`;
    const cfg = makeConfig({ ...sampleConfigDoc('unused'), database: { client: 'pg', connection: url } });
    const app = await createApp(cfg, { logger: testLogger(), db: createDatabase(cfg.database) });
    await app.http.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { port } = app.http.server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(res.status, 503);
      const body = (await res.json()) as Health;
      assert.equal(body.status, 'down');
      assert.equal(body.components.database?.state, 'down');
      assert.match(body.components.database?.detail ?? '', new RegExp(`pg:127\\.0\\.0\\.1:${deadPort}/calltrack: .*ECONNREFUSED`));
      assert.doesNotMatch(body.components.database?.detail ?? '', /calltrack:x@/, 'no credentials in healthz');
    } finally {
      await app.http.close();
      await app.db.destroy();
    }
  });
});
