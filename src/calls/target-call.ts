import type { CalltrackConfig } from '../config/schema.js';
import type { CallRecord } from './call-record.js';

/** What makes a call a "target" (a lead): enough talk time, and optionally a first-time caller. */
export interface TargetCallRules {
  minTalkSeconds: number;
  requireFirstCall: boolean;
}

export function targetCallRules(cfg: Pick<CalltrackConfig, 'tracking'>): TargetCallRules {
  return { minTalkSeconds: cfg.tracking.targetCallSeconds, requireFirstCall: cfg.tracking.targetRequiresFirstCall };
}

/** The rules applied to one call (the SIP path uses this when it writes the final row). */
export function judgeTargetCall(call: Pick<CallRecord, 'answeredAt' | 'talkSeconds' | 'firstCall'>, rules: TargetCallRules): boolean {
  if (call.answeredAt === null || call.talkSeconds === null) return false;
  if (call.talkSeconds < rules.minTalkSeconds) return false;
  return !rules.requireFirstCall || call.firstCall === true;
}

/**
 * The stored `target_call` when the call path wrote one (the verdict when the call ended),
 * otherwise the rules applied now. Exports, reports and GA4 all use this one definition.
 */
export function isTargetCall(call: Pick<CallRecord, 'targetCall' | 'answeredAt' | 'talkSeconds' | 'firstCall'>, rules: TargetCallRules): boolean {
  return call.targetCall ?? judgeTargetCall(call, rules);
}

/** The same definition as an SQL expression (boolean on PostgreSQL, 1/0 on SQLite), for aggregate reports. */
export function targetCallSql(rules: TargetCallRules): { sql: string; bindings: (number | boolean)[] } {
  const judged = rules.requireFirstCall
    ? 'answered_at IS NOT NULL AND talk_seconds >= ? AND first_call = ?'
    : 'answered_at IS NOT NULL AND talk_seconds >= ?';
  return {
    sql: `CASE WHEN target_call IS NOT NULL THEN target_call = ? ELSE (${judged}) END`,
    bindings: rules.requireFirstCall ? [true, rules.minTalkSeconds, true] : [true, rules.minTalkSeconds],
  };
}
