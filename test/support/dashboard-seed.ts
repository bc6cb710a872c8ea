import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { stringify } from 'yaml';
import type { CallRecord } from '../../src/calls/call-record.js';
import { createApp, type App } from '../../src/main.js';
import { makeCall, makeMissedCall, seedCalls } from './calls.js';
import { makeConfig } from './config.js';
import { testLogger } from './logger.js';
import { toneWav } from './browser.js';

export const DASHBOARD_TOKEN = 'dashboard-admin-token-0123456789';

export interface DashboardFixture {
  app: App;
  baseUrl: string;
  configFile: string;
  /** Calls seeded in November 2026, oldest first. */
  calls: CallRecord[];
  /** The call with a recording and a visit with several pages. */
  recorded: CallRecord;
}

/**
 * A real calltrack (createApp + listen on port 0) on a temp SQLite file, with a month of calls,
 * a recorded call whose visit saw three pages, and a pool of two numbers that ran out once
 * (three visits at the same time).
 */
export async function startDashboardServer(dir: string): Promise<DashboardFixture> {
  const doc = {
    database: { client: 'sqlite3', filename: path.join(dir, 'calltrack.sqlite') },
    http: { host: '127.0.0.1', port: 0, adminToken: DASHBOARD_TOKEN },
    tracking: { defaultCountry: 'RU' },
    media: { recording: { dir: path.join(dir, 'recordings') } },
    exports: { timeZone: 'Europe/Moscow' },
    pools: [{ name: 'ads', numbers: ['+74950000101', '+74950000102'], forwardTo: '+74951112233', fallbackNumber: '+74950000199' }],
    log: { level: 'silent' },
  };
  const configFile = path.join(dir, 'calltrack.yaml');
  writeFileSync(configFile, stringify(doc));
  const app = await createApp(makeConfig(doc), { logger: testLogger(), baseDir: dir });
  await app.start();
  const port = (app.http.server.address() as AddressInfo).port;

  const shown = [];
  for (let i = 0; i < 3; i++) {
    shown.push(
      await app.visits.startVisit({
        url: `https://shop.example.com/fridges?utm_source=yandex&utm_medium=cpc&utm_campaign=fridges&v=${i}`,
        referrer: 'https://yandex.ru/',
        gaClientId: `GA1.1.${1000 + i}.1700000000`,
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120',
        ip: `203.0.113.${i + 1}`,
      }),
    );
  }
  const visit = shown[0]!;
  await app.visits.ping(visit.visitId, 'https://shop.example.com/fridges/model-x');
  await app.visits.ping(visit.visitId, 'https://shop.example.com/delivery');

  const sources = ['yandex', 'google', 'yandex', null, 'vk'] as const;
  const calls: CallRecord[] = [];
  for (let i = 0; i < 31; i++) {
    const startedAt = Date.UTC(2026, 10, 1 + (i % 10), 7 + (i % 8), i);
    const source = sources[Math.floor(i / 3) % sources.length] ?? null;
    const over = { startedAt, source, medium: source ? 'cpc' : null, campaign: source ? `autumn-${i % 2}` : null, callerNumber: `+7916000${String(1000 + i)}` };
    calls.push(i % 3 === 2 ? makeMissedCall(over) : makeCall(over));
  }
  const recordingDir = path.join(dir, 'recordings');
  mkdirSync(path.join(recordingDir, '2026-11'), { recursive: true });
  const wav = toneWav(3);
  writeFileSync(path.join(recordingDir, '2026-11', 'recorded.wav'), wav);
  const recorded = makeCall({
    startedAt: Date.UTC(2026, 10, 12, 10),
    visitId: visit.visitId,
    source: 'yandex',
    medium: 'cpc',
    campaign: 'fridges',
    tags: ['callback'],
    recordingStatus: 'saved',
    recordingPath: '2026-11/recorded.wav',
    recordingSize: wav.length,
    recordingDuration: 3,
  });
  calls.push(recorded);
  await seedCalls(app.db, calls);
  return { app, baseUrl: `http://127.0.0.1:${port}`, configFile, calls, recorded };
}
