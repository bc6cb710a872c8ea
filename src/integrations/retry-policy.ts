/** Exponential backoff: first retry after `firstDelayMs`, doubling up to `maxDelayMs`, for `giveUpAfterMs` in all. */
export interface RetryPolicy {
  firstDelayMs: number;
  maxDelayMs: number;
  giveUpAfterMs: number;
}

/**
 * Delay before attempt `failedAttempts + 1`. Up to a tenth is added at random so that many
 * entries queued while a receiver was down do not all hit it again in the same second.
 */
export function retryDelayMs(failedAttempts: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(failedAttempts - 1, 0), 30);
  const base = Math.min(policy.firstDelayMs * 2 ** exponent, policy.maxDelayMs);
  return Math.round(base * (1 + random() / 10));
}
