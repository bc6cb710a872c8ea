import { isTargetCall } from '../calls/target-call.js';
import type { CalltrackConfig } from '../config/schema.js';
import { InvalidInputError } from '../errors.js';
import { neutraliseCell } from './cell-safety.js';
import { CALL_COLUMN_NAMES, callCellWriter, type ColumnContext } from './csv-columns.js';
import type { ExportRow } from './export-row.js';

export type ExportFormatName = 'csv' | 'metrica' | 'google-ads';
export const EXPORT_FORMATS: readonly ExportFormatName[] = ['csv', 'metrica', 'google-ads'];

/** A file layout: rows before the header, the header, and one record per call (or none). */
export interface ExportFormat {
  name: ExportFormatName;
  preamble: string[][];
  header: readonly string[];
  /** The record for a call, or null when the format leaves the call out. */
  row(call: ExportRow): string[] | null;
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
  if (name === 'google-ads') return googleAdsFormat(opts);
  return { name, preamble: [], header: CALL_COLUMN_NAMES, row: callCellWriter(opts, opts.raw) };
}

const text = (value: string | null, raw: boolean) => (value === null ? '' : raw ? value : neutraliseCell(value));
const wholeSeconds = (s: number | null) => String(Math.max(0, Math.round(s ?? 0)));

/**
 * Yandex Metrica offline calls ("Загрузка звонков"): one row per finished call with a Metrica
 * ClientID. DateTime is unix seconds (Metrica needs no zone); PhoneNumber is the caller's E.164
 * number, unquoted, because Metrica reads it as a number rather than a spreadsheet formula.
 * HoldDuration is the ringing time before the answer; Tag carries the call's tags.
 */
function metricaFormat(opts: FormatOptions): ExportFormat {
  return {
    name: 'metrica',
    preamble: [],
    header: ['ClientId', 'DateTime', 'PhoneNumber', 'TalkDuration', 'HoldDuration', 'CallMissed', 'Tag', 'FirstTimeCaller', 'URL'],
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
      ];
    },
  };
}

/**
 * Google Ads offline call conversions: a `Parameters:TimeZone=` row, the header, then target
 * calls with a caller number. Times are wall times in the export's zone, as that row declares.
 * The value is the call's deal value when the CRM set one, else `exports.googleAds.conversionValue`.
 */
function googleAdsFormat(opts: FormatOptions): ExportFormat {
  const ads = opts.googleAds;
  if (!ads) {
    throw new InvalidInputError(
      'format google-ads needs exports.googleAds.conversionName in the configuration (the conversion action name exactly as in Google Ads)',
      { field: 'format' },
    );
  }
  return {
    name: 'google-ads',
    preamble: [[`Parameters:TimeZone=${opts.zone.name}`]],
    header: ["Caller's Phone Number", 'Call Start Time', 'Conversion Name', 'Conversion Time', 'Conversion Value', 'Conversion Currency'],
    row(call) {
      if (!call.callerNumber || call.endedAt === null || !isTargetCall(call, opts.rules)) return null;
      const value = call.dealValue ?? ads.conversionValue;
      return [
        call.callerNumber,
        opts.zone.formatWall(call.startedAt),
        text(ads.conversionName, opts.raw),
        opts.zone.formatWall(call.endedAt),
        value === undefined ? '' : String(value),
        ads.currency ?? '',
      ];
    },
  };
}
