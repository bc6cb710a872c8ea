import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { ManualClock } from '../../src/clock.js';
import { loadConfigFile } from '../../src/config/load.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createApp } from '../../src/main.js';
import { runCli } from '../support/cli.js';
import { testLogger } from '../support/logger.js';
import { tempDir } from '../support/temp.js';

describe('tracking CLI: attribute, numbers list, pools status', () => {
  const dir = tempDir();
  const file = path.join(dir, 'calltrack.yaml');
  let visitId = '';
  const heldNumber = '+74950000101';

  before(async () => {
    writeFileSync(
      file,
      stringify({
        database: { client: 'sqlite3', filename: path.join(dir, 'ct.sqlite') },
        tracking: { defaultCountry: 'RU' },
        numbers: [{ number: '+74950007701', forwardTo: '+74951112233', source: { name: 'Radio', medium: 'offline' } }],
        pools: [{ name: 'ads', numbers: [heldNumber], forwardTo: '+74951112233', fallbackNumber: '+74950000199', holdMinutes: 60 }],
        log: { level: 'silent' },
      }),
    );
    // A visit made by the server a moment ago (the CLI reads the wall clock).
    const { config } = loadConfigFile(file);
    const app = await createApp(config, { logger: testLogger(), clock: new ManualClock(Date.now()) });
    await migrateToLatest(app.db);
    await app.numberSync.sync(config);
    const v = await app.visits.startVisit({ url: 'https://shop.example.com/?utm_source=google&utm_medium=cpc&utm_campaign=winter' });
    assert.equal(v.number, heldNumber);
    visitId = v.visitId;
    const second = await app.visits.startVisit({ url: 'https://shop.example.com/' });
    assert.equal(second.type, 'fallback');
    await app.stop();
  });

  it('attribute --json: the visit holding the number, with the documented fields', async () => {
    const r = await runCli(['attribute', '-c', file, '--number', '8 495 000-01-01', '--caller', '+79161234567', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const key of ['type', 'visitId', 'source', 'medium', 'campaign', 'term', 'content', 'firstCall', 'late']) assert.ok(key in out, key);
    assert.deepEqual([out.type, out.visitId, out.source, out.medium, out.campaign, out.firstCall, out.late], ['dynamic', visitId, 'google', 'cpc', 'winter', true, false]);
  });

  it('attribute at a time before any hold is unattributed; bad input exits 2 with a reason', async () => {
    const r = await runCli(['attribute', '-c', file, '--number', heldNumber, '--at', '2020-01-01T00:00:00Z']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /attributed to: unattributed \(pool ads\)/);
    const unknown = await runCli(['attribute', '-c', file, '--number', '+74950005555']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /not an active tracking number/);
    const badTime = await runCli(['attribute', '-c', file, '--number', heldNumber, '--at', 'tomorrow']);
    assert.equal(badTime.code, 2);
    assert.match(badTime.stderr, /--at: "tomorrow" is not an ISO-8601 time/);
  });

  it('numbers list shows each number with its state; pools status the counters and advice', async () => {
    const list = await runCli(['numbers', 'list', '-c', file, '--json']);
    assert.equal(list.code, 0, list.stderr);
    const numbers = JSON.parse(list.stdout) as { number: string; kind: string; state: string; heldByVisit: string | null }[];
    assert.deepEqual(
      numbers.map((n) => [n.number, n.kind, n.state]),
      [
        ['+74950007701', 'static', 'free'],
        [heldNumber, 'pool', 'held'],
        ['+74950000199', 'fallback', 'free'],
      ],
    );
    assert.equal(numbers[1]?.heldByVisit, visitId);
    const text = await runCli(['numbers', 'list', '-c', file]);
    assert.match(text.stdout, new RegExp(`\\${heldNumber}\\s+pool\\s+ads\\s+held until \\S+ by visit ${visitId}; no calls`));

    const status = await runCli(['pools', 'status', '-c', file, '--json']);
    assert.equal(status.code, 0, status.stderr);
    const [ads] = JSON.parse(status.stdout) as Record<string, unknown>[];
    assert.deepEqual(
      [ads?.pool, ads?.size, ads?.heldNow, ads?.peakHeld24h, ads?.exhaustions24h, ads?.fallbackShows7d, ads?.recommendedSize],
      ['ads', 1, 1, 1, 1, 1, 2],
    );
    const human = await runCli(['pools', 'status', '-c', file]);
    assert.match(human.stdout, /recommended size: 2 \(ran out 1 time in 7 days/);
  });
});
