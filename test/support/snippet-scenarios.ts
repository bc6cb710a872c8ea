import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiFailureScenarios } from './snippet-api-failure-scenarios.js';
import { gaSessionScenarios } from './snippet-ga-scenarios.js';
import { attributeOf, launchEngine, textOf, waitInPage, type BrowserEngine, type EngineName, type PageDriver } from './page-driver.js';
import type { PageDocument } from './page-globals.js';
import { REVEAL_AND_OPEN_POOLS, SECOND_BODY, SHOP_BODY, sitePage, US_BODY } from './snippet-pages.js';
import { snippetStack, type SnippetStack } from './snippet-stack.js';
import { pool } from './tracking-app.js';

declare const document: PageDocument;
declare const window: { lateFirstFrame?: string };
declare const location: { pathname: string };

const HIDDEN_BODY = `
<h1>Acme premium</h1>
<p id="h">Call +7 (495) 222-33-44</p>
<p><a id="t" href="tel:+74952223344">+7 (495) 222-33-44</a></p>
<p><a id="next" href="/hidden/two.html">More</a></p>`;

/** The site's own numbers are gone from #f1: the snippet has swapped. */
const swapped = (page: PageDriver) => waitInPage(page, 'the swap', () => document.getElementById('f1')?.textContent !== '+7 (495) 123-45-67');

const shot = (engine: EngineName, suffix = '') => process.env.SNIPPET_SCREENSHOT?.replace(/\.png$/, `${suffix}-${engine}.png`);

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function servedBy(stack: () => SnippetStack) {
  return (method: string, pattern: RegExp) => stack().requests.filter((r) => r.method === method && pattern.test(r.path));
}

/**
 * The snippet's user-visible behaviour, registered as node:test suites for one engine. Each
 * engine's test file calls this, so every engine runs the same scenarios in its own process.
 */
export function snippetScenarios(engineName: EngineName): void {
  let engine: BrowserEngine;
  // The browser first: if it cannot start, nothing else is running that after() could not stop.
  before(async () => (engine = await launchEngine(engineName)));
  after(async () => engine?.close());

  describe(`snippet in ${engineName}: number swapping, navigation, pings, release`, () => {
    let stack: SnippetStack;
    before(async () => {
      stack = await snippetStack(
        {
          snippet: { siteNumbers: ['8 800 555-35-35'] },
          pools: [
            pool('us', 0, 0, { numbers: ['+14155550123', '+14155550124'], onExhausted: 'reuse-oldest', siteNumbers: ['+1 415-555-0100'], match: { path: ['/us/*'] } }),
            pool('ru', 1, 3, { fallbackNumber: '+74950009901', siteNumbers: ['+7 (495) 123-45-67'] }),
          ],
        },
        (path, urls) => {
          const src = `${urls.api}/snippet.js`;
          if (path === '/' || path === '/index.html') return sitePage(src, SHOP_BODY);
          if (path === '/second.html') return sitePage(src, SECOND_BODY);
          if (path === '/us/index.html') return sitePage(src, US_BODY);
          return undefined;
        },
      );
    });
    after(async () => stack?.close());
    const served = servedBy(() => stack);

    it("swaps marked elements, tel: links and text in the page's own style; a late widget, pages, pings and the release beacon", async () => {
      const page = await engine.newPage();
      await page.goto(`${stack.site.origin}/index.html`);
      await swapped(page);

      const visit = (await stack.app.db('visits').first()) as { id: string; visitor_id: string; number: string };
      assert.equal(visit.number, '+74950000001', 'the first visit takes the pool number free the longest');
      assert.equal(await textOf(page, '#marked'), '+7 (495) 000-00-01');
      assert.equal(await textOf(page, '#marked-link'), '8 (495) 000-00-01', 'an empty marked element is filled');
      assert.equal(await attributeOf(page, '#marked-link', 'href'), 'tel:+74950000001');
      assert.equal(await attributeOf(page, '#tel', 'href'), 'tel:+74950000001');
      assert.equal(await textOf(page, '#tel'), 'Call us');
      assert.equal(await textOf(page, '#f1'), '+7 (495) 000-00-01');
      assert.equal(await textOf(page, '#f2'), 'Sales: 8 495 000 00 01, every day');
      assert.equal(await textOf(page, '#f3'), 'Toll free 8 (495) 000-00-01', 'the global site number is swapped too');
      assert.equal(await textOf(page, '#other'), 'Service: +7 (495) 765-43-21', "a number that is not the site's stays");
      assert.equal(await textOf(page, '#us'), 'New York office: +1 415-555-0100', "another pool's site number stays");
      const vid = await page.cookie('_ct_vid');
      assert.equal(vid?.value, visit.visitor_id, 'the visitor id is a first-party cookie');
      assert.ok(vid && vid.expires * 1000 > Date.now() + 360 * 86_400_000, `kept for a year (expires ${vid?.expires})`);
      const held = async () => ((await stack.app.db('tracking_numbers').where({ number: visit.number }).first()) as { hold_until: number }).hold_until;
      const heldAtStart = await held();

      // The widget adds the site's number two seconds after load: swapped before it is ever painted.
      await waitInPage(page, 'the late widget', () => window.lateFirstFrame !== undefined);
      assert.equal(await page.evaluate(() => window.lateFirstFrame), 'Chat widget: 8 (495) 000-00-01 | Support: +7 495 000 00 01');
      assert.equal(await attributeOf(page, '#late a', 'href'), 'tel:84950000001');

      await until('a ping', () => served('POST', new RegExp(`^/v1/visits/${visit.id}/ping$`)).some((r) => r.status === 200));
      assert.ok((await held()) > heldAtStart, 'the ping moved the hold on');
      const path = shot(engineName);
      if (path) await page.screenshot(path);
      assert.deepEqual(await page.errors(), []);

      // The next page shows the same number from the visit's storage, then confirms it with a ping.
      const newVisitsBefore = served('POST', /^\/v1\/visits$/).length;
      await page.click('#next');
      await waitInPage(page, 'the second page', () => location.pathname === '/second.html');
      await waitInPage(page, 'the second page swapped', () => document.getElementById('f1')?.textContent === 'Questions? +7 (495) 000-00-01');
      assert.equal(await attributeOf(page, '#tel', 'href'), 'tel:+7-495-000-00-01');
      assert.equal(await textOf(page, '#tel'), '+7 495 000-00-01');
      await until('the release beacon', () => served('POST', new RegExp(`^/v1/visits/${visit.id}/release$`)).some((r) => r.status === 204));
      await until('the second page recorded', async () => (await stack.app.db('visit_pages').where({ visit_id: visit.id })).length === 2);
      assert.equal(served('POST', /^\/v1\/visits$/).length, newVisitsBefore, 'no second allocation');
      assert.equal((await stack.app.db('visits')).length, 1);
      assert.equal((await stack.app.db('number_holds').where({ visit_id: visit.id })).length, 1);
      const hold = (await stack.app.db('number_holds').where({ visit_id: visit.id }).first()) as { released_at: number | null };
      assert.ok(hold.released_at !== null, 'the beacon released the hold (it now ends holdMinutes after leaving)');

      // Hidden: no pings. Visible again: a ping right away.
      await page.evaluate(() => {
        Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      });
      const pingsWhenHidden = served('POST', /\/ping$/).length;
      await new Promise((r) => setTimeout(r, 2500));
      assert.ok(served('POST', /\/ping$/).length <= pingsWhenHidden + 1, 'at most a ping already in flight arrives while hidden');
      const pingsBeforeVisible = served('POST', /\/ping$/).length;
      await page.evaluate(() => {
        Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      });
      await until('a ping after becoming visible', () => served('POST', /\/ping$/).length > pingsBeforeVisible);
      assert.deepEqual(await page.errors(), []);
      await page.close();
    });

    it('gives two visitors (two browser profiles) two different numbers', async () => {
      const numbers: string[] = [];
      for (let i = 0; i < 2; i++) {
        const page = await engine.newPage();
        await page.goto(`${stack.site.origin}/index.html`);
        await swapped(page);
        numbers.push((await textOf(page, '#f1')) ?? '');
        await page.close();
      }
      assert.equal(new Set(numbers).size, 2, `got ${numbers.join(', ')}`);
      assert.ok(numbers.every((n) => /^\+7 \(495\) 000-00-0[23]$/.test(n)), numbers.join(', '));
    });

    it("keeps US formatting on a US pool's page, and follows a number change from a ping", async () => {
      const page = await engine.newPage();
      await page.goto(`${stack.site.origin}/us/index.html`);
      await waitInPage(page, 'the swap', () => document.getElementById('u1')?.textContent !== '+1 415-555-0100');
      assert.equal(await textOf(page, '#u1'), '+1 415-555-0123');
      assert.equal(await textOf(page, '#u2'), '(415) 555 0123');
      assert.equal(await textOf(page, '#utel'), '415.555.0123');
      assert.equal(await attributeOf(page, '#utel', 'href'), 'tel:+14155550123');

      // While the tab slept its hold lapsed and another visit took the number: the next ping
      // brings a new number, and the page shows it in place of the old one.
      await stack.app.db('tracking_numbers').where({ number: '+14155550123' }).update({ hold_visit_id: 'another-visit', hold_until: Date.now() + 3_600_000 });
      await waitInPage(page, 'the new number', () => document.getElementById('u1')?.textContent === '+1 415-555-0124');
      assert.equal(await textOf(page, '#u2'), '(415) 555 0124');
      assert.equal(await attributeOf(page, '#utel', 'href'), 'tel:+14155550124');
      assert.deepEqual(await page.errors(), []);
      await page.close();
    });
  });

  describe(`snippet in ${engineName}: reveal on click`, () => {
    let stack: SnippetStack;
    before(async () => {
      stack = await snippetStack(
        {
          pools: REVEAL_AND_OPEN_POOLS,
        },
        (path, urls) => (path.startsWith('/hidden/') ? sitePage(`${urls.api}/snippet.js`, HIDDEN_BODY) : undefined),
      );
    });
    after(async () => stack?.close());
    const served = servedBy(() => stack);
    const reveals = (page: PageDriver) => page.evaluate(() => document.querySelectorAll('[data-calltrack-reveal]').length);

    it('masks the numbers, takes a number only on click and counts the reveal', async () => {
      const page = await engine.newPage();
      await page.goto(`${stack.site.origin}/hidden/one.html`);
      await waitInPage(page, 'the masked numbers', () => document.querySelectorAll('[data-calltrack-reveal]').length === 2);
      assert.equal(await textOf(page, '#h'), 'Call +7 (495) 222-3\u2022-\u2022\u2022Show number');
      assert.equal(await textOf(page, '#h button'), 'Show number');
      assert.equal(await attributeOf(page, '#t', 'href'), 'tel:+74952223344', 'nothing dials a blank');
      assert.equal((await stack.app.db('visits')).length, 0, 'no visit and no number before the click');
      assert.equal(served('GET', /^\/v1\/visits\/preview$/).length, 1);
      const path = shot(engineName, '-masked');
      if (path) await page.screenshot(path);

      await page.click('#h button');
      await waitInPage(page, 'the revealed number', () => document.getElementById('h')?.textContent === 'Call +7 (495) 000-00-01');
      assert.equal(await textOf(page, '#t'), '+7 (495) 000-00-01');
      assert.equal(await attributeOf(page, '#t', 'href'), 'tel:+74950000001');
      assert.equal(await reveals(page), 0);
      const status = (await stack.app.poolReports.poolStatus()).find((p) => p.pool === 'hidden');
      assert.equal(status?.reveals7d, 1);
      assert.equal(status?.heldNow, 1);
      assert.deepEqual(await page.errors(), []);

      // Revealed once: the visit's next page shows its number straight away, unmasked.
      await page.click('#next');
      await waitInPage(page, 'the next page', () => location.pathname === '/hidden/two.html');
      await waitInPage(page, 'the number on the next page', () => document.getElementById('h')?.textContent === 'Call +7 (495) 000-00-01');
      assert.equal(await reveals(page), 0);
      assert.equal((await stack.app.db('visits')).length, 1);
      assert.equal(served('POST', /^\/v1\/visits\/reveal$/).length, 1);
      assert.deepEqual(await page.errors(), []);
      await page.close();
    });
  });

  apiFailureScenarios(engineName, () => engine);
  gaSessionScenarios(engineName, () => engine);
}
