import type { Command } from 'commander';
import { loadConfigFile, resolveConfigPath, type LoadedConfig } from '../config/load.js';
import { migrateToLatest } from '../db/migrate.js';
import { createLogger, resolveLogLevel, type Logger } from '../logging.js';
import type { App } from '../main.js';

export interface GlobalOptions {
  config?: string;
  pretty?: boolean;
}

export interface CliContext extends LoadedConfig {
  logger: Logger;
}

/** Loads and validates the config named by -c / CALLTRACK_CONFIG / the default path. */
export function loadCliContext(cmd: Command, opts: { fd?: 1 | 2 } = {}): CliContext {
  const global = cmd.optsWithGlobals<GlobalOptions>();
  const loaded = loadConfigFile(resolveConfigPath(global.config));
  const logger = createLogger({
    level: resolveLogLevel(loaded.config.log.level),
    ...(global.pretty ? { pretty: true } : {}),
    fd: opts.fd ?? 2,
  });
  for (const w of loaded.warnings) logger.warn({ key: w.path }, w.message);
  return { ...loaded, logger };
}

/** Writes command output (not logs) to stdout. */
export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function printJson(value: unknown): void {
  print(JSON.stringify(value, null, 2));
}

/**
 * Runs a command against the services the server uses (built by the composition root, so the
 * CLI and `serve` can never compute differently). Migrates first; listens and connects to
 * nothing; closes the database afterwards.
 */
export async function withApp<T>(cmd: Command, fn: (app: App, ctx: CliContext) => Promise<T>): Promise<T> {
  const ctx = loadCliContext(cmd);
  // Loaded here, not at the top: every command imports this module, and the whole application
  // (HTTP, SIP, media) is most of the CLI's start-up; `export calls` and others never build it.
  const { createApp } = await import('../main.js');
  const app = await createApp(ctx.config, { logger: ctx.logger });
  try {
    await migrateToLatest(app.db);
    return await fn(app, ctx);
  } finally {
    await app.stop();
  }
}

export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
