import type { CalltrackConfig } from '../config/schema.js';
import { scheduleState } from './business-hours.js';

/** What a number's schedule said about a call: shown by `calltrack attribute` and logged per call. */
export interface HoursDecision {
  schedule: string;
  open: boolean;
  /** True when the call goes to afterHoursForwardTo. */
  afterHours: boolean;
  localTime: string;
  reason: string;
}

export interface ScheduledTargets {
  /** The failover list the call is forwarded to. */
  forwardTo: string[];
  /** Null when the number (or its pool) has no schedule: it always forwards to forwardTo. */
  hours: HoursDecision | null;
}

/**
 * Where a call on `trackingNumber` at `at` goes: `openTargets` (the number's or pool's forwardTo)
 * while its schedule is open, its afterHoursForwardTo while closed. The one answer for the SIP
 * route and `calltrack attribute`, from the config snapshot the caller holds (a reload applies
 * to the next call).
 */
export function targetsAt(cfg: CalltrackConfig, trackingNumber: string, openTargets: string[], at: number): ScheduledTargets {
  const owner =
    cfg.numbers.find((n) => n.number === trackingNumber) ??
    cfg.pools.find((p) => p.numbers.some((n) => n === trackingNumber) || p.fallbackNumber === trackingNumber);
  const name = owner?.schedule;
  const schedule = name === undefined ? undefined : cfg.schedules[name];
  if (!owner || name === undefined || !schedule || !owner.afterHoursForwardTo) return { forwardTo: openTargets, hours: null };
  const state = scheduleState(schedule, at);
  return {
    forwardTo: state.open ? openTargets : [...owner.afterHoursForwardTo],
    hours: { schedule: name, open: state.open, afterHours: !state.open, localTime: state.localTime, reason: state.reason },
  };
}
