import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { sampleConfigDoc } from '../support/config.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

describe('calltrack CLI', () => {
  it('config check: the example file exits 0 with a summary', async () => {
    const r = await runCli(['config', 'check', '-c', 'config/calltrack.example.yaml']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /calltrack\.example\.yaml: OK/);
    assert.match(r.stdout, /static numbers: 1/);
    assert.match(r.stdout, /yandex-direct: 2 numbers, hold 15 min, fallback \+74950000199/);
    assert.match(r.stdout, /carrier: 203\.0\.113\.0\/24, 198\.51\.100\.7 -> sip:\{number\}@pbx\.example\.com:5060/);
    assert.match(r.stderr, /warning: http\.adminToken: environment variable CALLTRACK_ADMIN_TOKEN is not set/);
  });

  it('config check --json: the normalised file without its secrets', async () => {
    const file = path.join(tempDir(), 'secrets.yaml');
    writeFileSync(
      file,
      [
        'database: { client: pg, connection: "postgres://calltrack:${PGPASSWORD}@db.example.com/calltrack" }',
        'http: { adminToken: "${CALLTRACK_ADMIN_TOKEN}" }',
        'sip: { drachtio: { secret: drachtio-secret-1 }, trunks: [{ name: c, allow: ["203.0.113.7"], outbound: "sip:{number}@pbx.example.com", auth: { username: u, password: trunk-password-1 } }] }',
        'media: { freeswitch: { secret: fs-secret-1 } }',
        'webhooks: [{ name: crm, url: "https://crm.example.com/h", secret: webhook-secret-0123456789 }]',
        'analytics: { ga4: { measurementId: G-ABC123, apiSecret: ga4-secret-1 }, metrica: { counterId: 123, token: metrica-token-1 } }',
      ].join('\n'),
    );
    const r = await runCli(['config', 'check', '-c', file, '--json'], { env: { PGPASSWORD: 'pg@password-1', CALLTRACK_ADMIN_TOKEN: 'admin-token-0123456789' } });
    assert.equal(r.code, 0, r.stderr);
    // A password holding '@' (written raw, as people do) must not leak in part.
    for (const secret of ['pg@password-1', 'password-1@', 'admin-token-0123456789', 'drachtio-secret-1', 'trunk-password-1', 'fs-secret-1', 'webhook-secret-0123456789', 'ga4-secret-1', 'metrica-token-1']) {
      assert.ok(!r.stdout.includes(secret), `config check --json printed ${secret}`);
    }
    const shown = JSON.parse(r.stdout) as { database: { connection: string }; http: { adminToken: string }; webhooks: { url: string; secret: string }[] };
    assert.equal(shown.database.connection, 'postgres://calltrack:(hidden)@db.example.com/calltrack');
    assert.equal(shown.http.adminToken, '(hidden)');
    assert.deepEqual(shown.webhooks[0] && [shown.webhooks[0].url, shown.webhooks[0].secret], ['https://crm.example.com/h', '(hidden)']);
  });

  it('config check: a broken file exits 2 naming each problem', async () => {
    const file = path.join(tempDir(), 'broken.yaml');
    writeFileSync(file, 'tracking: { defaultCountry: RU }\npools:\n  - name: ads\n    numbers: ["+74950000101", "+7 495 12"]\n    forwardTo: "+74951112233"\n    fallbackNumber: "+74950000199"\n    holdMinutse: 15\n');
    const r = await runCli(['config', 'check', '-c', file]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /2 problems/);
    assert.match(r.stderr, /pools\[0\]\.numbers\[1\] \(line 4\): "\+7 495 12" is not a valid phone number/);
    assert.match(r.stderr, /pools\[0\]\.holdMinutse \(line 7\): unknown key "holdMinutse"/);
  });

  it('config check: a missing file or bad YAML exits 2 and says so', async () => {
    const dir = tempDir();
    const missing = await runCli(['config', 'check', '-c', path.join(dir, 'nope.yaml')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /config file not found/);

    writeFileSync(path.join(dir, 'bad.yaml'), 'pools: [\n  { name: a\n');
    const bad = await runCli(['config', 'check'], { env: { CALLTRACK_CONFIG: path.join(dir, 'bad.yaml') } });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /YAML syntax error at line \d+, column \d+/);
  });

  it('an unknown command or option exits 2 with usage', async () => {
    const r = await runCli(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command 'frobnicate'/);
  });

  it('migrate, migrate --rollback and numbers sync work on the configured SQLite file', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'calltrack.yaml');
    writeFileSync(file, stringify(sampleConfigDoc(path.join(dir, 'db', 'calltrack.sqlite'))));

    const up = await runCli(['migrate', '-c', file]);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /applied: 20261123000001_initial_schema/);
    assert.match((await runCli(['migrate', '-c', file])).stdout, /already up to date/);

    const sync = await runCli(['numbers', 'sync', '-c', file, '--json']);
    assert.equal(sync.code, 0, sync.stderr);
    const summary = JSON.parse(sync.stdout) as { created: string[] };
    assert.deepEqual(summary.created, ['+74950000001', '+74950000101', '+74950000102', '+74950000199']);

    const down = await runCli(['migrate', '--rollback', '-c', file]);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /rolled back: .*20261123000001_initial_schema/); // later migrations roll back first
  });
});
