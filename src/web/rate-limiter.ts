import type { Clock } from '../clock.js';

/**
 * Fixed-window counter per key (client IP). In memory and per process: with several
 * calltrack nodes each node counts on its own, which is fine for its purpose (one address must
 * not drain a pool), not an exact global quota. Expired windows are dropped as the map is
 * swept, so memory stays bounded by the addresses seen in one window.
 */
export class FixedWindowRateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private lastSweep: number;

  constructor(
    private readonly clock: Clock,
    private readonly limits: () => { max: number; windowSeconds: number },
  ) {
    this.lastSweep = clock.now();
  }

  /** Counts one hit for `key`; false once it is past the limit in the current window. */
  hit(key: string): boolean {
    const now = this.clock.now();
    const { max, windowSeconds } = this.limits();
    const windowMs = windowSeconds * 1000;
    if (now - this.lastSweep >= windowMs) this.sweep(now, windowMs);
    let w = this.windows.get(key);
    if (!w || now - w.start >= windowMs) {
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    w.count += 1;
    return w.count <= max;
  }

  get size(): number {
    return this.windows.size;
  }

  private sweep(now: number, windowMs: number): void {
    for (const [key, w] of this.windows) if (now - w.start >= windowMs) this.windows.delete(key);
    this.lastSweep = now;
  }
}
