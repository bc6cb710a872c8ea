import { InvalidInputError } from '../errors.js';
import { TimeZone, parseTimeBound } from '../exports/time-zone.js';
import { normalisePhoneNumber, type CountryCode } from '../phone/e164.js';
import type { CallStatus } from './call-record.js';

/** `missed` stands for every final status without an answer. */
export type StatusFilter = CallStatus | 'missed';

export const MISSED_STATUSES: readonly CallStatus[] = ['busy', 'no-answer', 'canceled', 'failed', 'rejected'];
const STATUS_WORDS: readonly StatusFilter[] = ['ringing', 'answered', ...MISSED_STATUSES, 'missed'];

/** Which calls a listing, export or report covers; every field narrows (AND). */
export interface CallFilter {
  /** Calls that started at or after this instant (epoch ms). */
  from?: number;
  /** Calls that started before this instant (exclusive). */
  to?: number;
  statuses?: CallStatus[];
  trackingNumber?: string;
  callerNumber?: string;
  source?: string;
  medium?: string;
  campaign?: string;
}

/** The filter as it arrives from a query string or command-line options. */
export interface CallFilterInput {
  from?: string | undefined;
  to?: string | undefined;
  status?: string | undefined;
  number?: string | undefined;
  caller?: string | undefined;
  source?: string | undefined;
  medium?: string | undefined;
  campaign?: string | undefined;
}

export interface FilterContext {
  zone: TimeZone;
  defaultCountry: CountryCode | undefined;
}

/** Validates user input into a filter; each problem names the parameter and how to fix it. */
export function parseCallFilter(input: CallFilterInput, ctx: FilterContext): CallFilter {
  const filter: CallFilter = {};
  if (input.from) filter.from = parseTimeBound(input.from, ctx.zone, 'start', 'from');
  if (input.to) filter.to = parseTimeBound(input.to, ctx.zone, 'end', 'to');
  if (filter.from !== undefined && filter.to !== undefined && filter.to <= filter.from) {
    throw new InvalidInputError(`to: "${input.to}" is not after from "${input.from}"`, { field: 'to' });
  }
  if (input.status) filter.statuses = parseStatuses(input.status);
  if (input.number) filter.trackingNumber = parsePhoneInput(input.number, 'number', ctx.defaultCountry);
  if (input.caller) filter.callerNumber = parsePhoneInput(input.caller, 'caller', ctx.defaultCountry);
  for (const key of ['source', 'medium', 'campaign'] as const) {
    const value = input[key]?.trim();
    if (value) filter[key] = value;
  }
  return filter;
}

function parseStatuses(text: string): CallStatus[] {
  const out = new Set<CallStatus>();
  for (const word of text.split(',').map((w) => w.trim()).filter(Boolean)) {
    if (!(STATUS_WORDS as string[]).includes(word)) {
      throw new InvalidInputError(`status: "${word}" is not a call status; use one or more (comma-separated) of ${STATUS_WORDS.join(', ')}`, {
        field: 'status',
      });
    }
    if (word === 'missed') MISSED_STATUSES.forEach((s) => out.add(s));
    else out.add(word as CallStatus);
  }
  return [...out];
}

/** A phone number as a person types it, to E.164 (national formats with tracking.defaultCountry); errors name `field`. */
export function parsePhoneInput(text: string, field: string, country: CountryCode | undefined): string {
  const result = normalisePhoneNumber(text, country);
  if (!result.ok) throw new InvalidInputError(`${field}: ${result.reason}`, { field });
  return result.number;
}
