/**
 * The network side of `npm run bench:sip`, in its own thread so the load generator and the
 * fake drachtio-server do not share an event loop with the app being measured: the fake,
 * a trunk placing calls at a fixed rate, and targets that ring, answer and are hung up on.
 * Delays are taken from the fake's own frame timestamps (one clock, this thread's).
 */
import { parentPort } from 'node:worker_threads';
import { FakeDrachtioServer } from '../test/support/fake-drachtio/fake-drachtio-server.js';

export type WorkerRequest = { cmd: 'start' } | { cmd: 'drive'; rate: number; seconds: number; verb: string } | { cmd: 'stop' };
export type WorkerReply = { port: number } | { samples: number[]; failures: number } | { stopped: true };

let fake: FakeDrachtioServer | undefined;
let serial = 0;

parentPort!.on('message', (msg: WorkerRequest) => {
  void handle(msg).then((reply) => parentPort!.postMessage(reply));
});

async function handle(msg: WorkerRequest): Promise<WorkerReply> {
  if (msg.cmd === 'start') {
    fake = await FakeDrachtioServer.start();
    return { port: fake.port };
  }
  if (msg.cmd === 'stop') {
    await fake?.stop();
    return { stopped: true };
  }
  await fake!.waitForApp(msg.verb);
  // Warm-up (discarded): the first calls pay for lazy loading and JIT in the app.
  await drive(fake!, msg.rate, 1);
  return drive(fake!, msg.rate, msg.seconds);
}

async function drive(fake: FakeDrachtioServer, rate: number, seconds: number): Promise<{ samples: number[]; failures: number }> {
  fake.frames.length = 0;
  const total = rate * seconds;
  const start = performance.now();
  const calls: Promise<boolean>[] = [];
  const callers = new Map<string, string>();
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const from = `7916${String(serial++).padStart(7, '0')}`;
    const caller = fake.sip.placeCall({ from, to: '+74950000001' });
    callers.set(from, caller.callId);
    calls.push(
      (async () => {
        const callee = await fake.sip.nextInvite(60_000);
        callee.ring();
        await new Promise((r) => setTimeout(r, 200));
        callee.answer();
        if ((await caller.finalResponse()).status !== 200) return false;
        await new Promise((r) => setTimeout(r, 500));
        await caller.bye();
        return true;
      })().catch(() => false),
    );
  }
  const ok = await Promise.all(calls);
  return { samples: delays(fake, callers), failures: ok.filter((x) => !x).length };
}

/** Per call: INVITE frame written to the app -> the app's forward INVITE frame read (matched by caller number). */
function delays(fake: FakeDrachtioServer, callers: Map<string, string>): number[] {
  const inAt = new Map<string, number>();
  const out: number[] = [];
  for (const f of fake.frames) {
    const [first = '', startLine = ''] = f.payload.split('\r\n');
    if (f.dir === 'server->app' && first.includes('|sip|network|') && startLine.startsWith('INVITE') && !/;tag=/.test(header(f.payload, 'To'))) {
      inAt.set(header(f.payload, 'Call-ID'), f.at);
    } else if (f.dir === 'app->server' && first.endsWith('|sip||') && startLine.startsWith('INVITE')) {
      const user = /sip:\+?([^@]+)@/.exec(header(f.payload, 'from'))?.[1] ?? '';
      const t0 = inAt.get(callers.get(user) ?? '');
      if (t0 !== undefined) out.push(f.at - t0);
    }
  }
  return out;
}

function header(payload: string, name: string): string {
  return new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(payload)?.[1]?.trim() ?? '';
}
