import type { Command } from 'commander';
import { migrateToLatest } from '../db/migrate.js';
import { createApp, type App } from '../main.js';
import { loadCliContext, type CliContext } from './context.js';

/**
 * Runs a command against the services the server uses (built by the composition root, so the
 * CLI and `serve` can never compute differently). Migrates first; listens and connects to
 * nothing; closes the database afterwards.
 */
export async function withApp<T>(cmd: Command, fn: (app: App, ctx: CliContext) => Promise<T>): Promise<T> {
  const ctx = loadCliContext(cmd);
  const app = await createApp(ctx.config, { logger: ctx.logger });
  try {
    await migrateToLatest(app.db);
    return await fn(app, ctx);
  } finally {
    await app.stop();
  }
}

export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
