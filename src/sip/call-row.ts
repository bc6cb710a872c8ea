import { randomUUID } from 'node:crypto';
import { judgeTargetCall, type TargetCallRules } from '../calls/target-call.js';
import type { CallRecord, CallStatus, HangupSide } from '../calls/call-record.js';
import type { Attribution } from '../tracking/attribution-types.js';
import type { InboundCallInfo } from './inbound-call.js';

/**
 * The row written when the INVITE arrives: status ringing, the attribution snapshot copied in;
 * `afterHours` is what the number's schedule said (null: it has none).
 */
export function newCallRecord(id: string, info: InboundCallInfo, trunk: string, at: number, a: Attribution | null, trackingNumber: string, afterHours: boolean | null = null): CallRecord {
  return {
    id,
    sipCallId: info.sipCallId || null,
    trackingNumber,
    trackingNumberId: a?.trackingNumberId ?? null,
    callerNumber: info.caller,
    forwardedTo: null,
    trunk,
    startedAt: at,
    ringingAt: null,
    answeredAt: null,
    endedAt: null,
    status: 'ringing',
    sipCode: null,
    hangupBy: null,
    ringSeconds: null,
    talkSeconds: null,
    attributionType: a?.type ?? 'unknown',
    poolName: a?.poolName ?? null,
    visitId: a?.visitId ?? null,
    late: a?.late ?? false,
    source: a?.source ?? null,
    medium: a?.medium ?? null,
    campaign: a?.campaign ?? null,
    term: a?.term ?? null,
    content: a?.content ?? null,
    referrer: a?.referrer ?? null,
    landingPage: a?.landingPage ?? null,
    gaClientId: a?.gaClientId ?? null,
    gaSessionId: a?.gaSessionId ?? null,
    ymClientId: a?.ymClientId ?? null,
    gclid: a?.gclid ?? null,
    yclid: a?.yclid ?? null,
    firstCall: a ? a.firstCall : null,
    targetCall: null,
    firstTouch: a?.firstTouch ?? null,
    tags: [],
    note: null,
    dealValue: null,
    recordingStatus: null,
    recordingError: null,
    recordingPath: null,
    recordingSize: null,
    recordingDuration: null,
    identityErasedAt: null,
    afterHours,
    createdAt: at,
    updatedAt: at,
  };
}

/**
 * The final fields. Ring seconds run from our INVITE's arrival to the answer (or to the end,
 * when nobody answered): what the caller waited. Talk seconds run from the answer to the end.
 * `targetCall` is decided here, by the same rules exports and reports use, because it needs the
 * talk time.
 */
export function finalPatch(
  rec: Pick<CallRecord, 'startedAt' | 'answeredAt' | 'firstCall'>,
  end: { at: number; status: CallStatus; sipCode: number | null; hangupBy: HangupSide },
  rules: TargetCallRules,
): Partial<CallRecord> {
  const ringEnd = rec.answeredAt ?? end.at;
  const ringSeconds = Math.max(0, ringEnd - rec.startedAt) / 1000;
  const talkSeconds = rec.answeredAt === null ? null : Math.max(0, end.at - rec.answeredAt) / 1000;
  return {
    status: end.status,
    sipCode: end.sipCode,
    hangupBy: end.hangupBy,
    endedAt: end.at,
    ringSeconds,
    talkSeconds,
    targetCall: judgeTargetCall({ answeredAt: rec.answeredAt, talkSeconds, firstCall: rec.firstCall }, rules),
    updatedAt: end.at,
  };
}

/**
 * A call that rang 3 s and talked 57 s, answered by `attribution`'s first target, written the
 * way the SIP path writes its rows: for the attribution simulator and tests, which need call
 * history (repeat callers, first touch) without a SIP dialog.
 */
export function answeredCallRow(attribution: Attribution, caller: string | null, at: number): CallRecord {
  const info: InboundCallInfo = { sipCallId: `${randomUUID()}@sim`, dialledRaw: attribution.trackingNumber, dialled: undefined, caller, callerIsE164: caller !== null, callerName: null };
  const row = newCallRecord(randomUUID(), info, 'sim', at, attribution, attribution.trackingNumber);
  const answered = { ...row, forwardedTo: attribution.forwardTo[0] ?? null, ringingAt: at + 1000, answeredAt: at + 3000 };
  return { ...answered, ...finalPatch(answered, { at: at + 60_000, status: 'answered', sipCode: 200, hangupBy: 'caller' }, { minTalkSeconds: 30, requireFirstCall: false }) };
}
