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
