import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { CalltrackConfig } from '../../src/config/schema.js';
import { buildHttpServer } from '../../src/web/server.js';

/** The HTTP log as an admin reads it: one line per request; page-view traffic only at debug. */
async function serverLogging(level: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(text) as Record<string, unknown>);
      done();
    },
  });
  const app = await buildHttpServer({
    http: { bodyLimitBytes: 65_536, trustProxy: false } as CalltrackConfig['http'],
    logger: pino({ level }, sink),
    plugins: [
      async (a) => {
        a.post('/v1/visits', async (_req, reply) => reply.code(201).send({ number: '+74950000001' }));
        a.get('/v1/calls', async () => ({ calls: [] }));
      },
    ],
  });
  return { app, lines };
}

describe('HTTP request log', () => {
  it('writes one line per request (method, url, status, time) and none for page-view endpoints at info', async () => {
    const { app, lines } = await serverLogging('info');
    await app.inject({ method: 'GET', url: '/v1/calls?limit=5' });
    await app.inject({ method: 'POST', url: '/v1/visits', payload: { url: 'https://shop.example.com/' } });
    await app.inject({ method: 'GET', url: '/nowhere' });
    await app.close();
    const requests = lines.filter((l) => typeof l.msg === 'string' && /request/.test(l.msg));
    assert.deepEqual(
      requests.map((l) => [l.level, l.msg, l.method, l.url, l.statusCode]),
      [
        [30, 'request completed', 'GET', '/v1/calls?limit=5', 200],
        [30, 'request completed', 'GET', '/nowhere', 404],
      ],
    );
    assert.equal(typeof requests[0]?.responseTime, 'number');
  });

  it('logs page-view requests at debug', async () => {
    const { app, lines } = await serverLogging('debug');
    await app.inject({ method: 'POST', url: '/v1/visits', payload: { url: 'https://shop.example.com/' } });
    await app.close();
    const visit = lines.filter((l) => l.msg === 'request completed');
    assert.deepEqual(visit.map((l) => [l.level, l.url, l.statusCode]), [[20, '/v1/visits', 201]]);
  });
});
