import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CallStore } from '../../src/calls/call-store.js';
import { callFrom } from '../support/calls.js';
import { assertExactlyOnePerNumber, assertHoldsConsistent, fireParallelVisits } from '../support/parallel-visits.js';
import { startTestPostgres } from '../support/postgres.js';
import { MINUTE, pool, trackingApp, twoNodes, type TrackingFixture } from '../support/tracking-app.js';

const pgServer = await startTestPostgres();
after(() => pgServer.stop());

const POOLS = [
  pool('ads', 1, 20, { fallbackNumber: '+74950009901', match: { medium: ['cpc'] } }),
  pool('reuse', 101, 5, { onExhausted: 'reuse-oldest' }),
];
const DOC = {
  http: { host: '127.0.0.1', port: 8080, rateLimit: { max: 10_000, windowSeconds: 60 } },
  numbers: [{ number: '+74950007701', forwardTo: '+74951112233', source: { name: 'Radio' } }],
  pools: POOLS,
};

const cpc = (i: number) => `https://shop.example.com/?utm_source=s${i}&utm_medium=cpc`;

describe('tracking on PostgreSQL: stores, allocation and attribution', { skip: pgServer.skipReason }, () => {
  let f: TrackingFixture;
  before(async () => {
    f = await trackingApp(DOC, { pgUrl: await pgServer.createDatabase() });
  });
  after(() => f?.close());

  it('a number sync leaves the planner statistics of the numbers (so a new pool is not read by scanning it per allocation)', async () => {
    // Freshly inserted rows have none until ANALYZE (autovacuum comes a minute or more later).
    const { rows } = await f.app.db.raw<{ rows: { reltuples: number }[] }>("SELECT reltuples FROM pg_class WHERE relname = 'tracking_numbers'");
    const stored = (await f.app.db('tracking_numbers').count({ n: '*' }).first()) as { n: string };
    assert.equal(Number(rows[0]?.reltuples), Number(stored.n), 'the planner knows how many numbers there are');
  });

  it('allocates, holds, releases and attributes as on SQLite', async () => {
    const url = 'https://shop.example.com/?utm_source=google&utm_medium=cpc&gclid=g1';
    const v = await f.app.visits.startVisit({ url, visitorId: 'pg-visitor' });
    assert.deepEqual([v.type, v.number, v.pool], ['dynamic', '+74950000001', 'ads']);
    const again = await f.app.visits.startVisit({ url: 'https://shop.example.com/x', visitorId: 'pg-visitor' });
    assert.deepEqual([again.visitId, again.number], [v.visitId, v.number]);

    f.clock.advance(5 * MINUTE);
    const ping = await f.app.visits.ping(v.visitId, 'https://shop.example.com/cart');
    assert.equal(ping.holdUntil, f.clock.now() + 15 * MINUTE);

    const a = await f.app.attributor.attribute({ trackingNumber: v.number ?? '', callerNumber: '+79161234567', at: f.clock.now() });
    assert.deepEqual([a?.type, a?.visitId, a?.source, a?.medium, a?.gclid, a?.firstCall], ['dynamic', v.visitId, 'google', 'cpc', 'g1', true]);
    assert.ok(a);
    await new CallStore().insert(f.app.db, callFrom(a, '+79161234567', f.clock.now()));

    await f.app.visits.release(v.visitId);
    f.clock.advance(20 * MINUTE);
    const late = await f.app.attributor.explain({ trackingNumber: v.number ?? '', callerNumber: '+79161234567', at: f.clock.now() });
    assert.deepEqual([late?.type, late?.late, late?.firstCall, late?.firstTouch?.visitId], ['dynamic', true, false, v.visitId]);

    const listed = (await f.app.poolReports.listNumbers()).find((n) => n.number === v.number);
    assert.deepEqual([listed?.state, listed?.lastCallAt], ['free', f.clock.now() - 20 * MINUTE]);
    const status = (await f.app.poolReports.poolStatus()).find((p) => p.pool === 'ads');
    assert.deepEqual([status?.size, status?.heldNow, status?.peakHeld24h, status?.calls7d], [20, 0, 1, 1]);
  });

  it('bots get the fallback; exhaustion events are counted', async () => {
    const bot = await f.app.visits.startVisit({ url: 'https://shop.example.com/?utm_medium=cpc', userAgent: 'YandexBot/3.0' });
    assert.equal(bot.type, 'fallback');
    const status = (await f.app.poolReports.poolStatus()).find((p) => p.pool === 'ads');
    assert.equal(status?.botsShownFallback7d, 1);
  });
});

describe('parallel allocation on PostgreSQL: two calltrack nodes, one database', { skip: pgServer.skipReason }, () => {
  let nodes: TrackingFixture[] = [];
  before(async () => {
    nodes = await twoNodes(DOC, await pgServer.createDatabase(), { listen: true });
  });
  after(async () => {
    for (const n of nodes) await n.close();
  });

  it('60 simultaneous visits for 20 numbers over both nodes: each number to exactly one visit (SKIP LOCKED)', async () => {
    const shown = await fireParallelVisits(nodes.map((n) => n.url), 60, cpc);
    await assertExactlyOnePerNumber(nodes[0]!.app.db, shown, 20, 'ads');
  });

  it('simultaneous take-overs never leave a number with two running holds', async () => {
    const shown = (await fireParallelVisits(nodes.map((n) => n.url), 60)).filter((s) => s.pool === 'reuse');
    assert.equal(shown.length, 60);
    await assertHoldsConsistent(nodes[0]!.app.db, shown, 'reuse');
  });

  it('pings regaining lapsed numbers race new visits without a number held twice', async () => {
    const [a, b] = [nodes[0]!, nodes[1]!];
    a.clock.advance(60 * MINUTE); // every earlier hold has lapsed
    const url = 'https://shop.example.com/?utm_medium=cpc&utm_source=race';
    const sleepers = [];
    for (let i = 0; i < 20; i++) sleepers.push(await a.app.visits.startVisit({ url }));
    a.clock.advance(16 * MINUTE);
    const results = await Promise.all([
      ...sleepers.map(async (v, i) => ({ visitId: v.visitId, pool: 'ads', ...(await (i % 2 ? a : b).app.visits.ping(v.visitId)) })),
      ...Array.from({ length: 20 }, (_, i) => (i % 2 ? b : a).app.visits.startVisit({ url })),
    ]);
    const dynamic = results.filter((r) => r.type === 'dynamic');
    assert.equal(dynamic.length, 20, 'exactly the 20 numbers went out');
    assert.equal(new Set(dynamic.map((r) => r.number)).size, 20);
    await assertHoldsConsistent(a.app.db, results.map((r) => ({ visitId: r.visitId, number: r.number, pool: 'ads', type: r.type })), 'ads');
  });
});
