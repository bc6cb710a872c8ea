import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Calltrack-Signature';

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. The time is part of what is signed,
 * so a receiver that rejects old timestamps is safe from replays of captured deliveries. It is
 * the time of this attempt, not of the event: a retry a day later is signed afresh.
 */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${hmacHex(secret, `${unixSeconds}.${body}`)}`;
}

function hmacHex(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text, 'utf8').digest('hex');
}

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: string };

/**
 * What a receiver does (the README's example is this function): recompute the HMAC over the raw
 * body exactly as received, compare in constant time, and refuse timestamps older than the
 * tolerance (5 minutes by default).
 */
export function verifySignature(
  header: string | undefined,
  body: string,
  secret: string,
  opts: { nowSeconds?: number; toleranceSeconds?: number } = {},
): SignatureCheck {
  if (!header) return { ok: false, reason: `no ${SIGNATURE_HEADER} header` };
  const parts = new Map<string, string[]>();
  for (const piece of header.split(',')) {
    const eq = piece.indexOf('=');
    if (eq <= 0) continue;
    const key = piece.slice(0, eq).trim();
    parts.set(key, [...(parts.get(key) ?? []), piece.slice(eq + 1).trim()]);
  }
  const t = Number(parts.get('t')?.[0]);
  if (!Number.isInteger(t)) return { ok: false, reason: 'no timestamp (t=) in the signature header' };
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (opts.toleranceSeconds ?? 300)) return { ok: false, reason: 'timestamp outside the tolerance (replay?)' };
  const expected = Buffer.from(hmacHex(secret, `${t}.${body}`), 'hex');
  for (const candidate of parts.get('v1') ?? []) {
    const given = Buffer.from(candidate, 'hex');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true, timestamp: t };
  }
  return { ok: false, reason: 'signature does not match (wrong secret, or the body was changed)' };
}
