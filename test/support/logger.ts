import pino, { type Logger } from 'pino';

/** Tests log nothing unless TEST_LOG=debug (or another level) is set. */
export function testLogger(): Logger {
  return pino({ level: process.env.TEST_LOG ?? 'silent' });
}
