import { Command } from 'commander';
import { loadConfigFile, resolveConfigPath } from '../../config/load.js';
import type { CalltrackConfig } from '../../config/schema.js';
import type { GlobalOptions } from '../context.js';
import { print, printJson } from '../context.js';

export function summariseConfig(cfg: CalltrackConfig): string {
  const lines = [
    `database: ${cfg.database.client === 'sqlite3' ? `sqlite3 ${cfg.database.filename}` : 'pg'}`,
    `http: ${cfg.http.host}:${cfg.http.port}${cfg.http.adminToken ? '' : ' (admin API closed: no http.adminToken)'}`,
    `static numbers: ${cfg.numbers.length}`,
    `pools: ${cfg.pools.length}${cfg.pools.map((p) => `\n  ${p.name}: ${p.numbers.length} number${p.numbers.length === 1 ? '' : 's'}, hold ${p.holdMinutes} min, ${p.fallbackNumber ? `fallback ${p.fallbackNumber}` : 'no fallback'}`).join('')}`,
    `schedules: ${Object.keys(cfg.schedules).length}${Object.entries(cfg.schedules).map(([name, s]) => `\n  ${name}: ${s.timeZone}, ${usersOf(cfg, name)}`).join('')}`,
    `trunks: ${cfg.sip.trunks.length}${cfg.sip.trunks.map((t) => `\n  ${t.name}: ${t.allow.join(', ')} -> ${t.outbound}${registration(t)}`).join('')}`,
    `recording: ${cfg.media.recording.enabled ? `on, ${cfg.media.recording.dir}` : 'off'}`,
  ];
  return lines.join('\n');
}

function usersOf(cfg: CalltrackConfig, schedule: string): string {
  const users = [...cfg.numbers.filter((n) => n.schedule === schedule).map((n) => n.number), ...cfg.pools.filter((p) => p.schedule === schedule).map((p) => `pool ${p.name}`)];
  return users.length > 0 ? `used by ${users.join(', ')}` : 'not used';
}

function registration(t: CalltrackConfig['sip']['trunks'][number]): string {
  const r = t.register;
  return r ? `, registers ${r.username}@${r.domain ?? r.registrar}${r.number ? ` for ${r.number}` : ''} every ${r.expiresSeconds} s` : '';
}

const HIDDEN = '(hidden)';

/**
 * The normalised configuration without its secrets: `config check --json` output ends up in CI
 * logs and tickets, and `${VAR}` secrets arrive there resolved. A secret that is set shows as
 * "(hidden)", so the output still says whether it is; the PostgreSQL URL keeps all but its password.
 */
export function redactSecrets(cfg: CalltrackConfig): unknown {
  const out = structuredClone(cfg);
  const hide = <T extends object, K extends keyof T>(obj: T | undefined, key: K) => {
    if (obj && obj[key] !== undefined) (obj as Record<K, unknown>)[key] = HIDDEN;
  };
  hide(out.http, 'adminToken');
  hide(out.sip.drachtio, 'secret');
  for (const trunk of out.sip.trunks) {
    hide(trunk.auth, 'password');
    hide(trunk.register, 'password');
  }
  hide(out.media.freeswitch, 'secret');
  for (const hook of out.webhooks) hide(hook, 'secret');
  hide(out.analytics.ga4, 'apiSecret');
  hide(out.analytics.metrica, 'token');
  if (out.database.client === 'pg') out.database.connection = withoutPassword(out.database.connection);
  return out;
}

/** The URL with its password hidden; parsed, as describeDatabase does, so a password holding `@` or `/` cannot leak in part. */
function withoutPassword(connection: string): string {
  try {
    const url = new URL(connection);
    if (url.password) url.password = HIDDEN;
    return url.toString();
  } catch {
    return HIDDEN; // not a URL we can read: show none of it
  }
}

export function configCommand(): Command {
  const config = new Command('config').description('work with the configuration file');
  config
    .command('check')
    .description('validate the configuration file; exit 0 with a summary, or 2 listing every problem')
    .option('--json', 'print the normalised configuration as JSON (secrets shown as "(hidden)")')
    .action((opts: { json?: boolean }, cmd: Command) => {
      const file = resolveConfigPath(cmd.optsWithGlobals<GlobalOptions>().config);
      const { config: cfg, warnings } = loadConfigFile(file);
      for (const w of warnings) process.stderr.write(`warning: ${w.path}: ${w.message}\n`);
      if (opts.json) return printJson(redactSecrets(cfg));
      print(`${file}: OK\n${summariseConfig(cfg)}`);
    });
  return config;
}
