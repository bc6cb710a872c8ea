import { Command } from 'commander';
import { systemClock } from '../../clock.js';
import { MIN_VISIT_RETENTION_DAYS } from '../../config/schema.js';
import { createDatabase } from '../../db/connect.js';
import { migrateToLatest } from '../../db/migrate.js';
import { VisitRetention } from '../../tracking/visit-retention.js';
import { loadCliContext, print, printJson } from '../context.js';
import { retentionDays } from '../retention-days.js';

function pruneCommand(): Command {
  return new Command('prune')
    .description('delete visits older than tracking.visitRetentionDays that no call refers to; erase IP address and user agent of the rest')
    .option('--days <n>', 'override tracking.visitRetentionDays for this run')
    .option('--dry-run', 'only count what would be deleted or erased')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { days?: string; dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const ctx = loadCliContext(cmd);
      const days = retentionDays(opts.days, ctx.config.tracking.visitRetentionDays, {
        key: 'tracking.visitRetentionDays',
        min: MIN_VISIT_RETENTION_DAYS,
        why: `${MIN_VISIT_RETENTION_DAYS} (pools status and the pool-size advisor read the last 7 days of holds)`,
      });
      const db = createDatabase(ctx.config.database);
      try {
        // As every other command: a cron job run right after an upgrade meets the new schema (visit_counts).
        await migrateToLatest(db);
        const report = await new VisitRetention({ db, clock: systemClock, logger: ctx.logger }).prune(days, { dryRun: opts.dryRun === true });
        if (opts.json) return printJson({ ...report, cutoff: new Date(report.cutoff).toISOString() });
        const [deleted, erased] = opts.dryRun ? ['to be deleted', 'to be erased'] : ['deleted', 'erased'];
        print(
          [
            `visits last seen before ${new Date(report.cutoff).toISOString()} (${days} days)${opts.dryRun ? ': dry run, nothing changed' : ''}`,
            `visits ${deleted} (no call refers to them; with their pages and hold history): ${report.visitsDeleted}`,
            `visits kept for their calls, IP address and user agent ${erased}: ${report.visitsAnonymised}`,
            `pool events ${deleted}: ${report.poolEventsDeleted}`,
          ].join('\n'),
        );
      } finally {
        await db.destroy();
      }
    });
}

export function visitsCommand(): Command {
  return new Command('visits').description('website visits (visitor data retention)').addCommand(pruneCommand());
}
