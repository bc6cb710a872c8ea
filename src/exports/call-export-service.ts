import type { Readable } from 'node:stream';
import type { Knex } from 'knex';
import { parseCallFilter, type CallFilter, type CallFilterInput } from '../calls/call-filter.js';
import { countCalls } from '../calls/call-queries.js';
import { targetCallRules } from '../calls/target-call.js';
import type { CalltrackConfig } from '../config/schema.js';
import { parseDelimiter } from './cell-safety.js';
import { buildExportFormat, parseFormatName, type ExportFormat } from './export-formats.js';
import { exportCallsCsv, exportFileName } from './export-stream.js';
import { TimeZone } from './time-zone.js';

/** An export as requested by `calltrack export calls` or `GET /v1/calls.csv` (all text, unvalidated). */
export interface ExportInput extends CallFilterInput {
  format?: string | undefined;
  delimiter?: string | undefined;
  bom?: boolean | undefined;
  tz?: string | undefined;
  /** Write text cells unchanged (no formula guard): for programs, not spreadsheets. */
  raw?: boolean | undefined;
}

export interface PreparedExport {
  filter: CallFilter;
  format: ExportFormat;
  fileName: string;
  /** How many calls the filter matches (what a progress display divides by). */
  count(): Promise<number>;
  open(onProgress?: (rowsRead: number) => void): Readable;
}

/**
 * Validates an export request against the running configuration and prepares the stream. All
 * input problems surface here, before a byte is written, so an HTTP client gets a 400 and not a
 * half-written file.
 */
export class CallExportService {
  constructor(
    private readonly db: Knex,
    private readonly config: { readonly current: CalltrackConfig },
  ) {}

  prepare(input: ExportInput): PreparedExport {
    const cfg = this.config.current;
    const zone = TimeZone.of(input.tz ?? cfg.exports.timeZone);
    const filter = parseCallFilter(input, { zone, defaultCountry: cfg.tracking.defaultCountry });
    const delimiter = parseDelimiter(input.delimiter);
    const format = buildExportFormat(parseFormatName(input.format), {
      zone,
      publicUrl: cfg.http.publicUrl,
      rules: targetCallRules(cfg),
      raw: input.raw ?? false,
      googleAds: cfg.exports.googleAds,
    });
    const bom = input.bom ?? false;
    return {
      filter,
      format,
      fileName: exportFileName(format.name, input.from, input.to),
      count: () => countCalls(this.db, filter),
      open: (onProgress) => exportCallsCsv(this.db, { filter, format, delimiter, bom, ...(onProgress ? { onProgress } : {}) }),
    };
  }
}
