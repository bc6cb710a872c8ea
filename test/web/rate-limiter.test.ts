import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { FixedWindowRateLimiter } from '../../src/web/rate-limiter.js';

describe('per-address rate limiter', () => {
  it('allows max hits per window per address, then again in the next window, and forgets idle addresses', () => {
    const clock = new ManualClock(0);
    const limiter = new FixedWindowRateLimiter(clock, () => ({ max: 2, windowSeconds: 10 }));
    assert.deepEqual([limiter.hit('a'), limiter.hit('a'), limiter.hit('a'), limiter.hit('b')], [true, true, false, true]);
    clock.advance(10_000);
    assert.equal(limiter.hit('a'), true);
    clock.advance(10_000);
    limiter.hit('c');
    assert.equal(limiter.size, 1, 'windows of a and b expired and were dropped');
  });
});
