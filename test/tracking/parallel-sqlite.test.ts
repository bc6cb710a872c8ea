import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertExactlyOnePerNumber, assertHoldsConsistent, fireParallelVisits } from '../support/parallel-visits.js';
import { pool, trackingApp, type TrackingFixture } from '../support/tracking-app.js';

const cpc = (i: number) => `https://shop.example.com/?utm_source=s${i}&utm_medium=cpc`;

describe('parallel allocation on SQLite over HTTP', () => {
  let f: TrackingFixture;
  before(async () => {
    f = await trackingApp(
      {
        http: { host: '127.0.0.1', port: 8080, rateLimit: { max: 10_000, windowSeconds: 60 } },
        pools: [
          pool('ads', 1, 20, { fallbackNumber: '+74950009901', match: { medium: ['cpc'] } }),
          pool('reuse', 101, 5, { onExhausted: 'reuse-oldest' }),
        ],
      },
      { listen: true },
    );
  });
  after(() => f.close());

  it('60 simultaneous visits for 20 numbers: each number to exactly one visit, 40 fallbacks, 40 exhaustions', async () => {
    const shown = await fireParallelVisits([f.url], 60, cpc);
    await assertExactlyOnePerNumber(f.app.db, shown, 20, 'ads');
  });

  it('simultaneous take-overs (reuse-oldest) never leave a number with two running holds', async () => {
    const shown = (await fireParallelVisits([f.url], 30)).filter((s) => s.pool === 'reuse');
    assert.equal(shown.length, 30);
    assert.ok(shown.every((s) => s.type === 'dynamic'), 'reuse-oldest always shows a pool number');
    await assertHoldsConsistent(f.app.db, shown, 'reuse');
  });
});
