import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PoolEventStore } from '../../src/tracking/pool-event-store.js';
import { VisitStore } from '../../src/tracking/visit-store.js';
import { MINUTE, pool, trackingApp, type TrackingFixture } from '../support/tracking-app.js';

const LANDING = 'https://shop.example.com/catalog/fridges?utm_source=yandex&utm_medium=cpc&utm_campaign=fridges';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

describe('allocating pool numbers to visits (SQLite, virtual clock)', () => {
  let f: TrackingFixture;
  const events = new PoolEventStore();
  const visitsTable = new VisitStore();

  before(async () => {
    f = await trackingApp({
      pools: [
        pool('reuse', 101, 2, { holdMinutes: 15, onExhausted: 'reuse-oldest', match: { host: ['reuse.example.com'] } }),
        pool('small', 1, 2, { holdMinutes: 15, fallbackNumber: '+74950009901' }), // the catch-all, last
      ],
    });
  });
  after(() => f.close());

  const visit = (extra: Record<string, unknown> = {}) => f.app.visits.startVisit({ url: LANDING, ...extra });

  it('gives the number free the longest, holds it holdMinutes, then falls back and records the exhaustion', async () => {
    const a = await visit();
    f.clock.advance(1000);
    const b = await visit();
    assert.equal(a.type, 'dynamic');
    assert.equal(a.pool, 'small');
    assert.equal(a.number, '+74950000001'); // both free since sync: the lower id first
    assert.equal(b.number, '+74950000002');
    assert.equal(a.holdUntil, f.clock.now() - 1000 + 15 * MINUTE);

    const c = await visit();
    assert.deepEqual([c.type, c.number, c.holdUntil], ['fallback', '+74950009901', null]);
    const kinds = (await events.list(f.app.db, 'small')).map((e) => [e.kind, e.heldCount, e.visitId]);
    assert.deepEqual(kinds, [
      ['exhausted', 2, c.visitId],
      ['fallback', 2, c.visitId],
    ]);
  });

  it('reuses the number released first once holds lapse (least recently released)', async () => {
    f.clock.advance(16 * MINUTE); // a's hold ended a second before b's
    const d = await visit();
    assert.equal(d.number, '+74950000001');
    const e = await visit();
    assert.equal(e.number, '+74950000002');
  });

  it('keeps the same number for the same visitor while the hold runs; a new ad click moves the hold', async () => {
    f.clock.advance(20 * MINUTE);
    const first = await visit({ visitorId: 'visitor-1' });
    f.clock.advance(MINUTE);
    const again = await visit({ visitorId: 'visitor-1', url: 'https://shop.example.com/about' });
    assert.equal(again.visitId, first.visitId, 'a direct return is the same visit');
    assert.equal(again.number, first.number);
    const pages = await visitsTable.pages(f.app.db, first.visitId);
    assert.deepEqual(pages.map((p) => p.url), [LANDING, 'https://shop.example.com/about']);

    const clicked = await visit({ visitorId: 'visitor-1', url: 'https://shop.example.com/?gclid=abc' });
    assert.notEqual(clicked.visitId, first.visitId, 'a new ad click is a new visit');
    assert.equal(clicked.number, first.number, 'but the visitor keeps the number');

    // The first tab is still open: its ping shows the visitor's number, held by the new visit.
    f.clock.advance(10 * MINUTE);
    const oldTab = await f.app.visits.ping(first.visitId, 'https://shop.example.com/delivery');
    assert.deepEqual([oldTab.number, oldTab.holdUntil], [first.number, f.clock.now() + 15 * MINUTE], 'one number per visitor, hold kept alive');
    const call = await f.app.attributor.explain({ trackingNumber: first.number ?? '', callerNumber: null, at: f.clock.now() });
    assert.equal(call?.visitId, clicked.visitId, 'a call on it is the new ad click\'s');
    assert.deepEqual((await visitsTable.pages(f.app.db, first.visitId)).map((p) => p.url).at(-1), 'https://shop.example.com/delivery');
    await f.app.visits.release(first.visitId);
    assert.equal((await f.app.visits.ping(clicked.visitId)).number, first.number, 'closing the old tab leaves the new one its hold');
  });

  it('pings extend the hold; without activity the number frees holdMinutes later', async () => {
    f.clock.advance(20 * MINUTE);
    const v = await visit();
    f.clock.advance(10 * MINUTE);
    const p1 = await f.app.visits.ping(v.visitId, 'https://shop.example.com/catalog/fridges/1');
    assert.equal(p1.number, v.number);
    assert.equal(p1.holdUntil, f.clock.now() + 15 * MINUTE);
    f.clock.advance(14 * MINUTE); // 24 min after the visit began: held thanks to the ping
    const other = await visit();
    assert.notEqual(other.number, v.number);
    f.clock.advance(2 * MINUTE); // 16 min after the last ping: v's number is free again
    const third = await visit();
    assert.equal(third.number, v.number);
  });

  it('a ping regains a lapsed number if still free, else shows another; a long-expired visit is 404', async () => {
    f.clock.advance(20 * MINUTE);
    const v = await visit();
    f.clock.advance(16 * MINUTE); // hold lapsed, nobody took the number
    const regained = await f.app.visits.ping(v.visitId);
    assert.deepEqual([regained.type, regained.number], ['dynamic', v.number]);

    f.clock.advance(16 * MINUTE);
    const t1 = await visit();
    const t2 = await visit();
    assert.ok([t1.number, t2.number].includes(v.number), 'both numbers were taken by others');
    const ping = await f.app.visits.ping(v.visitId);
    assert.deepEqual([ping.type, ping.number], ['fallback', '+74950009901']);
    assert.equal((await f.app.visits.findVisit(v.visitId))?.numberType, 'fallback');

    f.clock.advance(25 * 60 * MINUTE);
    await assert.rejects(f.app.visits.ping(v.visitId), /expired/);
    await assert.rejects(f.app.visits.ping('no-such-visit'), /does not exist/);
  });

  it('release ends the hold holdMinutes from now', async () => {
    f.clock.advance(20 * MINUTE);
    const v = await visit();
    f.clock.advance(5 * MINUTE);
    await f.app.visits.ping(v.visitId);
    f.clock.advance(MINUTE);
    await f.app.visits.release(v.visitId);
    const held = (await f.app.poolReports.listNumbers()).find((n) => n.number === v.number);
    assert.equal(held?.state, 'held');
    assert.equal(held?.holdUntil, f.clock.now() + 15 * MINUTE);
  });

  it('pools status counts a hold that began this very millisecond, held now and in the peaks', async () => {
    f.clock.advance(8 * 24 * 60 * MINUTE); // nothing held in the last 7 days
    const quiet = (await f.app.poolReports.poolStatus()).find((p) => p.pool === 'small');
    assert.deepEqual([quiet?.heldNow, quiet?.peakHeld24h, quiet?.peakHeld7d], [0, 0, 0]);
    await visit();
    const status = (await f.app.poolReports.poolStatus()).find((p) => p.pool === 'small');
    assert.deepEqual([status?.heldNow, status?.peakHeld24h, status?.peakHeld7d], [1, 1, 1]);
  });

  it('bots and rate-limited clients get the fallback without taking a pool number', async () => {
    f.clock.advance(20 * MINUTE);
    const bot = await visit({ userAgent: GOOGLEBOT });
    assert.deepEqual([bot.type, bot.number], ['fallback', '+74950009901']);
    const limited = await visit({ rateLimited: true });
    assert.equal(limited.type, 'fallback');
    const status = (await f.app.poolReports.poolStatus()).find((p) => p.pool === 'small');
    assert.equal(status?.heldNow, 0, 'the pool was untouched');
    assert.equal((await visit()).type, 'dynamic');
    const stored = await f.app.visits.findVisit(bot.visitId);
    assert.equal(stored?.isBot, true);
    const kinds = (await events.list(f.app.db, 'small')).map((e) => e.kind).slice(-2);
    assert.deepEqual(kinds, ['bot', 'rate-limited']);
  });

  it('reuse-oldest takes over the hold idle longest and records it', async () => {
    const url = 'https://reuse.example.com/';
    const a = await visit({ url });
    f.clock.advance(MINUTE);
    const b = await visit({ url });
    f.clock.advance(MINUTE);
    await f.app.visits.ping(a.visitId); // now b is the idlest
    const c = await visit({ url });
    assert.equal(c.type, 'dynamic');
    assert.equal(c.number, b.number);
    const kinds = (await events.list(f.app.db, 'reuse')).map((e) => e.kind);
    assert.deepEqual(kinds, ['exhausted', 'taken-over']);
    const attributed = await f.app.attributor.explain({ trackingNumber: b.number ?? '', callerNumber: null, at: f.clock.now() });
    assert.equal(attributed?.visitId, c.visitId, 'a call now belongs to the visit that took it over');
  });
});

describe('visits no pool takes', () => {
  let f: TrackingFixture;
  before(async () => {
    f = await trackingApp({
      numbers: [{ number: '+74950007701', forwardTo: '+74951112233', source: { name: 'yandex', medium: 'organic' } }],
      pools: [pool('ads', 301, 1, { fallbackNumber: '+74950009902', match: { medium: ['cpc'] } })],
    });
  });
  after(() => f.close());

  it('shows the static number of a matching source, else no number', async () => {
    const organic = await f.app.visits.startVisit({ url: 'https://shop.example.com/', referrer: 'https://yandex.ru/search/?text=fridge' });
    assert.deepEqual([organic.type, organic.number, organic.pool], ['static', '+74950007701', null]);
    const direct = await f.app.visits.startVisit({ url: 'https://shop.example.com/' });
    assert.deepEqual([direct.type, direct.number], ['none', null]);
    await assert.rejects(f.app.visits.startVisit({ url: 'ftp://shop.example.com/' }), /body\.url/);
  });
});
