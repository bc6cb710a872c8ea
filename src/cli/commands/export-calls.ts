import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Command } from 'commander';
import { createDatabase } from '../../db/connect.js';
import { migrateToLatest } from '../../db/migrate.js';
import { CallExportService } from '../../exports/call-export-service.js';
import { EXPORT_FORMATS } from '../../exports/export-formats.js';
import { loadCliContext } from '../context.js';
import { ProgressLine } from '../progress-line.js';

interface ExportOptions {
  from: string;
  to: string;
  out?: string;
  delimiter?: string;
  bom?: boolean;
  tz?: string;
  format?: string;
  raw?: boolean;
  status?: string;
  number?: string;
  caller?: string;
  source?: string;
  medium?: string;
  campaign?: string;
}

export function exportCallsCommand(): Command {
  return new Command('calls')
    .description('write calls as CSV (streamed: any number of rows in little memory); columns in README "CSV export"')
    .requiredOption('--from <date>', 'first day (2026-11-01), local time or ISO time with offset; in --tz')
    .requiredOption('--to <date>', 'last day, included (2026-11-30), or an exclusive ISO time')
    .option('--out <file>', 'write to this file (default: stdout)')
    .option('--delimiter <char>', 'field separator: "," (default), ";" for European Excel, or "tab"')
    .option('--bom', 'start with a UTF-8 byte-order mark (Excel on Windows then reads Cyrillic correctly)')
    .option('--tz <zone>', 'time zone for dates and the times written (default: exports.timeZone, UTC)')
    .option('--format <format>', `${EXPORT_FORMATS.join(' | ')} (default csv)`)
    .option('--raw', 'write text cells unchanged, without the formula guard (for programs, not spreadsheets)')
    .option('--status <list>', 'only these statuses, comma-separated (answered, missed, busy, no-answer, ...)')
    .option('--number <number>', 'only calls to this tracking number')
    .option('--caller <number>', "only calls from this caller's number")
    .option('--source <source>', 'only this source')
    .option('--medium <medium>', 'only this medium')
    .option('--campaign <campaign>', 'only this campaign')
    .action(async (opts: ExportOptions, cmd: Command) => {
      const { config } = loadCliContext(cmd);
      const db = createDatabase(config.database);
      try {
        await migrateToLatest(db);
        const prepared = new CallExportService(db, { current: config }).prepare(opts);
        const progress = process.stderr.isTTY ? new ProgressLine(process.stderr, await prepared.count()) : undefined;
        const stream = prepared.open(progress ? (n) => progress.update(n) : undefined);
        if (!opts.out) {
          await pipeline(stream, process.stdout).catch(ignoreClosedPipe);
          progress?.finish('calls read');
          return;
        }
        // A file appears under its name only when complete: an interrupted export leaves no
        // half file that looks like a whole one.
        const partial = `${opts.out}.partial`;
        try {
          await pipeline(stream, createWriteStream(partial));
          await rename(partial, opts.out);
        } catch (err) {
          await rm(partial, { force: true });
          throw err;
        }
        progress?.finish('calls read');
        process.stderr.write(`wrote ${opts.out} (${prepared.format.name})\n`);
      } finally {
        await db.destroy();
      }
    });
}

/** `calltrack export calls ... | head` closes stdout early: that is the reader's choice, not an error. */
function ignoreClosedPipe(err: unknown): void {
  if ((err as { code?: string }).code === 'EPIPE' || (err as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
  throw err;
}
