import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import type { Database } from './connect.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

interface MigrationModule {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/**
 * Reads `migrations/*.ts` in name order. A custom source rather than knex's directory loader
 * because ours are TypeScript ES modules loaded through tsx; knex's loader would `require` them.
 * Migrations are append-only once released: fix a landed one with a new migration.
 */
class DirectoryMigrationSource implements Knex.MigrationSource<string> {
  constructor(private readonly dir: string) {}

  getMigrations(): Promise<string[]> {
    const files = readdirSync(this.dir)
      .filter((f) => /^\d+_[\w-]+\.ts$/.test(f))
      .sort();
    return Promise.resolve(files);
  }

  getMigrationName(file: string): string {
    return file.replace(/\.ts$/, '');
  }

  async getMigration(file: string): Promise<MigrationModule> {
    return (await import(pathToFileURL(path.join(this.dir, file)).href)) as MigrationModule;
  }
}

const options = (dir: string): Knex.MigratorConfig => ({
  migrationSource: new DirectoryMigrationSource(dir),
  tableName: 'knex_migrations',
});

export interface MigrationReport {
  applied: string[];
  batch: number;
}

export async function migrateToLatest(db: Database, dir = MIGRATIONS_DIR): Promise<MigrationReport> {
  const [batch, applied] = (await db.migrate.latest(options(dir))) as [number, string[]];
  return { batch, applied };
}

/** Rolls back the last batch (what the last `migrate` applied). */
export async function rollbackLastBatch(db: Database, dir = MIGRATIONS_DIR): Promise<MigrationReport> {
  const [batch, applied] = (await db.migrate.rollback(options(dir))) as [number, string[]];
  return { batch, applied };
}

export async function pendingMigrations(db: Database, dir = MIGRATIONS_DIR): Promise<string[]> {
  // With a custom source, knex lists pending migrations as whatever getMigrations returned.
  const [, pending] = (await db.migrate.list(options(dir))) as [unknown, (string | { file: string })[]];
  return pending.map((p) => (typeof p === 'string' ? p : p.file).replace(/\.ts$/, ''));
}
