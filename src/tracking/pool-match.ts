import type { PoolConfig, StaticNumberConfig } from '../config/schema.js';

/** What pool rules and static-source matching look at. */
export interface VisitFacts {
  host: string;
  path: string;
  source: string;
  medium: string;
  campaign: string | null;
  term: string | null;
  region: string | null;
}

/**
 * The first pool, in config order, whose every given condition holds; a pool without `match`
 * takes every visit (the catch-all, so it belongs last). Within a condition any listed value
 * may match. Values compare case-insensitively; `host` and `path` accept `*` wildcards
 * (`*.example.com`, `/catalog/*`).
 */
export function selectPool(pools: readonly PoolConfig[], facts: VisitFacts): PoolConfig | undefined {
  return pools.find((pool) => poolMatches(pool, facts));
}

export function poolMatches(pool: PoolConfig, facts: VisitFacts): boolean {
  const m = pool.match;
  if (!m) return true;
  return (
    anyOf(m.host, facts.host, globMatch) &&
    anyOf(m.path, facts.path, globMatch) &&
    anyOf(m.source, facts.source, equalsIgnoreCase) &&
    anyOf(m.medium, facts.medium, equalsIgnoreCase) &&
    anyOf(m.campaign, facts.campaign, equalsIgnoreCase) &&
    anyOf(m.term, facts.term, equalsIgnoreCase) &&
    anyOf(m.region, facts.region, equalsIgnoreCase)
  );
}

/**
 * A visit no pool takes may still belong to a static number's source (say the "Yandex Maps"
 * number for visits referred by maps): the source name, and the medium when the number has
 * one, must equal the visit's.
 */
export function selectStaticNumber(numbers: readonly StaticNumberConfig[], facts: VisitFacts): StaticNumberConfig | undefined {
  return numbers.find(
    (n) =>
      equalsIgnoreCase(n.source.name, facts.source) && (n.source.medium === undefined || equalsIgnoreCase(n.source.medium, facts.medium)),
  );
}

/** What a visit no pool takes shows: its static number (see selectStaticNumber), or nothing. */
export function staticOrNone(numbers: readonly StaticNumberConfig[], facts: VisitFacts): { type: 'static' | 'none'; number: string | null; holdUntil: null } {
  const fixed = selectStaticNumber(numbers, facts);
  return fixed ? { type: 'static', number: fixed.number, holdUntil: null } : { type: 'none', number: null, holdUntil: null };
}

function anyOf(wanted: string[] | undefined, actual: string | null, test: (pattern: string, value: string) => boolean): boolean {
  if (!wanted) return true;
  if (actual === null) return false;
  return wanted.some((w) => test(w, actual));
}

function equalsIgnoreCase(a: string, b: string): boolean {
  return a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0;
}

const globCache = new Map<string, RegExp>();

export function globMatch(pattern: string, value: string): boolean {
  let re = globCache.get(pattern);
  if (!re) {
    const body = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    re = new RegExp(`^${body}$`, 'i');
    globCache.set(pattern, re);
  }
  return re.test(value);
}
