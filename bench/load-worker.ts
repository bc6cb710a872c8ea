import { randomUUID } from 'node:crypto';
import http from 'node:http';

/**
 * The load generator, in its own process (on the other core) so it does not share the
 * server's event loop. Started by bench/visits.ts with the spec as JSON in argv.
 * closed: `concurrency` requests always in flight, for `seconds` (maximum throughput);
 * open: a fixed arrival rate, latency measured from when each request was due, so a stalled
 * server cannot hide its queueing delay (no coordinated omission).
 */
export interface LoadSpec {
  url: string;
  body: string;
  mode: 'closed' | 'open';
  seconds: number;
  concurrency: number;
  ratePerSecond: number;
  /**
   * Share of requests that come from a visitor seen a moment ago (another tab of the same site:
   * the snippet sends its visitor id, which still holds a number). 0 or absent: every request is
   * a new visitor, as the body says.
   */
  repeatShare?: number;
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  latenciesMs: number[];
}

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
const agent = new http.Agent({ keepAlive: true, maxSockets: Math.max(spec.concurrency, 256) });
const target = new URL(spec.url);
const fixedBody = Buffer.from(spec.body);
const repeatShare = spec.repeatShare ?? 0;
const recentVisitors: string[] = [];

function nextBody(): Buffer {
  if (repeatShare <= 0) return fixedBody;
  let visitorId = recentVisitors[Math.floor(Math.random() * recentVisitors.length)];
  if (visitorId === undefined || Math.random() >= repeatShare) {
    visitorId = randomUUID();
    recentVisitors.push(visitorId);
    if (recentVisitors.length > 50) recentVisitors.shift();
  }
  return Buffer.from(JSON.stringify({ ...(JSON.parse(spec.body) as object), visitorId }));
}

function send(): Promise<boolean> {
  const body = nextBody();
  return new Promise((resolve) => {
    const req = http.request(
      { agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 201 || res.statusCode === 200));
      },
    );
    req.on('error', () => resolve(false));
    req.end(body);
  });
}

async function closed(): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const end = start + spec.seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      if (!(await send())) errors += 1;
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, loop));
  return { requests: latencies.length, errors, seconds: (performance.now() - start) / 1000, latenciesMs: latencies };
}

async function open(): Promise<LoadResult> {
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  let errors = 0;
  const start = performance.now();
  const total = Math.round(spec.ratePerSecond * spec.seconds);
  const interval = 1000 / spec.ratePerSecond;
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    // Sent late: timed from when it was due (the wait counts). Sent up to 1 ms early (timers are
    // coarser than that): timed from when it went out, or a fast answer would count as negative.
    const origin = Math.min(due, performance.now());
    pending.push(
      send().then((ok) => {
        if (!ok) errors += 1;
        latencies.push(performance.now() - origin);
      }),
    );
  }
  await Promise.all(pending);
  return { requests: latencies.length, errors, seconds: (performance.now() - start) / 1000, latenciesMs: latencies };
}

const result = await (spec.mode === 'closed' ? closed() : open());
agent.destroy();
process.send?.(result);
