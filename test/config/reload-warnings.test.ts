import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { CalltrackConfig } from '../../src/config/schema.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createApp, type App } from '../../src/main.js';
import { makeConfig, sampleConfigDoc } from '../support/config.js';
import { capturingLogger, type LogLine } from '../support/logger.js';
import { tempDir } from '../support/temp.js';

const WARN = 40;

interface Doc {
  http: Record<string, unknown>;
  sip: Record<string, unknown>;
  pools: Record<string, unknown>[];
  [key: string]: unknown;
}

function baseDoc(dir: string): Doc {
  const doc = sampleConfigDoc(path.join(dir, 'calltrack.sqlite')) as Doc;
  return { ...doc, log: { level: 'info' } };
}

/** The app as `serve` builds it, with its database migrated (reload synchronises numbers). */
async function withApp(doc: Doc, dir: string, run: (app: App, lines: LogLine[]) => Promise<void>): Promise<void> {
  const { logger, lines } = capturingLogger('info');
  const app = await createApp(makeConfig(doc), { logger, baseDir: dir });
  try {
    await migrateToLatest(app.db);
    await run(app, lines);
  } finally {
    await app.stop();
  }
}

const edited = (doc: Doc, change: (d: Doc) => void): CalltrackConfig => {
  const next = structuredClone(doc);
  change(next);
  return makeConfig(next);
};

const liveEdit = (d: Doc) => {
  d.pools = d.pools.map((p) => ({ ...p, holdMinutes: 45 }));
  d.webhooks = [{ name: 'crm', url: 'https://crm.example.com/hooks', secret: 'a-webhook-secret-0123456789' }];
};

describe('reloading the configuration', () => {
  it('warns, by path and without values, about each changed setting that needs a restart, and applies the rest', async () => {
    const dir = tempDir();
    const doc = baseDoc(dir);
    await withApp(doc, dir, async (app, lines) => {
      const next = edited(doc, (d) => {
        liveEdit(d);
        d.http = { ...d.http, port: 9191 };
        d.sip = { ...d.sip, drachtio: { host: '127.0.0.1', port: 9022, secret: 'a-new-drachtio-secret' } };
      });
      const summary = await app.reload(next);

      assert.deepEqual(summary.needsRestart, ['http.port', 'sip.drachtio']);
      assert.deepEqual(summary.applied, ['pools', 'webhooks']);
      const warnings = lines.filter((l) => l.level === WARN).map((l) => l.msg);
      assert.deepEqual(warnings, [
        'http.port changed: takes effect at the next restart (the running server keeps the old value)',
        'sip.drachtio changed: takes effect at the next restart (the running server keeps the old value)',
      ]);
      assert.ok(!JSON.stringify(lines).includes('a-new-drachtio-secret'), 'a secret is never logged');
      // The live edit did apply.
      assert.equal(app.config.current.pools[0]?.holdMinutes, 45);
      assert.equal(app.config.current.webhooks.length, 1);
    });
  });

  it('says nothing about restarts when only live settings changed', async () => {
    const dir = tempDir();
    const doc = baseDoc(dir);
    await withApp(doc, dir, async (app, lines) => {
      const summary = await app.reload(edited(doc, liveEdit));
      assert.deepEqual(summary.needsRestart, []);
      assert.deepEqual(summary.applied, ['pools', 'webhooks']);
      assert.deepEqual(lines.filter((l) => l.level >= WARN), []);
    });
  });

  it('applies log.level and the recordings directory at once', async () => {
    const dir = tempDir();
    const doc = baseDoc(dir);
    await withApp(doc, dir, async (app, lines) => {
      // A component's logger made at start, like every service's.
      const component = app.logger.child({ component: 'sip' });
      component.debug('before the reload');
      await app.reload(edited(doc, (d) => {
        d.log = { level: 'debug' };
        d.media = { recording: { dir: 'moved-recordings' } };
      }));
      component.debug('after the reload');
      assert.deepEqual(lines.filter((l) => l.component === 'sip').map((l) => l.msg), ['after the reload']);
      assert.equal(app.media.dirs.local, path.join(dir, 'moved-recordings'));
      assert.deepEqual(lines.filter((l) => l.level >= WARN), []);
    });
  });
});
