import type { AttributionType, Touch } from '../tracking/attribution-types.js';

/** In progress: ringing, answered (until ended_at is set). Final: any status with ended_at. */
export type CallStatus = 'ringing' | 'answered' | 'busy' | 'no-answer' | 'canceled' | 'failed' | 'rejected';
export type HangupSide = 'caller' | 'callee' | 'system';
/** `pruned`: deleted by the retention period; `erased`: deleted on the caller's request (`calls forget`). */
export type RecordingStatus = 'recording' | 'saved' | 'unavailable' | 'pruned' | 'missing' | 'erased';

/**
 * A call as the rest of the code sees it (camelCase; the store maps the table). The attribution
 * snapshot is a Touch's fields, flat, with the type stored as `attributionType`.
 */
export interface CallRecord extends Omit<Touch, 'type'> {
  id: string;
  sipCallId: string | null;
  trackingNumber: string;
  trackingNumberId: number | null;
  callerNumber: string | null;
  forwardedTo: string | null;
  trunk: string | null;
  startedAt: number;
  ringingAt: number | null;
  answeredAt: number | null;
  endedAt: number | null;
  status: CallStatus;
  sipCode: number | null;
  hangupBy: HangupSide | null;
  ringSeconds: number | null;
  talkSeconds: number | null;
  attributionType: AttributionType | null;
  firstCall: boolean | null;
  targetCall: boolean | null;
  firstTouch: Touch | null;
  tags: string[];
  note: string | null;
  dealValue: number | null;
  recordingStatus: RecordingStatus | null;
  recordingError: string | null;
  recordingPath: string | null;
  recordingSize: number | null;
  recordingDuration: number | null;
  /** When `calls forget` or `calls anonymise` erased caller number, note and analytics ids; null if never. */
  identityErasedAt: number | null;
  /** The number's schedule was closed and the call went to afterHoursForwardTo; null: no schedule. */
  afterHours: boolean | null;
  createdAt: number;
  updatedAt: number;
}

export const FINAL_STATUSES: readonly CallStatus[] = ['answered', 'busy', 'no-answer', 'canceled', 'failed', 'rejected'];

/** The attribution snapshot a call row carries, as a touch (first touch of a repeat caller). */
export function touchFromCall(call: CallRecord): Touch {
  return {
    type: call.attributionType ?? 'unknown',
    visitId: call.visitId,
    poolName: call.poolName,
    source: call.source,
    medium: call.medium,
    campaign: call.campaign,
    term: call.term,
    content: call.content,
    referrer: call.referrer,
    landingPage: call.landingPage,
    gaClientId: call.gaClientId,
    gaSessionId: call.gaSessionId,
    ymClientId: call.ymClientId,
    gclid: call.gclid,
    yclid: call.yclid,
    late: call.late,
  };
}
