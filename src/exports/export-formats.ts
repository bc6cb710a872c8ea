import type { CalltrackConfig } from '../config/schema.js';
import { InvalidInputError } from '../errors.js';
import { neutraliseCell } from './cell-safety.js';
import { CALL_COLUMN_NAMES, callCellWriter, type ColumnContext } from './csv-columns.js';
import type { ExportRow } from './export-row.js';
import { googleAdsCallsFormat, googleAdsClicksFormat } from './google-ads-formats.js';

export type ExportFormatName = 'csv' | 'metrica' | 'google-ads' | 'google-ads-clicks';
export const EXPORT_FORMATS: readonly ExportFormatName[] = ['csv', 'metrica', 'google-ads', 'google-ads-clicks'];

/** A file layout: rows before the header, the header, and one record per call (or none). */
export interface ExportFormat {
  name: ExportFormatName;
  preamble: string[][];
  header: readonly string[];
  /** The record for a call, or null when the format leaves the call out. */
  row(call: ExportRow): string[] | null;
  /** Whether row() reads `visitStartedAt` (a lookup per call, so only formats that need it ask). */
  readsVisitStart: boolean;
}

export interface FormatOptions extends ColumnContext {
  raw: boolean;
  googleAds: CalltrackConfig['exports']['googleAds'];
}

export function parseFormatName(text: string | undefined): ExportFormatName {
  if (text === undefined || text === '') return 'csv';
  if ((EXPORT_FORMATS as string[]).includes(text)) return text as ExportFormatName;
  throw new InvalidInputError(`format: "${text}" is not an export format; use ${EXPORT_FORMATS.join(', ')}`, { field: 'format' });
}

export function buildExportFormat(name: ExportFormatName, opts: FormatOptions): ExportFormat {
  if (name === 'metrica') return metricaFormat(opts);
  if (name === 'google-ads') return googleAdsCallsFormat(opts);
  if (name === 'google-ads-clicks') return googleAdsClicksFormat(opts);
  return { name, preamble: [], header: CALL_COLUMN_NAMES, row: callCellWriter(opts, opts.raw), readsVisitStart: false };
}

const text = (value: string | null, raw: boolean) => (value === null ? '' : raw ? value : neutraliseCell(value));
const wholeSeconds = (s: number | null) => String(Math.max(0, Math.round(s ?? 0)));

/**
 * Yandex Metrica offline calls ("Sending call data", yandex.com/dev/metrika/en/management/calls):
 * one row per finished call with a Metrica ClientID. DateTime is unix seconds, which are UTC as
 * Metrica asks; PhoneNumber is the caller's E.164 number, unquoted, because Metrica reads it as a
 * number rather than a spreadsheet formula. HoldDuration is the ringing time before the answer;
 * Tag carries the call's tags. StaticCall says how the number was shown: 0 for a pool number,
 * which Metrica links to the visitor's nearest visit, 1 otherwise (Metrica links a static call
 * to no visit); only pool calls carry a ClientID, so in practice it is 0.
 */
function metricaFormat(opts: FormatOptions): ExportFormat {
  return {
    name: 'metrica',
    preamble: [],
    header: ['ClientId', 'DateTime', 'PhoneNumber', 'TalkDuration', 'HoldDuration', 'CallMissed', 'Tag', 'FirstTimeCaller', 'URL', 'StaticCall'],
    readsVisitStart: false,
    row(call) {
      if (!call.ymClientId || call.endedAt === null) return null;
      const answered = call.answeredAt !== null;
      return [
        call.ymClientId,
        String(Math.floor(call.startedAt / 1000)),
        call.callerNumber ?? '',
        answered ? wholeSeconds(call.talkSeconds) : '0',
        wholeSeconds(call.ringSeconds),
        answered ? '0' : '1',
        text(call.tags.join(','), opts.raw),
        call.firstCall ? '1' : '0',
        text(call.landingPage, opts.raw),
        call.attributionType === 'dynamic' ? '0' : '1',
      ];
    },
  };
}
