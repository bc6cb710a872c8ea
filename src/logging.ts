import pino, { type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

export interface LoggerOptions {
  level: LevelWithSilent;
  /** Human-readable lines instead of JSON (default: when the destination is a terminal). */
  pretty?: boolean;
  /** 1 = stdout (the server), 2 = stderr (CLI commands, whose stdout is their output). */
  fd?: 1 | 2;
}

/** LOG_LEVEL in the environment wins over the config file, so ops can turn on debug for one run. */
export function resolveLogLevel(configured: LevelWithSilent, env: NodeJS.ProcessEnv = process.env): LevelWithSilent {
  const fromEnv = env.LOG_LEVEL?.toLowerCase();
  const levels: LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
  return fromEnv && (levels as string[]).includes(fromEnv) ? (fromEnv as LevelWithSilent) : configured;
}

export function createLogger(opts: LoggerOptions): Logger {
  const fd = opts.fd ?? 1;
  const isTty = fd === 1 ? process.stdout.isTTY : process.stderr.isTTY;
  const base = { level: opts.level, base: { app: 'calltrack' }, timestamp: pino.stdTimeFunctions.isoTime };
  if (opts.pretty ?? isTty) {
    // In-process and synchronous: no worker thread, and nothing is lost when the CLI exits at once.
    return pino(base, pretty({ destination: fd, sync: true, colorize: isTty, translateTime: 'SYS:standard', ignore: 'pid,hostname,app' }));
  }
  return pino(base, pino.destination({ fd, sync: fd === 2 }));
}

export type { Logger };
