import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { CallStore } from '../../src/calls/call-store.js';
import type { CallRecord } from '../../src/calls/call-record.js';
import { ManualClock } from '../../src/clock.js';
import type { MediaPort, Timers } from '../../src/media/media-port.js';
import { createApp, type App } from '../../src/main.js';
import { ConfigAttributor } from './config-attributor.js';
import { makeConfig, sampleConfigDoc } from './config.js';
import { FakeDrachtioServer } from './fake-drachtio/fake-drachtio-server.js';
import type { FakeCallee, FakeCaller } from './fake-drachtio/parties.js';
import { testLogger } from './logger.js';
import { RecordingEventSink } from './recording-event-sink.js';

/**
 * For `doc`: a second static number, +74950000002, forwarding to two targets in turn
 * (+74951110001, then +74951110002), for failover scenarios.
 */
export function addFailoverNumber(doc: Record<string, unknown>): void {
  (doc.numbers as unknown[]).push({ number: '+74950000002', forwardTo: ['+74951110001', '+74951110002'], source: { name: 'Billboard' } });
}

/**
 * A call from 79161234567 to the static number +74950000001, answered by the target and ACKed,
 * the row stamped answered: the starting point of every in-dialog scenario.
 */
export async function answeredCall(h: SipHarness): Promise<{ caller: FakeCaller; callee: FakeCallee }> {
  const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000001' });
  const callee = await h.fake.sip.nextInvite();
  callee.answer();
  await caller.finalResponse();
  await callee.waitForRequest('ACK');
  await h.answered(caller.callId);
  return { caller, callee };
}

export interface SipHarness {
  app: App;
  fake: FakeDrachtioServer;
  clock: ManualClock;
  attributor: ConfigAttributor;
  events: RecordingEventSink;
  dir: string;
  /** The call row for a SIP Call-ID once it is final (waits for the final event or polls). */
  finalRow(sipCallId: string): Promise<CallRecord>;
  row(sipCallId: string): Promise<CallRecord | undefined>;
  /** Resolves once the session has stamped the answer (the clock was read for answeredAt). */
  answered(sipCallId: string): Promise<void>;
  /** Polls the row until `check` holds (rows are written behind the call, never in its way). */
  rowWhen(sipCallId: string, check: (row: CallRecord) => boolean): Promise<CallRecord>;
  stop(): Promise<void>;
}

/**
 * calltrack's real app (SQLite in a temp dir, real drachtio-srf) against the fake
 * drachtio-server. Static number +74950000001 forwards to +74951112233 (trunk "carrier",
 * 127.0.0.1 only, outbound sip:{number}@127.0.0.1:5090); the pool "ads" has +74950000101/102.
 */
export async function startSipHarness(
  opts: {
    sip?: Record<string, unknown>;
    ringTimeoutMs?: number;
    doc?: (d: Record<string, unknown>) => void;
    media?: MediaPort;
    logger?: Logger;
    /** Timers of the SIP registrations (manual in tests that drive refreshes and backoff). */
    timers?: Timers;
    /** Sets up the SIP network (e.g. a provider's registrar) before the application connects. */
    network?: (fake: FakeDrachtioServer) => void;
  } = {},
): Promise<SipHarness> {
  // Removed by stop(): node:test's after() inside a before() hook would fire too early.
  const dir = mkdtempSync(path.join(tmpdir(), 'calltrack-sip-'));
  const fake = await FakeDrachtioServer.start();
  const doc = sampleConfigDoc(path.join(dir, 'calltrack.sqlite'));
  doc.sip = {
    drachtio: { host: '127.0.0.1', port: fake.port, secret: 'cymru' },
    trunks: [{ name: 'carrier', allow: ['127.0.0.1'], outbound: 'sip:{number}@127.0.0.1:5090' }],
    journalFile: path.join(dir, 'calls-journal.jsonl'),
    shutdownGraceSeconds: 5,
    ...opts.sip,
  };
  doc.http = { ...(doc.http as object), port: 8080 }; // never listened on: start({ listen: false })
  opts.doc?.(doc);
  opts.network?.(fake);
  const cfg = makeConfig(doc);
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 10, 0, 0));
  const attributor = new ConfigAttributor(() => app.config.current);
  const events = new RecordingEventSink();
  const app: App = await createApp(cfg, { logger: opts.logger ?? testLogger(), clock, attributor, events, baseDir: dir, ringTimeoutMs: opts.ringTimeoutMs ?? 60_000, ...(opts.media ? { media: opts.media } : {}), ...(opts.timers ? { timers: opts.timers } : {}) });
  await app.start({ listen: false });
  await fake.waitForApp('options');
  const store = new CallStore();
  const row = (sipCallId: string) => store.findBySipCallId(app.db, sipCallId);
  async function rowWhen(sipCallId: string, check: (row: CallRecord) => boolean): Promise<CallRecord> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = await row(sipCallId);
      if (found && check(found)) return found;
      if (Date.now() > deadline) throw new Error(`the row for ${sipCallId} never matched; last seen ${JSON.stringify(found)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  let stopped = false;
  return {
    app, fake, clock, attributor, events, dir, row,
    finalRow: (sipCallId) => rowWhen(sipCallId, (r) => r.endedAt !== null),
    rowWhen,
    async answered(sipCallId) {
      await events.events.find((e) => e.type === 'call.answered' && e.call.sipCallId === sipCallId, `call.answered for ${sipCallId}`);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await app.stop();
      await fake.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
