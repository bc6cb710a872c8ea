import { stringify } from 'yaml';
import { parseConfigText } from '../../src/config/load.js';
import type { CalltrackConfig } from '../../src/config/schema.js';

/** A validated config from a plain object, the way the loader builds it from a YAML file. */
export function makeConfig(doc: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}): CalltrackConfig {
  return parseConfigText(stringify(doc), 'test.yaml', env).config;
}

/** A small but complete config: one static number, one pool, one trunk, SQLite at `dbFile`. */
export function sampleConfigDoc(dbFile: string): Record<string, unknown> {
  return {
    database: { client: 'sqlite3', filename: dbFile },
    http: { host: '127.0.0.1', port: 0, corsOrigins: ['https://shop.example.com'], adminToken: 'test-admin-token-0123456789' },
    sip: { trunks: [{ name: 'carrier', allow: ['127.0.0.1'], outbound: 'sip:{number}@127.0.0.1:5090' }] },
    tracking: { defaultCountry: 'RU' },
    numbers: [{ number: '+7 495 000-00-01', forwardTo: '8 (495) 111-22-33', source: { name: 'Radio', medium: 'offline' } }],
    pools: [
      {
        name: 'ads',
        numbers: ['+74950000101', '+74950000102'],
        forwardTo: '+74951112233',
        fallbackNumber: '+74950000199',
      },
    ],
    log: { level: 'silent' },
  };
}
