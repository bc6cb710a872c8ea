import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isBotUserAgent } from '../../src/tracking/visit-source.js';
import { selectPool, type VisitFacts } from '../../src/tracking/pool-match.js';
import { peakConcurrent } from '../../src/tracking/pool-report.js';
import { makeConfig } from '../support/config.js';

const cfg = makeConfig({
  tracking: { defaultCountry: 'RU' },
  pools: [
    { name: 'direct-fridges', numbers: ['+74950000101'], forwardTo: '+74951112233', fallbackNumber: '+74950000190', match: { source: ['Yandex'], medium: ['cpc'], campaign: ['fridges'] } },
    { name: 'catalog', numbers: ['+74950000102'], forwardTo: '+74951112233', fallbackNumber: '+74950000191', match: { host: ['*.example.com'], path: ['/catalog/*'] } },
    { name: 'moscow', numbers: ['+74950000103'], forwardTo: '+74951112233', fallbackNumber: '+74950000192', match: { region: ['Moscow', 'MOW'] } },
    { name: 'all', numbers: ['+74950000104'], forwardTo: '+74951112233', fallbackNumber: '+74950000193' },
  ],
});

const facts = (f: Partial<VisitFacts>): VisitFacts => ({
  host: 'shop.example.com',
  path: '/',
  source: '(direct)',
  medium: '(none)',
  campaign: null,
  term: null,
  region: null,
  ...f,
});
const pick = (f: Partial<VisitFacts>) => selectPool(cfg.pools, facts(f))?.name;

describe('choosing a pool', () => {
  it('takes the first pool whose every condition holds, in config order; no rules = catch-all', () => {
    assert.equal(pick({ source: 'yandex', medium: 'CPC', campaign: 'fridges', path: '/catalog/x' }), 'direct-fridges');
    assert.equal(pick({ source: 'yandex', medium: 'cpc', campaign: 'tvs', path: '/catalog/x' }), 'catalog', 'campaign differs');
    assert.equal(pick({ host: 'example.com', path: '/catalog/x' }), 'all', '*.example.com needs a subdomain');
    assert.equal(pick({ host: 'm.example.com', path: '/catalog/tv/1' }), 'catalog');
    assert.equal(pick({ path: '/catalog' }), 'all', '/catalog/* needs something after the slash');
    assert.equal(pick({ region: 'mow' }), 'moscow');
    assert.equal(pick({}), 'all');
    assert.equal(selectPool(cfg.pools.slice(0, 3), facts({})), undefined, 'without a catch-all nothing matches');
  });
});

describe('bots', () => {
  it('recognises crawlers and preview fetchers, not browsers', () => {
    for (const ua of [
      'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
      'Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)',
      'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
      'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
      'TelegramBot (like TwitterBot)',
      'Mozilla/5.0 (Linux; Android 7.0; Moto G (4)) AppleWebKit/537.36 Chrome-Lighthouse',
    ]) assert.equal(isBotUserAgent(ua), true, ua);
    for (const ua of [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1',
      'Mozilla/5.0 (Linux; Android 10; Cubot P40) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36',
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/131.0 Safari/537.36',
      undefined,
    ]) assert.equal(isBotUserAgent(ua), false, String(ua));
  });
});

describe('pool sizing figures', () => {
  it('peak concurrency counts overlaps, not touching intervals, within the window', () => {
    const holds = [
      { heldFrom: 0, heldUntil: 10 },
      { heldFrom: 5, heldUntil: 15 },
      { heldFrom: 10, heldUntil: 20 }, // starts when the first ends
      { heldFrom: 100, heldUntil: 200 },
    ];
    assert.equal(peakConcurrent(holds, 0, 50), 2);
    assert.equal(peakConcurrent(holds, 12, 50), 2);
    assert.equal(peakConcurrent(holds, 16, 150), 1);
    assert.equal(peakConcurrent([], 0, 1), 0);
  });
});
