import { AppError, ConfigError } from '../errors.js';

/** Exit codes: 0 fine, 1 runtime failure, 2 bad input (config file or arguments). */
export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;

/** The one place a CLI failure becomes a message and an exit code. */
export function handleCliError(err: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  if (err instanceof ConfigError) {
    stderr.write(`calltrack: invalid configuration ${err.message}\n`);
    return EXIT_USAGE;
  }
  if (err instanceof AppError) {
    stderr.write(`calltrack: ${err.message}\n`);
    return err.kind === 'invalid-input' || err.kind === 'not-found' ? EXIT_USAGE : EXIT_RUNTIME;
  }
  if (isCommanderExit(err)) return err.exitCode === 0 ? 0 : EXIT_USAGE;
  const message = err instanceof Error ? err.message : String(err);
  stderr.write(`calltrack: ${message}\n`);
  if (process.env.LOG_LEVEL === 'debug' && err instanceof Error && err.stack) stderr.write(`${err.stack}\n`);
  return EXIT_RUNTIME;
}

function isCommanderExit(err: unknown): err is { exitCode: number } {
  return typeof err === 'object' && err !== null && 'code' in err && String((err as { code: unknown }).code).startsWith('commander.');
}
