import assert from 'node:assert/strict';
import path from 'node:path';
import { csvParseRows } from 'd3-dsv';
import type { Logger } from 'pino';
import { ManualClock } from '../../src/clock.js';
import { createApp, type App } from '../../src/main.js';
import { makeConfig } from './config.js';
import { testLogger } from './logger.js';
import { TestReceiver, type ReceivedRequest } from './receiver.js';
import { tempDir } from './temp.js';

const COUNTER = '12345678';
export const TOKEN = 'y0_AgAAAAB-metrica-oauth-token-test';
const UPLOAD_PATH = `/management/v1/counter/${COUNTER}/offline_conversions/upload_calls`;

/**
 * Metrica's upload_calls as its reference describes it: POST to the counter's path with
 * client_id_type, `Authorization: OAuth <token>` (401 without a valid one), a multipart body with
 * the CSV in `file`; 200 with the upload's receipt, errors as `{errors: [{error_type, message}]}`.
 */
export function fakeMetrica(ym: TestReceiver): void {
  ym.respond = (req) => {
    const url = new URL(req.url, ym.url);
    if (req.method !== 'POST' || url.pathname !== UPLOAD_PATH) return 404;
    if (req.headers.authorization !== `OAuth ${TOKEN}`) return 401;
    // One identifier type per upload, named by client_id_type, and the file's first column must be that identifier.
    const column = { CLIENT_ID: 'ClientId', YCLID: 'Yclid' }[url.searchParams.get('client_id_type') ?? ''];
    if (!column || !req.body.includes(`\r\n\r\n${column},DateTime,`)) return 400;
    if (!String(req.headers['content-type']).startsWith('multipart/form-data; boundary=')) return 400;
    return 200;
  };
  ym.replyJson = (status) =>
    status === 200
      ? { uploading: { id: ym.requests.length + 1, create_time: '2026-11-02T10:00:00Z', line_quantity: 1, type: 'BASIC', status: 'UPLOADED' } }
      : { errors: [{ error_type: errorType(status), message: `fake metrica says ${status}` }], code: status, message: `fake metrica says ${status}` };
}

function errorType(status: number): string {
  if (status === 400) return 'invalid_parameter';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'access_denied';
  if (status === 429) return 'quota';
  return 'backend_error';
}

/** The uploaded file, parsed as Metrica's side would: the multipart `file` field, then CSV. */
export async function uploadedRows(req: ReceivedRequest): Promise<string[][]> {
  const form = await new Response(req.body, { headers: { 'content-type': String(req.headers['content-type']) } }).formData();
  const file = form.get('file');
  assert.ok(file instanceof Blob, 'the CSV travels in the multipart field "file"');
  return csvParseRows(await file.text());
}

export async function startApp(dir: string, ym: TestReceiver, clock: ManualClock, logger: Logger = testLogger()): Promise<App> {
  const cfg = makeConfig(
    {
      database: { client: 'sqlite3', filename: path.join(dir, 'calltrack.sqlite') },
      tracking: { defaultCountry: 'RU' },
      analytics: { metrica: { counterId: Number(COUNTER), token: '${METRICA_TOKEN}', endpoint: ym.url } },
      log: { level: 'silent' },
    },
    { METRICA_TOKEN: TOKEN },
  );
  // A long poll: the tests drive deliveries with runOnce() on a manual clock.
  const app = await createApp(cfg, { logger, clock, baseDir: dir, dispatcher: { pollMs: 3_600_000 } });
  await app.start({ listen: false });
  return app;
}

export async function withMetrica(test: (app: App, ym: TestReceiver, clock: ManualClock) => Promise<void>): Promise<void> {
  const ym = await new TestReceiver().start();
  fakeMetrica(ym);
  const clock = new ManualClock(Date.UTC(2026, 10, 2, 10));
  const app = await startApp(tempDir(), ym, clock);
  try {
    await test(app, ym, clock);
  } finally {
    await app.stop();
  }
}

export const HEADER = ['ClientId', 'DateTime', 'PhoneNumber', 'TalkDuration', 'HoldDuration', 'CallMissed', 'Tag', 'FirstTimeCaller', 'URL', 'StaticCall'];
