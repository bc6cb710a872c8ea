import { Command } from 'commander';
import { parsePhoneInput } from '../../calls/call-filter.js';
import { CallRetention, type CallAnonymiseReport } from '../../calls/call-retention.js';
import { CallerErasure, type CallerErasureReport } from '../../calls/caller-erasure.js';
import { systemClock } from '../../clock.js';
import { createDatabase } from '../../db/connect.js';
import { migrateToLatest } from '../../db/migrate.js';
import { OutboxStore } from '../../integrations/outbox-store.js';
import { recordingDirs } from '../../media/media-policy.js';
import { RecordingRetention, RecordingStore } from '../../media/recording-retention.js';
import { EXIT_RUNTIME } from '../handle-error.js';
import { loadCliContext, print, printJson } from '../context.js';
import { retentionDays } from '../retention-days.js';

/** `calls forget` and `calls anonymise`: a caller's personal data, on request or after a period. */

export function forgetCommand(): Command {
  return new Command('forget')
    .description("erase one caller's personal data: caller number, note and analytics ids of their calls, recordings, their visits' IP address, user agent and analytics ids, the same in outbox events")
    .requiredOption('--caller <phone>', "the caller's number (any format; tracking.defaultCountry applies)")
    .option('--dry-run', 'only count what would be erased')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { caller: string; dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const { config, logger } = loadCliContext(cmd);
      const caller = parsePhoneInput(opts.caller, '--caller', config.tracking.defaultCountry);
      const db = createDatabase(config.database);
      try {
        await migrateToLatest(db);
        const recordingStore = new RecordingStore();
        const recordings = new RecordingRetention(db, recordingStore, recordingDirs(config).local, systemClock, logger);
        const erasure = new CallerErasure({ db, clock: systemClock, logger, recordings, recordingStore, outbox: new OutboxStore() });
        const report = await erasure.forget(caller, { dryRun: opts.dryRun === true });
        // Something was left for a second run: a script must not take this for a finished erasure.
        if (!report.dryRun && (report.callsInProgress > 0 || report.recordingsFailed.length > 0)) process.exitCode = EXIT_RUNTIME;
        if (opts.json) return printJson(report);
        print(formatErasure(report));
      } finally {
        await db.destroy();
      }
    });
}

function formatErasure(r: CallerErasureReport): string {
  if (r.callsErased === 0 && r.callsInProgress === 0 && r.recordingsFailed.length === 0) {
    return `no calls from ${r.caller}: nothing to erase`;
  }
  const would = (done: string, todo: string) => (r.dryRun ? todo : done);
  const lines = [
    `caller ${r.caller}${r.dryRun ? ': dry run, nothing changed' : ''}`,
    `calls ${would('erased', 'to be erased')} (caller number, note and analytics ids; times, status, attribution, tags and deal value kept for reports): ${r.callsErased}`,
    `recordings ${would('deleted', 'to be deleted')}: ${r.recordingsDeleted}`,
    `recordings already gone (row marked erased): ${r.recordingsAlreadyGone}`,
    `visits kept for their calls, IP address, user agent and analytics ids ${would('erased', 'to be erased')}: ${r.visitsAnonymised}`,
    `webhook outbox entries ${would('rewritten', 'to be rewritten')} without the number and analytics ids: ${r.outboxEntriesRewritten}`,
    `analytics hits not yet sent ${would('dropped', 'to be dropped')}: ${r.outboxEntriesDropped}`,
  ];
  if (r.callsInProgress > 0) lines.push(`calls in progress or just ended, left alone: ${r.callsInProgress}; run this again once they are over`);
  for (const f of r.recordingsFailed) lines.push(`FAILED to delete ${f.path} (call ${f.callId}): ${f.error}; that call was left whole, run this again`);
  return lines.join('\n');
}

export function anonymiseCommand(): Command {
  return new Command('anonymise')
    .description('erase caller number, note and analytics ids of calls older than tracking.callerRetentionDays (the calls stay for reports)')
    .option('--days <n>', 'override tracking.callerRetentionDays for this run (at least tracking.repeatCallDays)')
    .option('--dry-run', 'only count what would be erased')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { days?: string; dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const { config, logger } = loadCliContext(cmd);
      const { repeatCallDays } = config.tracking;
      const days = retentionDays(opts.days, config.tracking.callerRetentionDays, {
        key: 'tracking.callerRetentionDays',
        min: Math.max(1, repeatCallDays),
        why: `tracking.repeatCallDays (${repeatCallDays}: a repeat caller is recognised by the number of their earlier calls)`,
      });
      const db = createDatabase(config.database);
      try {
        await migrateToLatest(db);
        const report = await new CallRetention({ db, clock: systemClock, logger, outbox: new OutboxStore() }).anonymise(days, { dryRun: opts.dryRun === true });
        if (opts.json) return printJson({ ...report, cutoff: new Date(report.cutoff).toISOString() });
        print(formatAnonymised(report));
      } finally {
        await db.destroy();
      }
    });
}

function formatAnonymised(r: CallAnonymiseReport): string {
  const [erased, rewritten, dropped] = r.dryRun ? ['to be erased', 'to be rewritten', 'to be dropped'] : ['erased', 'rewritten', 'dropped'];
  return [
    `calls that started before ${new Date(r.cutoff).toISOString()} (${r.days} days)${r.dryRun ? ': dry run, nothing changed' : ''}`,
    `calls whose caller number, note and analytics ids are ${erased} (the calls stay for reports): ${r.callsAnonymised}`,
    `webhook outbox entries ${rewritten} without them: ${r.outboxEntriesRewritten}`,
    `analytics hits not yet sent ${dropped}: ${r.outboxEntriesDropped}`,
  ].join('\n');
}
