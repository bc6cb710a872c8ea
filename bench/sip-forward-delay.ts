/**
 * `npm run bench:sip`: the delay calltrack adds between an INVITE arriving and the forwarded
 * INVITE leaving, measured on the fake drachtio-server's admin connection (frame written ->
 * forward frame read), at 20 and 100 calls per second. Every call rings, is answered and
 * hung up, so the database sees the real write pattern. A baseline app (drachtio-srf that
 * forwards at once: no checks, no database) runs first through the same fake, in the same
 * process: the machine is noisy, so the figures to compare are calltrack's against it.
 * Not a test: it asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Srf from 'drachtio-srf';
import pino from 'pino';
import { createApp } from '../src/main.js';
import { makeConfig, sampleConfigDoc } from '../test/support/config.js';
import { FakeDrachtioServer } from '../test/support/fake-drachtio/fake-drachtio-server.js';

const RATES = [20, 100];
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

interface Result {
  label: string;
  rate: number;
  calls: number;
  p50: number;
  p99: number;
  max: number;
}

async function drive(fake: FakeDrachtioServer, rate: number, prefix: string): Promise<number[]> {
  fake.frames.length = 0;
  const total = rate * SECONDS;
  const start = performance.now();
  const done: Promise<void>[] = [];
  const callers = new Map<string, string>(); // caller number -> caller Call-ID
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const from = `${prefix}${String(i).padStart(7, '0')}`;
    const caller = fake.sip.placeCall({ from, to: '+74950000001' });
    callers.set(from, caller.callId);
    done.push(
      (async () => {
        const callee = await fake.sip.nextInvite(30_000);
        callee.ring();
        await new Promise((r) => setTimeout(r, 200));
        callee.answer();
        await caller.finalResponse();
        await new Promise((r) => setTimeout(r, 500));
        await caller.bye();
      })(),
    );
  }
  await Promise.all(done);
  return delays(fake, callers);
}

/** Per call: from the INVITE frame to the app, to the app's forward INVITE frame (matched by caller number). */
function delays(fake: FakeDrachtioServer, callers: Map<string, string>): number[] {
  const inAt = new Map<string, number>();
  const out: number[] = [];
  for (const f of fake.frames) {
    const [first, startLine = ''] = f.payload.split('\r\n');
    if (f.dir === 'server->app' && first!.includes('|sip|network|') && startLine.startsWith('INVITE') && !/;tag=/.test(header(f.payload, 'To'))) {
      inAt.set(header(f.payload, 'Call-ID'), f.at);
    } else if (f.dir === 'app->server' && first!.endsWith('|sip||') && startLine.startsWith('INVITE')) {
      const user = /sip:\+?([^@]+)@/.exec(header(f.payload, 'from'))?.[1] ?? '';
      const callId = callers.get(user) ?? callers.get(`+${user}`);
      const t0 = callId ? inAt.get(callId) : undefined;
      if (t0 !== undefined) out.push(f.at - t0);
    }
  }
  return out;
}

function header(payload: string, name: string): string {
  return new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(payload)?.[1]?.trim() ?? '';
}

function summarise(label: string, rate: number, samples: number[]): Result {
  const sorted = [...samples].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
  return { label, rate, calls: sorted.length, p50: q(0.5), p99: q(0.99), max: sorted.at(-1) ?? NaN };
}

async function baseline(rate: number): Promise<Result> {
  const fake = await FakeDrachtioServer.start();
  const srf = new Srf();
  srf.invite((req, res) => {
    srf
      .createUAC('sip:+74951112233@127.0.0.1:5090', { localSdp: req.body, callingNumber: req.callingNumber })
      .then((uac) => srf.createUAS(req, res, { localSdp: uac.remote.sdp }).then((uas) => {
        uas.on('destroy', () => void uac.destroy());
        uac.on('destroy', () => void uas.destroy());
      }))
      .catch(() => res.send(500));
  });
  srf.connect({ host: '127.0.0.1', port: fake.port, secret: 'cymru' });
  await fake.waitForApp();
  const samples = await drive(fake, rate, '7916');
  srf.disconnect();
  await fake.stop();
  return summarise('baseline (bare drachtio-srf B2BUA)', rate, samples);
}

async function calltrack(rate: number): Promise<Result> {
  const dir = mkdtempSync(path.join(tmpdir(), 'calltrack-bench-'));
  const fake = await FakeDrachtioServer.start();
  const doc = sampleConfigDoc(path.join(dir, 'calltrack.sqlite'));
  doc.http = { ...(doc.http as object), port: 8080 };
  doc.sip = { drachtio: { host: '127.0.0.1', port: fake.port }, trunks: [{ name: 'carrier', allow: ['127.0.0.1'], outbound: 'sip:{number}@127.0.0.1:5090' }], journalFile: path.join(dir, 'journal.jsonl') };
  const app = await createApp(makeConfig(doc), { logger: pino({ level: 'silent' }), baseDir: dir });
  await app.start({ listen: false });
  await fake.waitForApp('options');
  const samples = await drive(fake, rate, '7916');
  await app.stop();
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
  return summarise('calltrack (checks, routing, SQLite row)', rate, samples);
}

const results: Result[] = [];
for (const rate of RATES) {
  results.push(await baseline(rate));
  results.push(await calltrack(rate));
}
const fmt = (n: number) => n.toFixed(2).padStart(7);
console.log(`INVITE in -> forward INVITE out, ms, ${SECONDS} s per run (node ${process.version}, ${new Date().toISOString()})`);
console.log('calls/s  what                                       calls     p50     p99     max');
for (const r of results) console.log(`${String(r.rate).padStart(7)}  ${r.label.padEnd(41)} ${String(r.calls).padStart(6)} ${fmt(r.p50)} ${fmt(r.p99)} ${fmt(r.max)}`);
for (const rate of RATES) {
  const [b, c] = results.filter((r) => r.rate === rate);
  if (b && c) console.log(`${rate} calls/s: calltrack/baseline p50 x${(c.p50 / b.p50).toFixed(2)}, p99 x${(c.p99 / b.p99).toFixed(2)}; calltrack's own share p99 ~ ${(c.p99 - b.p99).toFixed(2)} ms`);
}
