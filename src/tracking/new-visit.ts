import type { PoolConfig } from '../config/schema.js';
import { InvalidInputError } from '../errors.js';
import { selectPool, type VisitFacts } from './pool-match.js';
import { classifyVisit, type VisitSource } from './visit-source.js';
import type { NewVisitInput } from './visit-service.js';
import type { VisitRecord } from './visit-store.js';

/**
 * Where a page view came from and which pool it maps to: the one rule for new visits and for
 * the snippet's preview, so a preview never names a pool the visit would not get.
 */
export function classifyPage(
  pools: readonly PoolConfig[],
  page: { url: string; referrer?: string | undefined; region?: string | undefined },
  urlField: 'body.url' | 'query.url',
): { source: VisitSource; facts: VisitFacts; pool: PoolConfig | undefined } {
  const source = classifyVisit(parseLandingUrl(page.url, urlField), page.referrer);
  const facts: VisitFacts = { host: source.siteHost, path: source.path, ...pick(source), region: page.region?.trim() || null };
  return { source, facts, pool: selectPool(pools, facts) };
}

function parseLandingUrl(raw: string, field: string): URL {
  try {
    const u = new URL(raw);
    if (u.protocol === 'http:' || u.protocol === 'https:') return u;
  } catch {
    // reported below
  }
  throw new InvalidInputError(`${field}: expected the absolute http(s) URL of the page (location.href)`, { field });
}

function pick(s: VisitSource) {
  return { source: s.source, medium: s.medium, campaign: s.campaign, term: s.term };
}

/** The row of a new visit, before the batch or the allocator decides its number. */
export function newVisitRecord(id: string, visitorId: string, input: NewVisitInput, s: VisitSource, facts: VisitFacts, isBot: boolean, now: number): VisitRecord {
  return {
    id,
    visitorId,
    siteHost: s.siteHost,
    landingUrl: input.url,
    referrer: input.referrer || null,
    utmSource: s.utmSource,
    utmMedium: s.utmMedium,
    utmCampaign: s.utmCampaign,
    utmTerm: s.utmTerm,
    utmContent: s.utmContent,
    gclid: s.gclid,
    yclid: s.yclid,
    fbclid: s.fbclid,
    source: s.source,
    medium: s.medium,
    campaign: s.campaign,
    term: s.term,
    content: s.content,
    gaClientId: input.gaClientId ?? null,
    gaSessionId: input.gaSessionId ?? null,
    ymClientId: input.ymClientId ?? null,
    userAgent: input.userAgent ?? null,
    ip: input.ip ?? null,
    region: facts.region,
    isBot,
    poolName: null,
    number: null,
    numberType: 'none',
    pagesSeen: 1,
    createdAt: now,
    lastSeenAt: now,
  };
}
