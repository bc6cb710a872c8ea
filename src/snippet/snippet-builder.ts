import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { CalltrackConfig } from '../config/schema.js';
import { minifyScript } from './minify.js';
import { snippetClientConfig } from './snippet-config.js';

export interface BuiltSnippet {
  body: Buffer;
  gzip: Buffer;
  /** Content hash: the ETag and the `?v=` of the versioned URL. */
  version: string;
}

const PLACEHOLDER = '__CALLTRACK_CONFIG__';

/**
 * Serves `snippet.js` with the site's configuration baked in. The result depends only on the
 * config snapshot and the API base URL, so it is built once per pair and kept until a reload
 * replaces the config object.
 */
export class SnippetBuilder {
  private source: string | undefined;
  private readonly cache = new WeakMap<CalltrackConfig, Map<string, BuiltSnippet>>();

  constructor(private readonly sourceUrl: URL = new URL('./snippet.js', import.meta.url)) {}

  build(cfg: CalltrackConfig, api: string): BuiltSnippet {
    let perApi = this.cache.get(cfg);
    if (!perApi) {
      perApi = new Map();
      this.cache.set(cfg, perApi);
    }
    let built = perApi.get(api);
    if (!built) {
      built = this.render(cfg, api);
      // A server reached under many Host names would otherwise grow this map without end.
      if (perApi.size > 20) perApi.clear();
      perApi.set(api, built);
    }
    return built;
  }

  private render(cfg: CalltrackConfig, api: string): BuiltSnippet {
    this.source ??= minifyScript(readFileSync(this.sourceUrl, 'utf8'));
    const json = embedJson(snippetClientConfig(cfg, api));
    const body = Buffer.from(this.source.replace(PLACEHOLDER, () => json), 'utf8');
    return {
      body,
      gzip: gzipSync(body, { level: 9 }),
      version: createHash('sha256').update(body).digest('base64url').slice(0, 16),
    };
  }
}

/**
 * JSON inside a script: `</script>` and the two line separators JavaScript (before ES2019)
 * does not accept in string literals must be escaped.
 */
function embedJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
