/**
 * Where a website visit came from, worked out from its landing URL and referrer.
 * Order of evidence: utm_* tags (the advertiser said so), then ad click ids (gclid, yclid,
 * fbclid), then the referrer (search engine = organic, social network = social, another site
 * = referral), else direct. The raw values are kept beside the result.
 */
export interface VisitSource {
  siteHost: string;
  path: string;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  utmTerm: string | null;
  utmContent: string | null;
  gclid: string | null;
  yclid: string | null;
  fbclid: string | null;
  source: string;
  medium: string;
  campaign: string | null;
  term: string | null;
  content: string | null;
}

// Host suffix (after stripping "www.") → the name reported as the source.
const SEARCH_ENGINES: [RegExp, string][] = [
  [/(^|\.)google\.[a-z.]+$/, 'google'],
  [/(^|\.)(yandex\.[a-z.]+|ya\.ru)$/, 'yandex'],
  [/(^|\.)bing\.com$/, 'bing'],
  [/(^|\.)duckduckgo\.com$/, 'duckduckgo'],
  [/^go\.mail\.ru$|^search\.mail\.ru$/, 'mail.ru'],
  [/(^|\.)baidu\.com$/, 'baidu'],
  [/(^|\.)search\.yahoo\.[a-z.]+$|^yahoo\.[a-z.]+$/, 'yahoo'],
  [/(^|\.)ecosia\.org$/, 'ecosia'],
  [/(^|\.)startpage\.com$/, 'startpage'],
  [/(^|\.)qwant\.com$/, 'qwant'],
  [/(^|\.)seznam\.cz$/, 'seznam'],
  [/(^|\.)naver\.com$/, 'naver'],
  [/^nova\.rambler\.ru$/, 'rambler'],
  [/(^|\.)sogou\.com$|(^|\.)so\.com$/, 'sogou'],
];

const SOCIAL_NETWORKS: [RegExp, string][] = [
  [/(^|\.)(facebook\.com|fb\.com|fb\.me)$/, 'facebook'],
  [/(^|\.)instagram\.com$/, 'instagram'],
  [/(^|\.)(twitter\.com|x\.com|t\.co)$/, 'twitter'],
  [/(^|\.)(vk\.com|vk\.ru|vkontakte\.ru)$/, 'vk'],
  [/(^|\.)ok\.ru$|(^|\.)odnoklassniki\.ru$/, 'ok'],
  [/(^|\.)(linkedin\.com|lnkd\.in)$/, 'linkedin'],
  [/(^|\.)(t\.me|telegram\.org)$/, 'telegram'],
  [/(^|\.)(youtube\.com|youtu\.be)$/, 'youtube'],
  [/(^|\.)tiktok\.com$/, 'tiktok'],
  [/(^|\.)pinterest\.[a-z.]+$/, 'pinterest'],
  [/(^|\.)reddit\.com$/, 'reddit'],
  [/(^|\.)(whatsapp\.com|wa\.me)$/, 'whatsapp'],
  [/(^|\.)dzen\.ru$/, 'dzen'],
];

export const DIRECT = { source: '(direct)', medium: '(none)' } as const;

/** No campaign evidence at all (typed address, bookmark, another tab without a referrer). */
export function isDirect(s: { source: string | null; medium: string | null }): boolean {
  return s.source === DIRECT.source && s.medium === DIRECT.medium;
}

/** A query parameter as kept on the visit: trimmed, at most 255 characters, empty as null. */
function param(q: URLSearchParams, name: string): string | null {
  const v = q.get(name)?.trim();
  return v ? v.slice(0, 255) : null;
}

/** Parses the landing URL (must be http/https) and classifies the visit. */
export function classifyVisit(landingUrl: URL, referrer: string | null | undefined): VisitSource {
  // Runs for every new visit: one object literal, no per-call closures or spreads.
  const q = landingUrl.searchParams;
  const siteHost = landingUrl.hostname.toLowerCase();
  const utmSource = param(q, 'utm_source');
  const utmMedium = param(q, 'utm_medium');
  const gclid = param(q, 'gclid');
  const yclid = param(q, 'yclid');
  const fbclid = param(q, 'fbclid');
  const evidence = utmSource
    ? { source: utmSource, medium: utmMedium ?? '(not set)' }
    : (clickIdSource(gclid, yclid, fbclid) ?? referrerSource(referrer, siteHost));
  const utmCampaign = param(q, 'utm_campaign');
  const utmTerm = param(q, 'utm_term');
  const utmContent = param(q, 'utm_content');
  return {
    siteHost,
    path: landingUrl.pathname,
    utmSource,
    utmMedium,
    utmCampaign,
    utmTerm,
    utmContent,
    gclid,
    yclid,
    fbclid,
    source: evidence.source,
    medium: utmMedium ?? evidence.medium,
    campaign: utmCampaign,
    term: utmTerm,
    content: utmContent,
  };
}

function clickIdSource(gclid: string | null, yclid: string | null, fbclid: string | null) {
  if (gclid) return { source: 'google', medium: 'cpc' };
  if (yclid) return { source: 'yandex', medium: 'cpc' };
  if (fbclid) return { source: 'facebook', medium: 'paid-social' };
  return null;
}

function referrerSource(referrer: string | null | undefined, siteHost: string): { source: string; medium: string } {
  if (!referrer) return { ...DIRECT };
  let host: string;
  try {
    const u = new URL(referrer);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return { ...DIRECT };
    host = u.hostname.toLowerCase().replace(/^www\./, '');
  } catch {
    return { ...DIRECT };
  }
  // Navigation inside the site itself says nothing about where the visitor came from.
  if (host === siteHost.replace(/^www\./, '')) return { ...DIRECT };
  for (const [pattern, name] of SEARCH_ENGINES) if (pattern.test(host)) return { source: name, medium: 'organic' };
  for (const [pattern, name] of SOCIAL_NETWORKS) if (pattern.test(host)) return { source: name, medium: 'social' };
  return { source: host, medium: 'referral' };
}

/*
 * Known crawlers and link-preview fetchers. They render pages (and run the snippet) but
 * never call, so a pool number shown to them would only be held away from a real visitor.
 * "HeadlessChrome" is deliberately absent: headless browsers also run real monitoring and tests.
 */
const BOT_PATTERN = new RegExp(
  [
    'bot\\b',
    'bot/',
    'crawl',
    'spider',
    'slurp',
    'mediapartners-google',
    'adsbot',
    'google-inspectiontool',
    'facebookexternalhit',
    'facebookcatalog',
    'bingpreview',
    'ia_archiver',
    'chrome-lighthouse',
    'pagespeed',
    'yandex(?:bot|images|metrika|direct|accessibilitybot|mobilebot|screenshotbot)',
    'whatsapp',
    'vkshare',
    'skypeuripreview',
    'embedly',
    'semrush',
    'ahrefs',
    'mj12',
    'dataforseo',
    'petalbot',
    'bytespider',
  ].join('|'),
  'i',
);

// Phone brands whose model names end in "bot" and must not be mistaken for crawlers.
const NOT_BOTS = /\bcubot\b/gi;

/** True for a user agent that belongs to a known bot or crawler. A missing agent is not one. */
export function isBotUserAgent(userAgent: string | null | undefined): boolean {
  if (!userAgent) return false;
  return BOT_PATTERN.test(userAgent.replace(NOT_BOTS, ''));
}
