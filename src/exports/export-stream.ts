import { Readable, pipeline, type Transform } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { Knex } from 'knex';
import type { CallFilter } from '../calls/call-filter.js';
import { streamCalls } from '../calls/call-queries.js';
import type { ExportFormat } from './export-formats.js';

export interface CallExportRequest {
  filter: CallFilter;
  format: ExportFormat;
  delimiter: string;
  /** A UTF-8 byte-order mark first, so Excel opens Cyrillic text correctly. */
  bom: boolean;
  /** Called as rows are read (every row counts, also those a format leaves out). */
  onProgress?: (rowsRead: number) => void;
}

/**
 * The export as a byte stream: calls are read in keyset batches and written through
 * csv-stringify, pulled at the pace of the consumer (a file or an HTTP response), so memory
 * stays flat however many calls there are. Destroying the result stops the reads.
 */
export function exportCallsCsv(db: Knex, req: CallExportRequest): Transform {
  const source = Readable.from(records(db, req), { objectMode: true, highWaterMark: 256 });
  const csv = stringify({ delimiter: req.delimiter, bom: req.bom, quoted_match: /^\s|\s$/ });
  pipeline(source, csv, () => {
    // pipeline() destroys both streams on failure; the consumer sees the error on `csv`.
  });
  return csv;
}

async function* records(db: Knex, req: CallExportRequest): AsyncGenerator<readonly string[]> {
  const { format, onProgress } = req;
  for (const row of format.preamble) yield row;
  yield format.header;
  let read = 0;
  for await (const call of streamCalls(db, req.filter)) {
    const row = format.row(call);
    if (row) yield row;
    read += 1;
    if (onProgress && read % 1000 === 0) onProgress(read);
  }
  onProgress?.(read);
}

/** `calls-2026-11-01_2026-11-30.csv`, for Content-Disposition and the CLI's messages. */
export function exportFileName(format: ExportFormat['name'], from: string | undefined, to: string | undefined): string {
  const safe = (s: string | undefined) => (s ?? 'all').replace(/[^0-9A-Za-z-]+/g, '-').slice(0, 25);
  const prefix = format === 'csv' ? 'calls' : `calls-${format}`;
  return `${prefix}-${safe(from)}_${safe(to)}.csv`;
}
