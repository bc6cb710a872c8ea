import { Command } from 'commander';
import { loadConfigFile } from '../../config/load.js';
import type { ReloadChanges } from '../../config/restart-only.js';
import { ConfigError, formatProblems } from '../../errors.js';
import { loadCliContext } from '../context.js';

/**
 * How long SIGTERM waits before exiting anyway: the calls' grace period (after which calltrack
 * hangs them up itself and writes their rows) plus time for that and for HTTP requests.
 */
const shutdownLimitMs = (sip: { shutdownGraceSeconds: number }) => (sip.shutdownGraceSeconds + 15) * 1000;

/** The reload's log line says what it applied and what waits for a restart (each also warned on its own). */
export function reloadedMessage(changes: ReloadChanges): string {
  const applied = changes.applied.length > 0 ? `applied: ${changes.applied.join(', ')}` : 'no setting changed';
  if (changes.needsRestart.length === 0) return `configuration reloaded (${applied})`;
  return `configuration reloaded (${applied}; NOT applied until a restart: ${changes.needsRestart.join(', ')})`;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('run calltrack: HTTP API, SIP call handling, number sync (migrates the database first)')
    .action(async (_opts: unknown, cmd: Command) => {
      const { config, file, logger } = loadCliContext(cmd, { fd: 1 });
      // Imported here: the whole application is most of the CLI's start-up, which the other
      // commands (a million-row export among them) should not pay.
      const { createApp } = await import('../../main.js');
      const app = await createApp(config, { logger });
      try {
        await app.start();
      } catch (err) {
        // A failed start (the port in use) must end the process with its error, not leave the
        // database and its timers holding it open: a supervisor would wait on a server that never serves.
        await app.stop().catch((stopErr: unknown) => logger.warn({ err: stopErr }, 'cleanup after the failed start failed'));
        throw err;
      }
      logger.info({ config: file }, 'calltrack is running');

      // SIGHUP: re-read the file; a bad file changes nothing and every problem is logged.
      const reloadFromFile = async (): Promise<void> => {
        logger.info({ config: file }, 'SIGHUP: reloading configuration');
        let next;
        try {
          next = loadConfigFile(file);
        } catch (err) {
          if (err instanceof ConfigError) {
            logger.error({ problems: err.problems }, `configuration NOT reloaded, the running one stays:\n${formatProblems(err.problems)}`);
          } else {
            logger.error({ err }, 'configuration NOT reloaded, the running one stays');
          }
          return;
        }
        for (const w of next.warnings) logger.warn({ key: w.path }, w.message);
        await app.reload(next.config).then(
          (summary) => logger.info({ summary }, reloadedMessage(summary)),
          (err: unknown) => logger.error({ err }, 'configuration NOT reloaded (number sync failed), the running one stays'),
        );
      };
      // One reload at a time, each reading the file when its turn comes: overlapping ones (a
      // deploy tool sending two SIGHUPs) would sync numbers side by side and could finish out
      // of order, leaving the older file's settings running.
      let reloads = Promise.resolve();
      process.on('SIGHUP', () => {
        reloads = reloads.then(reloadFromFile).catch((err: unknown) => logger.error({ err }, 'configuration NOT reloaded, the running one stays'));
      });

      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: NodeJS.Signals) => {
          if (stopping) {
            logger.warn({ signal }, 'second signal: exiting now');
            process.exit(1);
          }
          stopping = true;
          logger.info({ signal }, 'shutting down: no new calls or requests, waiting for those in progress');
          const timer = setTimeout(() => {
            logger.warn('shutdown grace period over; closing anyway');
            process.exit(1);
          }, shutdownLimitMs(app.config.current.sip));
          timer.unref();
          app.stop().then(resolve, (err: unknown) => {
            logger.error({ err }, 'error while shutting down');
            resolve();
          });
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      logger.info('calltrack stopped');
    });
}
