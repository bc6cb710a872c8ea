import { Command } from 'commander';
import { systemClock } from '../../clock.js';
import { createDatabase } from '../../db/connect.js';
import { recordingDirs } from '../../media/media-policy.js';
import { RecordingRetention, RecordingStore } from '../../media/recording-retention.js';
import { loadCliContext, print, printJson, type CliContext } from '../context.js';
import { retentionDays } from '../retention-days.js';

async function withRetention<T>(cmd: Command, run: (r: RecordingRetention, ctx: CliContext, dir: string) => Promise<T>): Promise<T> {
  const ctx = loadCliContext(cmd);
  const db = createDatabase(ctx.config.database);
  const dir = recordingDirs(ctx.config).local;
  try {
    return await run(new RecordingRetention(db, new RecordingStore(), dir, systemClock, ctx.logger), ctx, dir);
  } finally {
    await db.destroy();
  }
}

function pruneCommand(): Command {
  return new Command('prune')
    .description('delete recordings of calls older than media.recording.retentionDays and mark their rows "pruned"')
    .option('--days <n>', 'override media.recording.retentionDays for this run')
    .option('--dry-run', 'only list what would be deleted')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { days?: string; dryRun?: boolean; json?: boolean }, cmd: Command) => {
      await withRetention(cmd, async (retention, { config }, dir) => {
        const days = retentionDays(opts.days, config.media.recording.retentionDays, { key: 'media.recording.retentionDays', min: 1, why: '1' });
        const report = await retention.prune(days, { dryRun: opts.dryRun === true });
        if (opts.json) return printJson(report);
        const verb = opts.dryRun ? 'would delete' : 'deleted';
        print(
          [
            `recordings in ${dir} of calls before ${new Date(report.cutoff).toISOString()} (${days} days)`,
            `${verb}: ${report.deleted.length}`,
            `already gone (row marked pruned): ${report.alreadyGone.length}`,
            `${verb} files with no call: ${report.orphansDeleted.length}`,
            ...report.failed.map((f) => `FAILED ${f.path}: ${f.error}`),
          ].join('\n'),
        );
      });
    });
}

function verifyCommand(): Command {
  return new Command('verify')
    .description('report calls whose recording file is missing, and files no call refers to')
    .option('--mark-missing', 'set recording_status "missing" on calls whose file is gone')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { markMissing?: boolean; json?: boolean }, cmd: Command) => {
      await withRetention(cmd, async (retention, _ctx, dir) => {
        const report = await retention.verify({ markMissing: opts.markMissing === true });
        if (opts.json) return printJson(report);
        print(
          [
            `checked ${report.checked} recorded calls against ${dir}`,
            `calls with a missing file: ${report.missingFiles.length}`,
            ...report.missingFiles.map((m) => `  missing ${m.path} (call ${m.callId})`),
            `files with no call: ${report.orphanFiles.length}`,
            ...report.orphanFiles.map((f) => `  orphan ${f}`),
          ].join('\n'),
        );
      });
    });
}

export function recordingsCommand(): Command {
  return new Command('recordings').description('call recordings on disk').addCommand(pruneCommand()).addCommand(verifyCommand());
}
