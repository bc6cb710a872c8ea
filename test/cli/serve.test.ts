import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { createDatabase } from '../../src/db/connect.js';
import { sampleConfigDoc } from '../support/config.js';
import { startCli, waitForExit, waitForLogLine } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

/** A loopback port with nothing listening: drachtio-server "unreachable". */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('calltrack serve', () => {
  const children: ReturnType<typeof startCli>[] = [];
  after(() => children.forEach((c) => c.kill('SIGKILL')));

  it('serves /healthz, reloads on SIGHUP, keeps the running config on a bad file, stops on SIGTERM', async () => {
    const dir = tempDir();
    const dbFile = path.join(dir, 'data', 'calltrack.sqlite');
    const configFile = path.join(dir, 'calltrack.yaml');
    const doc = sampleConfigDoc(dbFile);
    (doc as { sip: Record<string, unknown> }).sip.drachtio = { host: '127.0.0.1', port: await closedPort(), secret: 'cymru' };
    (doc as { log: Record<string, unknown> }).log = { level: 'info' };
    writeFileSync(configFile, stringify(doc));

    const child = startCli(['serve', '-c', configFile], { cwd: dir });
    children.push(child);
    const listening = await waitForLogLine(child, (l) => l.msg === 'HTTP server listening');
    const base = String(listening.address);

    // drachtio-server is not running: serve keeps going, /healthz shows it.
    const res = await fetch(`${base}/healthz`);
    assert.equal(res.status, 200);
    const health = (await res.json()) as { status: string; components: Record<string, { state: string }> };
    assert.equal(health.status, 'degraded');
    assert.equal(health.components.database?.state, 'up');
    assert.ok(['connecting', 'down'].includes(health.components.drachtio?.state ?? ''), JSON.stringify(health));
    assert.equal(health.components.freeswitch?.state, 'disabled');

    const readNumbers = async () => {
      const db = createDatabase({ client: 'sqlite3', filename: dbFile, busyTimeoutMs: 5000 });
      try {
        return (await db('tracking_numbers').select('number', 'active').orderBy('number')) as { number: string; active: number }[];
      } finally {
        await db.destroy();
      }
    };
    assert.equal((await readNumbers()).filter((n) => n.active).length, 4);

    // A valid edit: the static number goes away and is deactivated (kept, not deleted). The body
    // limit is fixed when the HTTP server is built: the log says it waits for a restart.
    writeFileSync(configFile, stringify({ ...doc, numbers: [], http: { ...(doc.http as object), bodyLimitBytes: 32768 } }));
    const warned = waitForLogLine(child, (l) => l.setting === 'http.bodyLimitBytes');
    const reloaded = waitForLogLine(child, (l) => typeof l.msg === 'string' && l.msg.startsWith('configuration reloaded'));
    child.kill('SIGHUP');
    assert.equal((await warned).msg, 'http.bodyLimitBytes changed: takes effect at the next restart (the running server keeps the old value)');
    assert.equal((await reloaded).msg, 'configuration reloaded (applied: numbers; NOT applied until a restart: http.bodyLimitBytes)');
    const afterReload = await readNumbers();
    assert.deepEqual(afterReload.find((n) => n.number === '+74950000001'), { number: '+74950000001', active: 0 });

    // A broken edit changes nothing and says why.
    writeFileSync(configFile, stringify({ ...doc, pools: [{ name: 'ads', numbers: ['+7 495 12'], forwardTo: '+74951112233' }] }));
    child.kill('SIGHUP');
    const refused = await waitForLogLine(child, (l) => typeof l.msg === 'string' && l.msg.startsWith('configuration NOT reloaded'));
    assert.match(String(refused.msg), /pools\[0\]\.numbers\[0\].*not a valid phone number/);
    assert.deepEqual(await readNumbers(), afterReload);
    assert.equal((await fetch(`${base}/healthz`)).status, 200, 'still serving');

    child.kill('SIGTERM');
    assert.equal(await waitForExit(child), 0);
  });

  it('exits 1 saying why when the HTTP port is taken, instead of hanging', async () => {
    const dir = tempDir();
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    after(() => taken.close());
    const doc = sampleConfigDoc(path.join(dir, 'data', 'calltrack.sqlite'));
    (doc as { sip: Record<string, unknown> }).sip.drachtio = { host: '127.0.0.1', port: await closedPort(), secret: 'cymru' };
    (doc as { http: Record<string, unknown> }).http = { ...(doc.http as object), host: '127.0.0.1', port: (taken.address() as { port: number }).port };
    const configFile = path.join(dir, 'calltrack.yaml');
    writeFileSync(configFile, stringify(doc));

    const child = startCli(['serve', '-c', configFile], { cwd: dir });
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = await Promise.race([waitForExit(child), new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000).unref())]);
    assert.equal(exited, 1, `serve did not exit (${String(exited)}); stderr: ${stderr}`);
    assert.match(stderr, /EADDRINUSE/);
  });
});
