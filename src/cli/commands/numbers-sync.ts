import { Command } from 'commander';
import pino from 'pino';
import { systemClock } from '../../clock.js';
import { createDatabase } from '../../db/connect.js';
import { migrateToLatest } from '../../db/migrate.js';
import { NumberStore } from '../../tracking/number-store.js';
import { NumberSyncService } from '../../tracking/number-sync.js';
import { loadCliContext, print, printJson } from '../context.js';

export function numbersSyncCommand(): Command {
  return new Command('sync')
    .description('write the numbers in the config to the database; numbers no longer listed are deactivated, never deleted')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { config } = loadCliContext(cmd);
      const db = createDatabase(config.database);
      try {
        await migrateToLatest(db);
        const summary = await new NumberSyncService(db, new NumberStore(), systemClock, pino({ level: 'silent' })).sync(config);
        if (opts.json) return printJson(summary);
        print(
          [
            `created: ${summary.created.length}${list(summary.created)}`,
            `updated: ${summary.updated.length}${list(summary.updated)}`,
            `reactivated: ${summary.reactivated.length}${list(summary.reactivated)}`,
            `deactivated: ${summary.deactivated.length}${list(summary.deactivated)}`,
            `unchanged: ${summary.unchanged}`,
          ].join('\n'),
        );
      } finally {
        await db.destroy();
      }
    });
}

const list = (numbers: string[]) => (numbers.length ? ` (${numbers.join(', ')})` : '');
