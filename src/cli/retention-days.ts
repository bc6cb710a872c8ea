import { InvalidInputError } from '../errors.js';

/**
 * The retention period of a prune command: `--days` when given (a whole number, at least `min`,
 * with `why` in the error), else the configured `key`; neither is an error naming both.
 */
export function retentionDays(option: string | undefined, configured: number | undefined, rule: { key: string; min: number; why: string }): number {
  if (option === undefined) {
    if (configured !== undefined) return configured;
    throw new InvalidInputError(`no retention period: set ${rule.key} in the configuration, or pass --days N`);
  }
  const days = Number(option);
  if (!Number.isInteger(days) || days < rule.min) {
    throw new InvalidInputError(`--days: expected a whole number of days, at least ${rule.why}, got "${option}"`);
  }
  return days;
}
