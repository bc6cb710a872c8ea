import { Command } from 'commander';
import { createDatabase } from '../../db/connect.js';
import { migrateToLatest, rollbackLastBatch } from '../../db/migrate.js';
import { loadCliContext, print } from '../context.js';

export function migrateCommand(): Command {
  return new Command('migrate')
    .description('bring the database schema up to date (serve does this on start)')
    .option('--rollback', 'undo the last batch of migrations')
    .action(async (opts: { rollback?: boolean }, cmd: Command) => {
      const { config } = loadCliContext(cmd);
      const db = createDatabase(config.database);
      try {
        if (opts.rollback) {
          const { applied } = await rollbackLastBatch(db);
          print(applied.length ? `rolled back: ${applied.join(', ')}` : 'nothing to roll back');
        } else {
          const { applied } = await migrateToLatest(db);
          print(applied.length ? `applied: ${applied.join(', ')}` : 'already up to date');
        }
      } finally {
        await db.destroy();
      }
    });
}
