import { Command } from 'commander';
import { packageVersion } from '../version.js';
import { attributeCommand } from './commands/attribute.js';
import { backupCommand } from './commands/backup.js';
import { callsCommand } from './commands/calls.js';
import { configCommand } from './commands/config-check.js';
import { exportCallsCommand } from './commands/export-calls.js';
import { migrateCommand } from './commands/migrate.js';
import { numbersSyncCommand } from './commands/numbers-sync.js';
import { recordingsCommand } from './commands/recordings.js';
import { reportSourcesCommand } from './commands/report-sources.js';
import { serveCommand } from './commands/serve.js';
import { numbersListCommand, poolsCommand } from './commands/tracking-reports.js';
import { visitsCommand } from './commands/visits.js';
import { webhooksCommand } from './commands/webhooks.js';
import { handleCliError } from './handle-error.js';

export function buildProgram(): Command {
  const program = new Command('calltrack')
    .description('self-hosted call tracking: tracking numbers, SIP forwarding, attribution, exports')
    .version(packageVersion())
    .option('-c, --config <file>', 'configuration file (default: $CALLTRACK_CONFIG or config/calltrack.yaml)')
    .option('--pretty', 'human-readable logs (default when logging to a terminal)')
    .showHelpAfterError()
    .exitOverride();

  program.addCommand(serveCommand());
  program.addCommand(configCommand());
  program.addCommand(migrateCommand());
  program.addCommand(backupCommand());
  program.addCommand(
    new Command('numbers').description('tracking numbers').addCommand(numbersSyncCommand()).addCommand(numbersListCommand()),
  );
  program.addCommand(poolsCommand());
  program.addCommand(attributeCommand());
  program.addCommand(recordingsCommand());
  program.addCommand(visitsCommand());
  program.addCommand(callsCommand());
  program.addCommand(new Command('export').description('export calls (CSV, Yandex Metrica, Google Ads)').addCommand(exportCallsCommand()));
  program.addCommand(new Command('report').description('reports on calls').addCommand(reportSourcesCommand()));
  program.addCommand(webhooksCommand());
  for (const cmd of program.commands) propagateExitOverride(cmd);
  return program;
}

function propagateExitOverride(cmd: Command): void {
  cmd.exitOverride();
  for (const sub of cmd.commands) propagateExitOverride(sub);
}

export async function runCli(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    process.exitCode = handleCliError(err);
  }
}
