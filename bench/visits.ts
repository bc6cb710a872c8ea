/**
 * `npm run bench:visits`: new-visit requests (POST /v1/visits) per second and latency over
 * loopback, against a bare node:http server returning a fixed JSON body measured in the same
 * run (the ceiling). The machine is shared and noisy, so the figures that mean something are
 * the ratios to that baseline. Not a test: nothing here asserts.
 *
 * Options (environment): BENCH_SECONDS (default 5), BENCH_CONCURRENCY (32), BENCH_RATE (1000),
 * BENCH_DB=pg (PostgreSQL: CALLTRACK_TEST_PG_URL, or a throwaway cluster as the tests start one),
 * BENCH_ROUNDS (1): the maximum-throughput phases alternate bare / calltrack this many times
 * (each BENCH_SECONDS) and are summed, so a load swing on the shared machine hits both sides.
 * BENCH_REPEAT=0.2: that share of requests comes from a visitor who asked a moment ago and still
 * holds a number (another tab), whose visit the batch goes on with instead of starting one.
 * BENCH_HTTP_FLOOR=1 adds a third side to the alternation, a diagnostic: calltrack's own HTTP
 * layer (fastify, CORS, schemas, request log, the visit route) over a visit service that answers
 * at once, so the report splits the gap to the ceiling into HTTP and allocation.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { fork } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { parseConfigText } from '../src/config/load.js';
import { LiveConfig } from '../src/config/live-config.js';
import { createApp } from '../src/main.js';
import type { VisitService } from '../src/tracking/visit-service.js';
import { FixedWindowRateLimiter } from '../src/web/rate-limiter.js';
import { buildHttpServer } from '../src/web/server.js';
import { visitRoutes } from '../src/web/visit-routes.js';
import { startTestPostgres } from '../test/support/postgres.js';
import type { LoadResult, LoadSpec } from './load-worker.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 1));
const HTTP_FLOOR = process.env.BENCH_HTTP_FLOOR === '1';
const REPEAT = Number(process.env.BENCH_REPEAT ?? 0);
const POOL_SIZE = 6000;
// Virtual time runs 60x faster: a 1-minute hold ends after one real second, so every request
// finds a free number and measures a real allocation (a hold, a hold row, a visit row).
const SPEED = 60;

const FIXED = JSON.stringify({
  visitId: '8b1f0c1e-2d7c-4a59-9a4e-0c6f3f7b9d11',
  visitorId: '0d9c7f5e-1b2a-4c3d-8e9f-a0b1c2d3e4f5',
  number: '+74950000101',
  display: '8 (495) 000-01-01',
  pool: 'bench',
  type: 'dynamic',
  holdUntil: '2026-11-23T12:15:00.000Z',
});
const BODY = JSON.stringify({ url: 'https://shop.example.com/catalog/?utm_source=yandex&utm_medium=cpc&utm_campaign=bench', referrer: 'https://yandex.ru/' });

function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./load-worker.ts', import.meta.url), [JSON.stringify(spec)], { execArgv: ['--import', 'tsx'] });
    child.once('message', (m) => resolve(m as LoadResult));
    child.once('error', reject);
  });
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

function merge(results: LoadResult[]): LoadResult {
  return {
    requests: results.reduce((n, r) => n + r.requests, 0),
    errors: results.reduce((n, r) => n + r.errors, 0),
    seconds: results.reduce((n, r) => n + r.seconds, 0),
    latenciesMs: results.flatMap((r) => r.latenciesMs),
  };
}

function summarise(r: LoadResult) {
  const sorted = [...r.latenciesMs].sort((a, b) => a - b);
  return { rps: r.requests / r.seconds, p50: pct(sorted, 50), p99: pct(sorted, 99), errors: r.errors, requests: r.requests };
}

async function startBare(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(201, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(FIXED) });
      res.end(FIXED);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/visits`, close: () => new Promise((r) => server.close(() => r())) };
}

/**
 * The diagnostic side (BENCH_HTTP_FLOOR=1): the real HTTP server and visit route, with a visit
 * service that answers every new visit at once, without a database. Not calltrack: what its HTTP
 * layer alone leaves of the ceiling.
 */
async function startHttpFloor() {
  const { config } = parseConfigText(JSON.stringify({ http: { host: '127.0.0.1', port: 8080, rateLimit: { max: 1_000_000, windowSeconds: 60 } } }), 'floor.yaml');
  const answerAtOnce = { startVisit: async () => ({ visitId: 'v', visitorId: 'w', number: '+74950000101', pool: 'bench', type: 'dynamic', holdUntil: Date.now() }) };
  const limiter = new FixedWindowRateLimiter({ now: Date.now }, () => config.http.rateLimit);
  const plugins = [visitRoutes({ visits: answerAtOnce as unknown as VisitService, config: new LiveConfig(config), limiter })];
  const server = await buildHttpServer({ http: config.http, logger: pino({ level: 'silent' }), plugins });
  const url = await server.listen({ host: '127.0.0.1', port: 0 });
  return { url: `${url}/v1/visits`, close: () => server.close() };
}

async function startCalltrack(dir: string, pgUrl: string | null) {
  const numbers = Array.from({ length: POOL_SIZE }, (_, i) => `+7495${String(1000000 + i).padStart(7, '0')}`);
  const yaml = JSON.stringify({
    database: pgUrl ? { client: 'pg', connection: pgUrl, pool: { min: 0, max: 10 } } : { client: 'sqlite3', filename: path.join(dir, 'bench.sqlite') },
    http: { host: '127.0.0.1', port: 8080, rateLimit: { max: 1_000_000, windowSeconds: 60 } },
    pools: [{ name: 'bench', numbers, forwardTo: '+74951112233', fallbackNumber: '+74959999999', holdMinutes: 1 }],
    log: { level: 'silent' },
  });
  const { config } = parseConfigText(yaml, 'bench.yaml');
  const t0 = Date.now();
  const app = await createApp(config, { logger: pino({ level: 'silent' }), clock: { now: () => t0 + (Date.now() - t0) * SPEED } });
  await app.start({ listen: false });
  const url = await app.http.listen({ host: '127.0.0.1', port: 0 });
  return { url: `${url}/v1/visits`, app };
}

const fmt = (s: ReturnType<typeof summarise>) => `${s.rps.toFixed(0).padStart(6)} req/s  p50 ${s.p50.toFixed(2)} ms  p99 ${s.p99.toFixed(2)} ms  (${s.requests} requests, ${s.errors} errors)`;

const dir = mkdtempSync(path.join(tmpdir(), 'calltrack-bench-'));
const pg = process.env.BENCH_DB === 'pg' ? await startTestPostgres() : null;
if (pg?.skipReason) throw new Error(pg.skipReason);
try {
  const bare = await startBare();
  const ct = await startCalltrack(dir, pg ? await pg.createDatabase() : null);
  const closedSpec = (url: string): LoadSpec => ({ url, body: BODY, mode: 'closed', seconds: SECONDS, concurrency: CONCURRENCY, ratePerSecond: 0, repeatShare: REPEAT });
  const openSpec = (url: string): LoadSpec => ({ url, body: BODY, mode: 'open', seconds: SECONDS, concurrency: 256, ratePerSecond: RATE, repeatShare: REPEAT });

  await runLoad({ ...closedSpec(ct.url), seconds: 1 }); // warm-up: JIT, SQLite page cache
  await runLoad({ ...closedSpec(bare.url), seconds: 1 });
  const floor = HTTP_FLOOR ? await startHttpFloor() : undefined;
  if (floor) await runLoad({ ...closedSpec(floor.url), seconds: 1 });
  const bareRuns: LoadResult[] = [];
  const ctRuns: LoadResult[] = [];
  const floorRuns: LoadResult[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    bareRuns.push(await runLoad(closedSpec(bare.url)));
    if (floor) floorRuns.push(await runLoad(closedSpec(floor.url)));
    ctRuns.push(await runLoad(closedSpec(ct.url)));
  }
  await floor?.close();
  const bareMax = summarise(merge(bareRuns));
  const ctMax = summarise(merge(ctRuns));
  const bareFixed = summarise(await runLoad(openSpec(bare.url)));
  const ctFixed = summarise(await runLoad(openSpec(ct.url)));
  const holds = (await ct.app.db('number_holds').count({ n: '*' }).first()) as { n: number };
  const fallbacks = (await ct.app.db('visits').where({ number_type: 'fallback' }).count({ n: '*' }).first()) as { n: number };

  const repeats = REPEAT > 0 ? `, ${(REPEAT * 100).toFixed(0)}% of requests from a visitor already holding a number` : '';
  console.log(`calltrack bench:visits  node ${process.version}, ${pg ? 'PostgreSQL' : 'SQLite'}, pool of ${POOL_SIZE}, ${SECONDS} s per phase${repeats}`);
  console.log(`\nmaximum throughput (${CONCURRENCY} requests in flight${ROUNDS > 1 ? `, ${ROUNDS} alternating rounds` : ''})`);
  console.log(`  bare node:http  ${fmt(bareMax)}`);
  console.log(`  calltrack       ${fmt(ctMax)}`);
  if (floor) {
    const floorMax = summarise(merge(floorRuns));
    console.log(`  HTTP layer only ${fmt(floorMax)}  (diagnostic: ${((floorMax.rps / bareMax.rps) * 100).toFixed(1)}% of the ceiling)`);
  }
  const ratio = ctMax.rps / bareMax.rps;
  console.log(`  ratio           ${(ratio * 100).toFixed(1)}% of the ceiling's throughput (target: at least 50%: ${ratio >= 0.5 ? 'met' : 'NOT met'})`);
  console.log(`\nfixed rate ${RATE} req/s (latency from when each request was due)`);
  console.log(`  bare node:http  ${fmt(bareFixed)}`);
  console.log(`  calltrack       ${fmt(ctFixed)}`);
  console.log(`  target p99 under 20 ms at ${RATE} req/s: ${ctFixed.p99 < 20 && ctFixed.rps >= RATE * 0.95 ? 'met' : 'NOT met'}`);
  console.log(`\nallocations: ${Number(holds.n)} holds given, ${Number(fallbacks.n)} visits shown the fallback`);
  await ct.app.stop();
  await ct.app.http.close();
  await bare.close();
} finally {
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
}
