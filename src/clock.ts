/** Time source passed to services, so tests and the simulator can run on a virtual clock. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A day in the clock's unit (epoch ms), for retention periods and windows given in days. */
export const DAY_MS = 24 * 60 * 60 * 1000;

/** A clock that only moves when told to: for tests and the attribution simulator. */
export class ManualClock implements Clock {
  constructor(private current: number = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.current;
  }

  set(ms: number): void {
    this.current = ms;
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
