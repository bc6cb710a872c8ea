import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { stringify } from 'yaml';
import { CallStore } from '../../src/calls/call-store.js';
import { ManualClock } from '../../src/clock.js';
import { parseConfigText } from '../../src/config/load.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createApp, type App } from '../../src/main.js';
import type { Attribution } from '../../src/tracking/attribution-types.js';
import { CallHistory } from '../../src/tracking/call-history.js';
import { HoldStore } from '../../src/tracking/hold-store.js';
import { PoolEventStore } from '../../src/tracking/pool-event-store.js';
import type { TrackingStrategy } from '../../src/tracking/tracking-strategy.js';
import { advisePoolSize, holdConcurrency, type HoldSpan, type PoolAdvice } from '../../src/tracking/pool-advisor.js';
import type { SimEvent, Traffic } from './traffic.js';
import { answeredCallRow } from '../../src/sip/call-row.js';

export const POOL = 'site';
const FALLBACK = '+74950009999';
const BOT_UA = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';

export interface Scenario {
  label: string;
  poolSize: number;
  strategy: TrackingStrategy;
  holdMinutes: number;
  graceMinutes: number;
  onExhausted: 'fallback' | 'reuse-oldest';
}

export interface Outcomes {
  total: number;
  correct: number;
  /** Credited to another visit. */
  wrong: number;
  unattributed: number;
  /** The visit was shown the fallback number. */
  fallback: number;
}

export interface ScenarioResult {
  scenario: Scenario;
  /** Real calls and redials (they extend holds and become caller history). */
  calls: Outcomes;
  /** Real calls plus one what-if call per human visit: what accuracy is reported on. */
  all: Outcomes;
  humanVisits: number;
  fallbackShows: number;
  takeOvers: number;
  meanHeld: number;
  peakHeld: number;
  /** The pool's holds and the times visits found no free number, for the advisor. */
  holds: HoldSpan[];
  unservedAt: number[];
  /** Minutes after its visit's last activity that each credited call came, as the advisor reads them. */
  callDelaysMinutes: number[];
}

interface Shown {
  visitId: string;
  number: string | null;
}

const empty = (): Outcomes => ({ total: 0, correct: 0, wrong: 0, unattributed: 0, fallback: 0 });

/**
 * Replays simulated traffic through calltrack's own services (createApp: the visit service,
 * the allocator, the attributor) on a virtual clock over a fresh SQLite file, and scores every
 * call against the visit that really dialled.
 */
export async function runScenario(traffic: Traffic, scenario: Scenario): Promise<ScenarioResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'calltrack-sim-'));
  const clock = new ManualClock(traffic.start);
  const app = await buildApp(dir, scenario, clock);
  try {
    const shown = new Map<number, Shown>();
    const serverVisitor = new Map<number, string>();
    const dialled = new Map<number, { number: string; truth: string }>();
    const calls = empty();
    const all = empty();
    const callStore = new CallStore();
    let humanVisits = 0;

    const score = (a: Attribution | null, truth: string, into: Outcomes[]) => {
      for (const o of into) {
        o.total++;
        if (a?.type === 'dynamic' && a.visitId === truth) o.correct++;
        else if (a?.type === 'fallback') o.fallback++;
        else if (a?.type === 'dynamic') o.wrong++;
        else o.unattributed++;
      }
    };

    for (const e of traffic.events) {
      clock.set(Math.max(clock.now(), Math.round(e.at)));
      const now = clock.now();
      if (e.kind === 'visit') {
        const v = traffic.visits[e.visit];
        if (!v) continue;
        if (!v.bot) humanVisits++;
        const res = await app.visits.startVisit({
          visitorId: serverVisitor.get(v.visitor),
          url: landingUrl(v.campaign, 0),
          userAgent: v.bot ? BOT_UA : BROWSER_UA,
        });
        serverVisitor.set(v.visitor, res.visitorId);
        shown.set(e.visit, { visitId: res.visitId, number: res.number });
      } else if (e.kind === 'ping' || e.kind === 'release') {
        const s = shown.get(e.visit);
        if (!s) continue;
        if (e.kind === 'release') await app.visits.release(s.visitId);
        else s.number = (await app.visits.ping(s.visitId, landingUrl(null, e.page))).number;
      } else {
        const target = dialTarget(e, shown, dialled);
        if (!target) continue;
        const query = { trackingNumber: target.number, callerNumber: e.caller, at: now };
        if (e.kind === 'probe') {
          score(await app.attributor.explain(query), target.truth, [all]);
          continue;
        }
        const a = await app.attributor.attribute(query);
        score(a, target.truth, [calls, all]);
        if (e.kind === 'call') dialled.set(e.id, target);
        if (a) await callStore.insert(app.db, answeredCallRow(a, e.caller, now));
      }
    }

    const holds = await new HoldStore().holdsOverlapping(app.db, POOL, traffic.start, traffic.end);
    const eventStore = new PoolEventStore();
    const events = await eventStore.countByKind(app.db, POOL, traffic.start);
    const unservedAt = (await eventStore.list(app.db, POOL)).filter((ev) => ev.kind === 'exhausted').map((ev) => ev.at);
    const curve = holdConcurrency(holds, traffic.start, traffic.end);
    return {
      scenario,
      calls,
      all,
      humanVisits,
      fallbackShows: events.fallback,
      takeOvers: events['taken-over'],
      meanHeld: curve.mean,
      peakHeld: curve.peak,
      holds,
      unservedAt,
      callDelaysMinutes: await new CallHistory().poolCallDelays(app.db, POOL, traffic.start),
    };
  } finally {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function dialTarget(e: SimEvent, shown: Map<number, Shown>, dialled: Map<number, { number: string; truth: string }>) {
  if (e.kind === 'redial') return dialled.get(e.of);
  if (e.kind !== 'call' && e.kind !== 'probe') return undefined;
  const s = shown.get(e.visit);
  return s?.number ? { number: s.number, truth: s.visitId } : undefined;
}

async function buildApp(dir: string, s: Scenario, clock: ManualClock): Promise<App> {
  const doc = {
    database: { client: 'sqlite3', filename: path.join(dir, 'sim.sqlite') },
    tracking: { defaultCountry: 'RU', graceMinutes: s.graceMinutes, repeatCallDays: 30 },
    pools: [
      {
        name: POOL,
        numbers: Array.from({ length: s.poolSize }, (_, i) => `+7495${String(1_000_000 + i).slice(-7)}`),
        forwardTo: '+74951112233',
        holdMinutes: s.holdMinutes,
        fallbackNumber: FALLBACK,
        onExhausted: s.onExhausted,
      },
    ],
    log: { level: 'silent' },
  };
  const cfg = parseConfigText(stringify(doc), 'simulator.yaml', {}).config;
  const app = await createApp(cfg, { logger: pino({ level: 'silent' }), clock, strategy: s.strategy });
  // A throwaway file: durability buys nothing here, and fsync-free commits let a day of traffic
  // replay in seconds. The queries, transactions and indexes are the product's own.
  await app.db.raw('PRAGMA synchronous = OFF');
  await migrateToLatest(app.db);
  await app.numberSync.sync(cfg);
  return app;
}

function landingUrl(campaign: number | null, page: number): string {
  const path = page === 0 ? '/' : `/catalog/page-${page}`;
  return campaign === null ? `https://shop.example.com${path}` : `https://shop.example.com${path}?utm_source=ads&utm_medium=cpc&utm_campaign=c${campaign}`;
}

/**
 * The pool-size advisor fed with a simulated pool's holds, exactly as `calltrack pools status`
 * feeds it from the database (holds in the window, exhaustion times).
 */
export function adviseFromHolds(run: ScenarioResult, traffic: Traffic, graceMinutes: number): PoolAdvice {
  const holds = run.holds.filter((h) => h.heldFrom >= traffic.start && h.heldFrom < traffic.end);
  return advisePoolSize({
    currentSize: run.scenario.poolSize,
    holds,
    unservedAt: run.unservedAt,
    callDelaysMinutes: run.callDelaysMinutes,
    holdMinutes: run.scenario.holdMinutes,
    graceMinutes,
  });
}
