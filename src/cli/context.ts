import type { Command } from 'commander';
import { loadConfigFile, resolveConfigPath, type LoadedConfig } from '../config/load.js';
import { createLogger, resolveLogLevel, type Logger } from '../logging.js';

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
