import type { Touch } from '../tracking/attribution-types.js';
import { touchFromCall, type CallRecord } from './call-record.js';

/** The call as the admin API and webhooks show it: camelCase, ISO times (UTC), no file paths. */
export interface CallJson {
  id: string;
  sipCallId: string | null;
  trackingNumber: string;
  callerNumber: string | null;
  forwardedTo: string | null;
  trunk: string | null;
  startedAt: string;
  ringingAt: string | null;
  answeredAt: string | null;
  endedAt: string | null;
  status: CallRecord['status'];
  sipCode: number | null;
  hangupBy: CallRecord['hangupBy'];
  ringSeconds: number | null;
  talkSeconds: number | null;
  /** The Touch fields, with `pool` for poolName and the stored type (null when unknown). */
  attribution: Omit<Touch, 'type' | 'poolName'> & { type: CallRecord['attributionType']; pool: string | null; firstTouch: CallRecord['firstTouch'] };
  firstCall: boolean | null;
  targetCall: boolean;
  tags: string[];
  note: string | null;
  dealValue: number | null;
  recording: { status: CallRecord['recordingStatus']; durationSeconds: number | null; sizeBytes: number | null; url: string | null };
  /** When caller number, note and analytics ids were erased (`calls forget` / `calls anonymise`). */
  identityErasedAt: string | null;
  /** The number's business-hours schedule was closed: the call went to afterHoursForwardTo (null: no schedule). */
  afterHours: boolean | null;
}

/**
 * The path of a call's recording on the admin API, absolute when `http.publicUrl` is set.
 * Fetching it needs the admin token, like every admin endpoint.
 */
export function recordingUrl(call: Pick<CallRecord, 'id' | 'recordingStatus'>, publicUrl: string | undefined): string | null {
  return recordingUrlWriter(publicUrl)(call);
}

/** recordingUrl with the address prefix worked out once (an export writes one per row). */
export function recordingUrlWriter(publicUrl: string | undefined): (call: Pick<CallRecord, 'id' | 'recordingStatus'>) => string | null {
  const calls = absoluteUrl(publicUrl, '/v1/calls/');
  return (call) => (call.recordingStatus === 'saved' ? `${calls}${encodeURIComponent(call.id)}/recording` : null);
}

/** `path` under `http.publicUrl` when it is set (links that leave calltrack must be absolute). */
export function absoluteUrl(publicUrl: string | undefined, path: string): string {
  return publicUrl ? `${publicUrl.replace(/\/+$/, '')}${path}` : path;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function callToJson(call: CallRecord, opts: { publicUrl: string | undefined; targetCall: boolean }): CallJson {
  return {
    id: call.id,
    sipCallId: call.sipCallId,
    trackingNumber: call.trackingNumber,
    callerNumber: call.callerNumber,
    forwardedTo: call.forwardedTo,
    trunk: call.trunk,
    startedAt: new Date(call.startedAt).toISOString(),
    ringingAt: iso(call.ringingAt),
    answeredAt: iso(call.answeredAt),
    endedAt: iso(call.endedAt),
    status: call.status,
    sipCode: call.sipCode,
    hangupBy: call.hangupBy,
    ringSeconds: call.ringSeconds,
    talkSeconds: call.talkSeconds,
    attribution: attributionJson(call),
    firstCall: call.firstCall,
    targetCall: opts.targetCall,
    tags: call.tags,
    note: call.note,
    dealValue: call.dealValue,
    recording: {
      status: call.recordingStatus,
      durationSeconds: call.recordingDuration,
      sizeBytes: call.recordingSize,
      url: recordingUrl(call, opts.publicUrl),
    },
    identityErasedAt: iso(call.identityErasedAt),
    afterHours: call.afterHours,
  };
}

/** The call's attribution snapshot; `pool` (not `poolName`) and the stored type, null included. */
function attributionJson(call: CallRecord): CallJson['attribution'] {
  const { type: _type, poolName, ...touch } = touchFromCall(call);
  return { type: call.attributionType, pool: poolName, ...touch, firstTouch: call.firstTouch };
}
