import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createApp, type App } from '../../src/main.js';
import { makeConfig } from './config.js';
import { testLogger } from './logger.js';
import { startSiteServer, type LoopbackServer } from './site-server.js';
import { tempDir } from './temp.js';

export interface ServedRequest {
  method: string;
  path: string;
  status: number;
}

export interface SnippetStack {
  app: App;
  /** calltrack's base URL. */
  api: string;
  site: LoopbackServer;
  /** Every request calltrack answered, in order: what reached the server. */
  requests: ServedRequest[];
  close(): Promise<void>;
}

/**
 * The real calltrack server (real clock, SQLite file, HTTP on a loopback port) and the
 * customer's site on another loopback origin, listed in http.corsOrigins. `page` renders the
 * site's HTML; it learns calltrack's URL once both are up.
 */
export async function snippetStack(
  doc: Record<string, unknown>,
  page: (path: string, urls: { api: string; site: string }) => string | undefined,
): Promise<SnippetStack> {
  let api = '';
  const site = await startSiteServer((p, origin) => page(p, { api, site: origin }));
  const cfg = makeConfig({
    tracking: { defaultCountry: 'RU' },
    log: { level: 'silent' },
    ...doc,
    http: { host: '127.0.0.1', port: 0, corsOrigins: [site.origin] },
    database: { client: 'sqlite3', filename: path.join(tempDir(), 'calltrack.sqlite') },
  });
  const app = await createApp(cfg, { logger: testLogger() });
  await migrateToLatest(app.db);
  await app.numberSync.sync(cfg);
  const requests: ServedRequest[] = [];
  app.http.server.on('request', (req, res) => {
    res.on('finish', () => requests.push({ method: req.method ?? '', path: (req.url ?? '').split('?')[0] ?? '', status: res.statusCode }));
  });
  api = await app.http.listen({ host: '127.0.0.1', port: 0 });
  return {
    app,
    api,
    site,
    requests,
    async close() {
      await site.close();
      // Firefox now and then leaves a connection here that Node does not count as idle (seen
      // after a tab closed); fastify's close would wait out keepAliveTimeout (72 s) for it. The
      // test is over: no request still matters.
      app.http.server.closeAllConnections();
      await app.http.close();
      await app.stop();
    },
  };
}

/** Debian's Chromium, headless. */
export function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath}: apt-get install chromium (what .ci/run does) or set CHROMIUM_PATH`);
  }
  return chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Errors a visitor's console would show: uncaught exceptions and console.error/warn calls.
 * Chromium also logs each failed request ("Failed to load resource: ..."); that line comes from
 * the browser's network stack, not from script, and no script can suppress it, so it is kept
 * apart (`network`) rather than counted as the snippet's error.
 */
export function watchConsole(page: Page): { errors: string[]; network: string[] } {
  const out = { errors: [] as string[], network: [] as string[] };
  page.on('pageerror', (err) => out.errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error' && msg.type() !== 'warning') return;
    if (/^Failed to load resource/.test(msg.text())) out.network.push(msg.text());
    else out.errors.push(`${msg.type()}: ${msg.text()}`);
  });
  return out;
}
