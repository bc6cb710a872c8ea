/**
 * How likely a visit's call is to come more than x minutes after the visit's last activity:
 * what decides whether a number handed to the next visitor x minutes later steals a call.
 *
 * Until a pool has seen enough calls, the advisor assumes the shape calltrack's simulator
 * uses (bench/attribution): 40% of calls come after the visitor left, exponentially with a
 * 12-minute mean, none after an hour. With fewer than `TRUSTED_SAMPLE` calls the observed
 * tail is only allowed to make the estimate more cautious, never less.
 */
export const TRUSTED_SAMPLE = 200;

const PRIOR = { lateShare: 0.4, meanMinutes: 12, maxMinutes: 60 } as const;

export function priorTail(x: number): number {
  if (x <= 0) return 1;
  if (x >= PRIOR.maxMinutes) return 0;
  const cut = Math.exp(-PRIOR.maxMinutes / PRIOR.meanMinutes);
  return (PRIOR.lateShare * (Math.exp(-x / PRIOR.meanMinutes) - cut)) / (1 - cut);
}

export interface LateCallTail {
  /** P(call more than x minutes after the visit's last activity). */
  at(x: number): number;
  sample: number;
  basis: 'observed' | 'observed, at least the prior' | 'prior';
}

/** The tail from observed delays (minutes after the last activity; 0 = during the visit). */
export function lateCallTail(delaysMinutes: readonly number[]): LateCallTail {
  const sorted = [...delaysMinutes].sort((a, b) => a - b);
  const n = sorted.length;
  const observed = (x: number) => {
    // share of delays strictly greater than x (binary search for the first one above x)
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((sorted[mid] ?? 0) <= x) lo = mid + 1;
      else hi = mid;
    }
    return (n - lo) / n;
  };
  if (n >= TRUSTED_SAMPLE) return { at: observed, sample: n, basis: 'observed' };
  if (n === 0) return { at: priorTail, sample: 0, basis: 'prior' };
  return { at: (x) => Math.max(observed(x), priorTail(x)), sample: n, basis: 'observed, at least the prior' };
}
