import type { CalltrackConfig } from '../config/schema.js';
import { InvalidInputError } from '../errors.js';
import { CALL_COLUMN_NAMES, callCellWriter, type ColumnContext } from './csv-columns.js';
import type { ExportRow } from './export-row.js';
import { googleAdsCallsFormat, googleAdsClicksFormat } from './google-ads-formats.js';
import { metricaCallColumns, metricaCallRow, type MetricaIdentifier } from './metrica-calls.js';

export type ExportFormatName = 'csv' | 'metrica' | 'metrica-yclid' | 'google-ads' | 'google-ads-clicks';
export const EXPORT_FORMATS: readonly ExportFormatName[] = ['csv', 'metrica', 'metrica-yclid', 'google-ads', 'google-ads-clicks'];

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
  if (name === 'metrica') return metricaFormat(name, 'ClientId', opts);
  if (name === 'metrica-yclid') return metricaFormat(name, 'Yclid', opts);
  if (name === 'google-ads') return googleAdsCallsFormat(opts);
  if (name === 'google-ads-clicks') return googleAdsClicksFormat(opts);
  return { name, preamble: [], header: CALL_COLUMN_NAMES, row: callCellWriter(opts, opts.raw), readsVisitStart: false };
}

/**
 * Yandex Metrica offline calls: the row is metrica-calls.ts's, which the automatic upload uses too.
 * One identifier column per file, as Metrica takes one identifier type per upload: `metrica` holds
 * the calls with a ClientID, `metrica-yclid` those without one that came from a Direct ad.
 */
function metricaFormat(name: ExportFormatName, identifier: MetricaIdentifier, opts: FormatOptions): ExportFormat {
  return {
    name,
    preamble: [],
    header: metricaCallColumns(identifier),
    readsVisitStart: false,
    row: (call) => metricaCallRow(call, opts.raw, identifier),
  };
}
