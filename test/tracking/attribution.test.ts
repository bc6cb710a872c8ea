import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CallStore } from '../../src/calls/call-store.js';
import { callFrom } from '../support/calls.js';
import { MINUTE, pool, trackingApp, type TrackingFixture } from '../support/tracking-app.js';

const STATIC = '+74950007701';
const FALLBACK = '+74950009901';
const CALLER = '+79161234567';

describe('call attribution (SQLite, virtual clock)', () => {
  let f: TrackingFixture;
  const calls = new CallStore();
  const attribute = (trackingNumber: string, callerNumber: string | null = null, at = f.clock.now()) =>
    f.app.attributor.attribute({ trackingNumber, callerNumber, at });

  before(async () => {
    f = await trackingApp({
      tracking: { defaultCountry: 'RU', graceMinutes: 10, repeatCallDays: 30 },
      numbers: [{ number: STATIC, forwardTo: '+74951112233', source: { name: 'Radio', medium: 'offline', campaign: 'autumn' } }],
      pools: [pool('ads', 1, 1, { holdMinutes: 15, fallbackNumber: FALLBACK, forwardTo: ['+74951112233', '+74951112244'] })],
    });
  });
  after(() => f.close());

  it('a static number is attributed to its source; an unknown number to nothing', async () => {
    const a = await attribute(STATIC);
    assert.equal(a?.type, 'static');
    assert.deepEqual([a?.source, a?.medium, a?.campaign, a?.visitId], ['Radio', 'offline', 'autumn', null]);
    assert.deepEqual(a?.forwardTo, ['+74951112233']);
    assert.equal(await attribute('+74950005555'), null);
  });

  it('a pool number goes to the visit holding it, with the visit data; the call extends the hold', async () => {
    const v = await f.app.visits.startVisit({
      url: 'https://shop.example.com/?utm_source=yandex&utm_medium=cpc&utm_campaign=fridges&yclid=42',
      referrer: 'https://yandex.ru/',
      gaClientId: 'GA1.2.3.4',
      gaSessionId: '1764666000',
    });
    // A GA session ended and a new one began while the page stayed open: the ping says so.
    f.clock.advance(MINUTE);
    await f.app.visits.ping(v.visitId, undefined, '1764667800');
    f.clock.advance(13 * MINUTE);
    const a = await attribute(v.number ?? '', CALLER);
    assert.equal(a?.type, 'dynamic');
    assert.deepEqual([a?.visitId, a?.source, a?.medium, a?.campaign, a?.yclid, a?.gaClientId], [v.visitId, 'yandex', 'cpc', 'fridges', '42', 'GA1.2.3.4']);
    assert.equal(a?.gaSessionId, '1764667800', "the call carries the visit's latest GA4 session");
    assert.deepEqual([a?.late, a?.firstCall, a?.firstTouch, a?.poolName], [false, true, null, 'ads']);
    assert.deepEqual(a?.forwardTo, ['+74951112233', '+74951112244']);

    // Without the call the hold would end at 1 + 15 min (the ping); the call moved it to 14 + 15.
    f.clock.advance(10 * MINUTE);
    const other = await f.app.visits.startVisit({ url: 'https://shop.example.com/' });
    assert.equal(other.type, 'fallback', 'the caller still holds the only number');
    const again = await attribute(v.number ?? '');
    assert.deepEqual([again?.visitId, again?.late], [v.visitId, false]);
  });

  it('after the hold: late within graceMinutes, then unattributed (pool still named)', async () => {
    const number = (await f.app.poolReports.listNumbers()).find((n) => n.kind === 'pool');
    assert.ok(number?.holdUntil);
    const holder = number.heldByVisit;
    const late = await f.app.attributor.explain({ trackingNumber: number.number, callerNumber: null, at: number.holdUntil + 9 * MINUTE });
    assert.deepEqual([late?.type, late?.visitId, late?.late], ['dynamic', holder, true]);
    const gone = await f.app.attributor.explain({ trackingNumber: number.number, callerNumber: null, at: number.holdUntil + 11 * MINUTE });
    assert.deepEqual([gone?.type, gone?.visitId, gone?.poolName, gone?.late], ['unattributed', null, 'ads', false]);
  });

  it('explain changes nothing: the hold is not extended', async () => {
    const before = (await f.app.poolReports.listNumbers()).find((n) => n.kind === 'pool');
    await f.app.attributor.explain({ trackingNumber: before?.number ?? '', callerNumber: null, at: f.clock.now() });
    const afterwards = (await f.app.poolReports.listNumbers()).find((n) => n.kind === 'pool');
    assert.equal(afterwards?.holdUntil, before?.holdUntil);
  });

  it('the fallback number is attributed as fallback, to its pool', async () => {
    const a = await attribute(FALLBACK);
    assert.deepEqual([a?.type, a?.poolName, a?.visitId], ['fallback', 'ads', null]);
  });

  it('a repeat caller within repeatCallDays is not a first call and carries the first touch', async () => {
    const caller = '+79169990000';
    const first = await attribute(STATIC, caller);
    assert.equal(first?.firstCall, true);
    assert.ok(first);
    await calls.insert(f.app.db, callFrom(first, caller, f.clock.now()));

    f.clock.advance(5 * 24 * 60 * MINUTE);
    const second = await attribute(FALLBACK, caller);
    assert.equal(second?.firstCall, false);
    assert.deepEqual([second?.type, second?.firstTouch?.type, second?.firstTouch?.source], ['fallback', 'static', 'Radio']);

    f.clock.advance(31 * 24 * 60 * MINUTE);
    const later = await attribute(FALLBACK, caller);
    assert.deepEqual([later?.firstCall, later?.firstTouch], [true, null]);
  });
});
