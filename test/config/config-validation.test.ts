import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfigFile, parseConfigText } from '../../src/config/load.js';
import { ConfigError, type ConfigProblem } from '../../src/errors.js';
import { tempDir } from '../support/temp.js';

function problemsOf(yaml: string, env: NodeJS.ProcessEnv = {}): ConfigProblem[] {
  try {
    parseConfigText(yaml, 'test.yaml', env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('expected the configuration to be rejected');
}

const hasProblem = (problems: ConfigProblem[], pathPrefix: string, message: RegExp) =>
  assert.ok(
    problems.some((p) => p.path.startsWith(pathPrefix) && message.test(p.message)),
    `no problem at ${pathPrefix} matching ${message}; got:\n${problems.map((p) => `${p.path}: ${p.message}`).join('\n')}`,
  );

describe('configuration file', () => {
  it('accepts the documented example and normalises its numbers to E.164', () => {
    const { config, warnings } = loadConfigFile(path.resolve('config/calltrack.example.yaml'), {});
    assert.equal(config.numbers[0]?.number, '+74950000001');
    assert.deepEqual(config.numbers[0]?.forwardTo, ['+74951112233']);
    assert.equal(config.pools[0]?.fallbackNumber, '+74950000199');
    // The example's secrets come from the environment; unset, they are reported, not fatal.
    assert.ok(warnings.some((w) => w.path === 'http.adminToken'));
    assert.equal(config.http.adminToken, undefined);
  });

  it('accepts a file with only pools, filling every other section with its defaults', () => {
    const { config } = parseConfigText('pools:\n  - name: web\n    numbers: ["+14155550100"]\n    forwardTo: "+14155550199"\n    onExhausted: reuse-oldest\n', 'x.yaml', {});
    assert.equal(config.database.client, 'sqlite3');
    assert.equal(config.database.client === 'sqlite3' && config.database.filename, 'data/calltrack.sqlite');
    assert.equal(config.http.port, 8080);
    assert.equal(config.sip.ringTimeoutSeconds, 40);
    assert.equal(config.sip.unknownNumber, 'reject');
    assert.equal(config.pools[0]?.holdMinutes, 15);
    assert.equal(config.tracking.targetCallSeconds, 30);
    assert.equal(config.media.recording.enabled, false);
  });

  it('reports every problem at once, each with its path, line and what is expected', () => {
    const problems = problemsOf(
      [
        'databse: {}',
        'http: { port: "80" }',
        'sip:',
        '  trunks:',
        '    - { name: c, allow: ["203.0.113.0/33"], outbound: "sip:pbx.example.com" }',
        'tracking: { defaultCountry: RU }',
        'pools:',
        '  - name: p',
        '    numbers: ["+74950000101", "+74950000102", "+74950000103", "+7 495 12"]',
        '    forwardTo: "+74951112233"',
        '    onExhausted: sometimes',
      ].join('\n'),
    );
    hasProblem(problems, 'databse (line 1)', /unknown key "databse"/);
    hasProblem(problems, 'http.port (line 2)', /expected number, got string "80"/);
    hasProblem(problems, 'sip.trunks[0].allow[0]', /IP address or CIDR/);
    hasProblem(problems, 'sip.trunks[0].outbound', /\{number\}/);
    hasProblem(problems, 'pools[0].numbers[3] (line 9)', /^"\+7 495 12" is not a valid phone number$/);
    hasProblem(problems, 'pools[0].onExhausted', /one of "fallback", "reuse-oldest"/);
    assert.equal(problems.length, 6);
  });

  it('refuses a number that appears twice: static and pool, two pools, or a fallback', () => {
    const problems = problemsOf(
      [
        'numbers: [{ number: "+74950000001", forwardTo: "+74951112233", source: { name: Radio } }]',
        'pools:',
        '  - { name: a, numbers: ["+7 495 000-00-01"], forwardTo: "+74951112233", fallbackNumber: "+74950000199" }',
        '  - { name: b, numbers: ["+74950000199"], forwardTo: "+74951112233", onExhausted: reuse-oldest }',
      ].join('\n'),
    );
    hasProblem(problems, 'pools[0].numbers[0]', /\+74950000001 is already used at numbers\[0\]\.number/);
    hasProblem(problems, 'pools[1].numbers[0]', /\+74950000199 is already used at pools\[0\]\.fallbackNumber/);
  });

  it('explains national numbers without a default country and unquoted numbers', () => {
    const problems = problemsOf('numbers:\n  - number: "8 (495) 000-00-01"\n    forwardTo: +74951112233\n    source: { name: Radio }\n');
    hasProblem(problems, 'numbers[0].number', /national format.*tracking\.defaultCountry/);
    hasProblem(problems, 'numbers[0].forwardTo', /must be written in quotes/);
  });

  it('requires a fallback number when the pool falls back, and FreeSWITCH when recording', () => {
    const problems = problemsOf('media: { recording: { enabled: true } }\npools: [{ name: a, numbers: ["+14155550100"], forwardTo: "+14155550199" }]\n');
    hasProblem(problems, 'pools[0].fallbackNumber', /required when onExhausted is "fallback"/);
    hasProblem(problems, 'media.recording.enabled', /needs FreeSWITCH/);
  });

  it('refuses signed recording links for a webhook without the public URL and admin token they need', () => {
    const hook = 'webhooks: [{ url: "https://crm.example.com/h", secret: "0123456789abcdef", recordingLinkDays: 7 }]\n';
    hasProblem(problemsOf(hook), 'webhooks[0].recordingLinkDays', /need http\.publicUrl .* and http\.adminToken/);
    hasProblem(problemsOf(`http: { publicUrl: "https://t.example.com" }\n${hook}`), 'webhooks[0].recordingLinkDays', /need http\.adminToken \(it keys/);
    hasProblem(problemsOf(hook.replace('recordingLinkDays: 7', 'recordingLinkDays: 365')), 'webhooks[0].recordingLinkDays', /90/);
    const ok = parseConfigText(`http: { publicUrl: "https://t.example.com", adminToken: "0123456789abcdef" }\n${hook}`, 'x.yaml', {});
    assert.equal(ok.config.webhooks[0]?.recordingLinkDays, 7);
  });

  it('defaults the ringback to 425 Hz and refuses one FreeSWITCH cannot play', () => {
    assert.equal(parseConfigText('{}', 'x.yaml', {}).config.media.ringback, 'tone_stream://%(1000,4000,425);loop=-1');
    hasProblem(problemsOf('media: { ringback: "ring ring" }\n'), 'media.ringback', /tone_stream:\/\/.*sound file path/);
    const us = parseConfigText('media: { ringback: "tone_stream://%(2000,4000,440,480);loop=-1" }\n', 'x.yaml', {});
    assert.equal(us.config.media.ringback, 'tone_stream://%(2000,4000,440,480);loop=-1');
  });

  it('takes secrets from the environment', () => {
    const yaml = 'http: { adminToken: "${TOKEN}" }\ndatabase: { client: pg, connection: "postgres://u:${PGPASS:-dev}@db/calltrack" }\n';
    const { config, warnings } = parseConfigText(yaml, 'x.yaml', { TOKEN: 'a-very-long-admin-token' });
    assert.equal(config.http.adminToken, 'a-very-long-admin-token');
    assert.equal(config.database.client === 'pg' && config.database.connection, 'postgres://u:dev@db/calltrack');
    assert.deepEqual(warnings, []);

    const unset = parseConfigText(yaml, 'x.yaml', {});
    assert.equal(unset.config.http.adminToken, undefined);
    assert.match(unset.warnings[0]?.message ?? '', /TOKEN is not set/);

    const broken = problemsOf('database: { client: pg, connection: "postgres://u:${PGPASS}@db/x" }\n');
    hasProblem(broken, 'database.connection', /environment variable PGPASS is not set/);

    // A required key given only as an unset ${VAR}: the error names the variable, not the raw text.
    const required = problemsOf('webhooks:\n  - name: crm\n    url: https://crm.example.com/h\n    secret: ${WEBHOOK_SECRET}\n');
    hasProblem(required, 'webhooks[0].secret (line 4)', /^is required, but environment variable WEBHOOK_SECRET is not set/);
  });

  it('checks a trunk\'s register block: registrar, expiry bounds, a tracked number, the password from the environment', () => {
    const trunk = (register: string) =>
      `tracking: { defaultCountry: RU }\nnumbers: [{ number: "+74950000001", forwardTo: "+74951112233", source: { name: Radio } }]\n` +
      `sip:\n  trunks:\n    - name: provider\n      allow: ["185.45.152.0/24"]\n      outbound: "sip:{digits}@sip.provider.example"\n      register: ${register}\n`;
    const { config } = parseConfigText(trunk('{ registrar: sip.provider.example, username: "100200", password: "${REG_PASSWORD}", number: "8 495 000-00-01" }'), 't.yaml', { REG_PASSWORD: 'pw' });
    assert.deepEqual(config.sip.trunks[0]?.register, { registrar: 'sip.provider.example', username: '100200', password: 'pw', number: '+74950000001', expiresSeconds: 600 });

    const problems = problemsOf(trunk('{ registrar: "sip:user@host", username: "a b", password: "", number: "+74950000009", expiresSeconds: 10, contactHost: "http://x", extra: 1 }'));
    hasProblem(problems, 'sip.trunks[0].register.registrar', /SIP URI or host\[:port\].*no user part/);
    hasProblem(problems, 'sip.trunks[0].register.username', /SIP user name/);
    hasProblem(problems, 'sip.trunks[0].register.password', /is empty/);
    hasProblem(problems, 'sip.trunks[0].register.expiresSeconds', /at least 60/);
    hasProblem(problems, 'sip.trunks[0].register.contactHost', /host or IP address/);
    hasProblem(problems, 'sip.trunks[0].register', /extra/);
    // Cross-checks run once the fields are valid.
    const untracked = problemsOf(trunk('{ registrar: "sip:203.0.113.5:5080;transport=tcp", username: "100200", password: pw, number: "+74950000009" }'));
    hasProblem(untracked, 'sip.trunks[0].register.number', /\+74950000009 is not a tracking number/);
    const unset = problemsOf(trunk('{ registrar: sip.provider.example, username: "100200", password: "${REG_PASSWORD}" }'));
    hasProblem(unset, 'sip.trunks[0].register.password', /^is required, but environment variable REG_PASSWORD is not set/);
  });

  it('says where a YAML syntax error is, and that a file is missing', () => {
    const problems = problemsOf('pools:\n  - name: a\n   numbers: [1,\n');
    assert.match(problems[0]?.message ?? '', /YAML syntax error at line \d+, column \d+/);

    const missing = path.join(tempDir(), 'nope.yaml');
    assert.throws(() => loadConfigFile(missing), (err: unknown) => err instanceof ConfigError && /not found/.test(err.message));
  });

  it('loads from a file path', () => {
    const file = path.join(tempDir(), 'c.yaml');
    writeFileSync(file, 'tracking: { defaultCountry: US }\nnumbers: [{ number: "(415) 555 0100", forwardTo: "415-555-0199", source: { name: Billboard, channel: outdoor } }]\n');
    const { config } = loadConfigFile(file, {});
    assert.equal(config.numbers[0]?.number, '+14155550100');
    assert.equal(config.numbers[0]?.source.medium, 'outdoor');
  });
});
