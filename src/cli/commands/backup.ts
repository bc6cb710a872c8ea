import { Command } from 'commander';
import { createDatabase } from '../../db/connect.js';
import { backupSqlite } from '../../db/sqlite-backup.js';
import { loadCliContext, print, printJson } from '../context.js';

/**
 * `calltrack backup --out FILE`: a consistent copy of the SQLite database while `serve` runs.
 * It does not migrate first: a backup taken before an upgrade must hold the old schema, so that
 * restoring it and going back to the old version works.
 */
export function backupCommand(): Command {
  return new Command('backup')
    .description('copy the SQLite database to one consistent file while the server runs (PostgreSQL: use pg_dump)')
    .requiredOption('--out <file>', 'the backup file to write (must not exist yet)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { out: string; json?: boolean }, cmd: Command) => {
      const { config } = loadCliContext(cmd);
      const db = createDatabase(config.database);
      try {
        const r = await backupSqlite(db, opts.out);
        if (opts.json) return printJson(r);
        print(
          [
            `backup written: ${r.file} (${formatBytes(r.bytes)}, ${(r.tookMs / 1000).toFixed(1)} s)`,
            `it holds ${r.calls} calls and ${r.visits} visits, schema ${r.schema ?? '(none)'}; checked with quick_check`,
          ].join('\n'),
        );
      } finally {
        await db.destroy();
      }
    });
}

function formatBytes(n: number): string {
  if (n < 1024 * 1024) return `${Math.max(1, Math.round(n / 1024))} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
