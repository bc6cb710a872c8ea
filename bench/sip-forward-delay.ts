/**
 * `npm run bench:sip`: the delay calltrack adds between an INVITE arriving and the forwarded
 * INVITE leaving, at 20 and 100 calls per second, measured at the fake drachtio-server (which
 * runs with the load generator in a worker thread: sip-load-worker.ts). Every call rings, is
 * answered and hung up, so the database sees the real write pattern.
 * A baseline app (bare drachtio-srf forwarding at once: no checks, no database) runs through the
 * same setup in the same run: the machine is noisy, so compare calltrack against it.
 * Not a test: it asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import Srf from 'drachtio-srf';
import pino from 'pino';
import { createApp } from '../src/main.js';
import { makeConfig, sampleConfigDoc } from '../test/support/config.js';
import type { WorkerReply, WorkerRequest } from './sip-load-worker.js';

const RATES = (process.env.BENCH_RATES ?? '20,100').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

interface Result {
  label: string;
  rate: number;
  calls: number;
  failures: number;
  p50: number;
  p99: number;
}

class LoadWorker {
  // A worker does not inherit tsx's loader: register it there before importing the TypeScript.
  private readonly worker = new Worker(
    `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./sip-load-worker.ts', import.meta.url).href)}); });`,
    { eval: true },
  );

  ask<T extends WorkerReply>(msg: WorkerRequest): Promise<T> {
    return new Promise((resolve, reject) => {
      this.worker.once('message', resolve);
      this.worker.once('error', reject);
      this.worker.postMessage(msg);
    });
  }

  async close(): Promise<void> {
    await this.ask({ cmd: 'stop' });
    await this.worker.terminate();
  }
}

async function measure(label: string, rate: number, verb: string, startApp: (port: number) => Promise<() => Promise<void>>): Promise<Result> {
  const load = new LoadWorker();
  const { port } = await load.ask<{ port: number }>({ cmd: 'start' });
  const stopApp = await startApp(port);
  const { samples, failures } = await load.ask<{ samples: number[]; failures: number }>({ cmd: 'drive', rate, seconds: SECONDS, verb });
  await stopApp();
  await load.close();
  const sorted = [...samples].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
  return { label, rate, calls: sorted.length, failures, p50: q(0.5), p99: q(0.99) };
}

async function baselineApp(port: number) {
  const srf = new Srf();
  srf.invite((req, res) => {
    srf
      .createUAC('sip:+74951112233@127.0.0.1:5090', { localSdp: req.body, callingNumber: req.callingNumber })
      .then((uac) =>
        srf.createUAS(req, res, { localSdp: uac.remote.sdp }).then((uas) => {
          uas.on('destroy', () => void uac.destroy());
          uac.on('destroy', () => void uas.destroy());
        }),
      )
      .catch(() => res.send(500));
  });
  srf.connect({ host: '127.0.0.1', port, secret: 'cymru' });
  return async () => srf.disconnect();
}

async function calltrackApp(port: number) {
  const dir = mkdtempSync(path.join(tmpdir(), 'calltrack-bench-'));
  const doc = sampleConfigDoc(path.join(dir, 'calltrack.sqlite'));
  doc.http = { ...(doc.http as object), port: 8080 };
  doc.sip = { drachtio: { host: '127.0.0.1', port }, trunks: [{ name: 'carrier', allow: ['127.0.0.1'], outbound: 'sip:{number}@127.0.0.1:5090' }], journalFile: path.join(dir, 'journal.jsonl') };
  const app = await createApp(makeConfig(doc), { logger: pino({ level: 'silent' }), baseDir: dir });
  await app.start({ listen: false });
  return async () => {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}

const results: Result[] = [];
for (const rate of RATES) {
  results.push(await measure('baseline: bare drachtio-srf B2BUA', rate, 'invite', baselineApp));
  results.push(await measure('calltrack: checks, routing, SQLite row', rate, 'options', calltrackApp));
}
const fmt = (n: number) => n.toFixed(2).padStart(8);
console.log(`INVITE in -> forward INVITE out (ms), ${SECONDS} s per run, node ${process.version}, ${new Date().toISOString()}`);
console.log('calls/s  what                                     calls  failed      p50      p99');
for (const r of results) {
  console.log(`${String(r.rate).padStart(7)}  ${r.label.padEnd(39)} ${String(r.calls).padStart(6)} ${String(r.failures).padStart(7)} ${fmt(r.p50)} ${fmt(r.p99)}`);
}
for (const rate of RATES) {
  const [b, c] = results.filter((r) => r.rate === rate);
  if (b && c) console.log(`${rate} calls/s: calltrack/baseline p50 x${(c.p50 / b.p50).toFixed(2)}, p99 x${(c.p99 / b.p99).toFixed(2)}`);
}
