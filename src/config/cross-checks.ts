import type { z } from 'zod';

interface MediaOptionsShape {
  record?: boolean | undefined;
  whisper?: string | undefined;
  recordingNotice?: string | undefined;
}

interface CheckedShape {
  http: { publicUrl?: string | undefined; adminToken?: string | undefined };
  webhooks: { recordingLinkDays?: number | undefined }[];
  sip: { trunks: { name: string; register?: { number?: string | undefined } | undefined }[] };
  media: { freeswitch?: unknown; recording: { enabled: boolean } };
  numbers: ({ number: string } & MediaOptionsShape)[];
  pools: ({ name: string; numbers: string[]; fallbackNumber?: string | undefined; onExhausted: string } & MediaOptionsShape)[];
}

/**
 * Rules that span sections. A tracking number may appear exactly once in the whole file:
 * a call on it must resolve to one source or one pool, never to a guess between two.
 */
export function checkCrossReferences(cfg: CheckedShape, ctx: z.core.$RefinementCtx<CheckedShape>): void {
  const seen = new Map<string, string>();
  const claim = (number: string, path: (string | number)[]) => {
    const where = formatPath(path);
    const first = seen.get(number);
    if (first) {
      ctx.addIssue({ code: 'custom', path, message: `${number} is already used at ${first}: each number may appear once` });
    } else {
      seen.set(number, where);
    }
  };
  cfg.numbers.forEach((n, i) => claim(n.number, ['numbers', i, 'number']));
  cfg.pools.forEach((p, i) => {
    p.numbers.forEach((n, j) => claim(n, ['pools', i, 'numbers', j]));
    if (p.fallbackNumber) claim(p.fallbackNumber, ['pools', i, 'fallbackNumber']);
    if (p.onExhausted === 'fallback' && !p.fallbackNumber) {
      ctx.addIssue({
        code: 'custom',
        path: ['pools', i, 'fallbackNumber'],
        message: 'is required when onExhausted is "fallback" (the number shown when every pool number is held)',
      });
    }
  });
  unique(cfg.pools.map((p) => p.name), 'pools', 'name', ctx);
  unique(cfg.sip.trunks.map((t) => t.name), 'sip.trunks', 'name', ctx);
  // The Contact user carries this number to the provider and back in its INVITEs: a number we do
  // not track would register fine and then answer every call 404.
  cfg.sip.trunks.forEach((t, i) => {
    const number = t.register?.number;
    if (number && !seen.has(number)) {
      ctx.addIssue({ code: 'custom', path: ['sip', 'trunks', i, 'register', 'number'], message: `${number} is not a tracking number: add it to numbers or a pool` });
    }
  });
  if (cfg.media.recording.enabled && !cfg.media.freeswitch) {
    ctx.addIssue({
      code: 'custom',
      path: ['media', 'recording', 'enabled'],
      message: 'recording needs FreeSWITCH: configure media.freeswitch or set enabled: false',
    });
  }
  if (!cfg.media.freeswitch) {
    const needsMedia = (o: MediaOptionsShape, at: (string | number)[]) => {
      for (const key of ['record', 'whisper', 'recordingNotice'] as const) {
        if (o[key] === undefined || o[key] === false) continue;
        ctx.addIssue({ code: 'custom', path: [...at, key], message: `${key} needs FreeSWITCH: configure media.freeswitch or remove ${key}` });
      }
    };
    cfg.numbers.forEach((n, i) => needsMedia(n, ['numbers', i]));
    cfg.pools.forEach((p, i) => needsMedia(p, ['pools', i]));
  }
  cfg.webhooks.forEach((hook, i) => {
    if (hook.recordingLinkDays === undefined) return;
    const missing = [!cfg.http.publicUrl && 'http.publicUrl (the links are absolute)', !cfg.http.adminToken && 'http.adminToken (it keys the signatures)'].filter(Boolean);
    if (missing.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['webhooks', i, 'recordingLinkDays'], message: `signed recording links need ${missing.join(' and ')}: set it or remove recordingLinkDays` });
    }
  });
}

function unique(names: string[], section: string, key: string, ctx: z.core.$RefinementCtx<CheckedShape>) {
  const firstIndex = new Map<string, number>();
  names.forEach((name, i) => {
    const first = firstIndex.get(name);
    if (first === undefined) firstIndex.set(name, i);
    else ctx.addIssue({ code: 'custom', path: [...section.split('.'), i, key], message: `"${name}" is already the name of ${section}[${first}]` });
  });
}

/** `['pools', 1, 'numbers', 3]` → `pools[1].numbers[3]`, the form every message uses. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}
