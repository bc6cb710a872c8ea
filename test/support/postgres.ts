import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * A PostgreSQL server for tests: `CALLTRACK_TEST_PG_URL` when set, otherwise a throwaway
 * cluster started from Debian's binaries (/usr/lib/postgresql/<v>/bin) in a temp dir.
 * Each test gets its own database from `createDatabase()`.
 *
 *   const pgServer = await startTestPostgres();
 *   describe('... on PostgreSQL', { skip: pgServer.skipReason }, () => { ... });
 *   after(() => pgServer.stop());
 *
 * When no server can be had, `skipReason` says why, and the reason is also written to stderr
 * in capitals: a PostgreSQL suite never passes silently without having run.
 */
export interface TestPostgres {
  /** false when running; otherwise why the PostgreSQL tests are skipped. */
  skipReason: string | false;
  /** A new empty database; returns its connection URL. Dropped by `stop()`. */
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const given = process.env.CALLTRACK_TEST_PG_URL;
  try {
    if (given) return await serverAt(given, async () => {});
    const cluster = await startThrowawayCluster();
    return await serverAt(cluster.url, cluster.stop);
  } catch (err) {
    const reason = `PostgreSQL tests NOT RUN: ${err instanceof Error ? err.message : String(err)}`;
    const hint = given ? 'check CALLTRACK_TEST_PG_URL' : 'set CALLTRACK_TEST_PG_URL or install the postgresql package';
    process.stderr.write(`\n!!! ${reason.toUpperCase()}\n!!! ${hint}\n\n`);
    return { skipReason: reason, createDatabase: () => Promise.reject(new Error(reason)), stop: async () => {} };
  }
}

async function serverAt(adminUrl: string, stopServer: () => Promise<void>): Promise<TestPostgres> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const created: string[] = [];
  return {
    skipReason: false,
    async createDatabase() {
      const name = `calltrack_test_${randomBytes(6).toString('hex')}`;
      await admin.query(`CREATE DATABASE ${name}`);
      created.push(name);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async stop() {
      for (const name of created) {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch((err: unknown) => {
          process.stderr.write(`could not drop test database ${name}: ${String(err)}\n`);
        });
      }
      await admin.end();
      await stopServer();
    },
  };
}

function findBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`no PostgreSQL binaries under ${root} (and CALLTRACK_TEST_PG_URL is not set)`);
  return path.join(root, newest, 'bin');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function startThrowawayCluster(): Promise<{ url: string; stop: () => Promise<void> }> {
  const bin = findBinDir();
  const dir = mkdtempSync(path.join(tmpdir(), 'calltrack-pg-'));
  const dataDir = path.join(dir, 'data');
  // initdb and postgres refuse to run as root: run them as the postgres user, which must own the dir.
  const asRoot = process.getuid?.() === 0;
  let runAs = (cmd: string, args: string[]) => ({ cmd, args });
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
    runAs = (cmd, args) => ({ cmd: 'runuser', args: ['-u', 'postgres', '--', cmd, ...args] });
  }
  const run = (cmd: string, args: string[]) => {
    const c = runAs(path.join(bin, cmd), args);
    const res = spawnSync(c.cmd, c.args, { encoding: 'utf8', timeout: 60_000 });
    if (res.status !== 0) throw new Error(`${cmd} failed (${res.status ?? res.signal}): ${(res.stderr || res.stdout || String(res.error)).trim()}`);
  };
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    run('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
    const port = await freePort();
    // Durability is pointless for a throwaway cluster; fsync off keeps the suite fast.
    const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
    run('pg_ctl', ['-D', dataDir, '-l', path.join(dir, 'server.log'), '-o', opts, '-w', '-t', '60', 'start']);
    let stopped = false;
    const stopSync = () => {
      if (stopped) return;
      stopped = true;
      const c = runAs(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      spawnSync(c.cmd, c.args, { timeout: 30_000 });
      cleanup();
    };
    // A test run that dies before `stop()` must not leave a postgres running.
    process.once('exit', stopSync);
    return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop: async () => stopSync() };
  } catch (err) {
    cleanup();
    throw err;
  }
}
