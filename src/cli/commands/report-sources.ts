import { Command } from 'commander';
import { createDatabase } from '../../db/connect.js';
import { migrateToLatest } from '../../db/migrate.js';
import { REPORT_DIMENSIONS } from '../../calls/source-report-query.js';
import { SourceReportService, formatSourceReport } from '../../exports/source-report.js';
import { loadCliContext, print, printJson } from '../context.js';

interface ReportOptions {
  from: string;
  to: string;
  by?: string;
  tz?: string;
  json?: boolean;
  status?: string;
  number?: string;
  source?: string;
  medium?: string;
  campaign?: string;
}

export function reportSourcesCommand(): Command {
  return new Command('sources')
    .description('calls per source (or medium, campaign...): unique and first-time callers, answered, missed, target calls, average talk')
    .requiredOption('--from <date>', 'first day (2026-11-01), in --tz')
    .requiredOption('--to <date>', 'last day, included (2026-11-30)')
    .option('--by <dimension>', `group by ${REPORT_DIMENSIONS.join(' | ')} (default source)`)
    .option('--tz <zone>', 'time zone of the dates (default: exports.timeZone, UTC)')
    .option('--json', 'print JSON (the same as GET /v1/reports/sources)')
    .option('--status <list>', 'only these statuses, comma-separated')
    .option('--number <number>', 'only calls to this tracking number')
    .option('--source <source>', 'only this source')
    .option('--medium <medium>', 'only this medium')
    .option('--campaign <campaign>', 'only this campaign')
    .action(async (opts: ReportOptions, cmd: Command) => {
      const { config } = loadCliContext(cmd);
      const db = createDatabase(config.database);
      try {
        await migrateToLatest(db);
        const report = await new SourceReportService(db, { current: config }).run(opts);
        if (opts.json) printJson(report);
        else print(formatSourceReport(report));
      } finally {
        await db.destroy();
      }
    });
}
