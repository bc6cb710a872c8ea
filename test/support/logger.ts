import pino, { type Logger, type LevelWithSilent } from 'pino';

/** Tests log nothing unless TEST_LOG=debug (or another level) is set. */
export function testLogger(): Logger {
  return pino({ level: process.env.TEST_LOG ?? 'silent' });
}

export interface LogLine {
  level: number;
  msg?: string;
  [key: string]: unknown;
}

/** A real pino logger whose JSON lines are kept in `lines`, for tests that assert what an admin reads. */
export function capturingLogger(level: LevelWithSilent = 'info'): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level }, { write: (text: string) => void lines.push(JSON.parse(text) as LogLine) });
  return { logger, lines };
}
