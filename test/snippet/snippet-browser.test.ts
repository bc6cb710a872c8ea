import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { SECOND_BODY, SHOP_BODY, sitePage, US_BODY } from '../support/snippet-pages.js';
import type { PageDocument } from '../support/page-globals.js';
import { launchChromium, snippetStack, watchConsole, type SnippetStack } from '../support/snippet-stack.js';
import { pool } from '../support/tracking-app.js';

declare const document: PageDocument;
declare const window: { lateFirstFrame?: string };

const text = (page: Page, selector: string) => page.locator(selector).textContent();
const href = (page: Page, selector: string) => page.locator(selector).getAttribute('href');

describe('snippet in Chromium: number swapping, navigation, pings', () => {
  let stack: SnippetStack;
  let browser: Browser;
  before(async () => {
    // The browser first: if it cannot start, nothing else is running that after() could not stop.
    browser = await launchChromium();
    [stack] = await Promise.all([
      snippetStack(
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
      ),
    ]);
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  const served = (method: string, pattern: RegExp) => stack.requests.filter((r) => r.method === method && pattern.test(r.path));
  const until = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000) => {
    const end = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it('swaps marked elements, tel: links and text in the page\'s own style; a late widget, pages, pings and the release beacon', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const consoleSeen = watchConsole(page);
    await page.goto(`${stack.site.origin}/index.html`);
    await page.waitForFunction(() => document.getElementById('f1')?.textContent !== '+7 (495) 123-45-67');

    const visit = (await stack.app.db('visits').first()) as { id: string; visitor_id: string; number: string };
    assert.equal(visit.number, '+74950000001', 'the first visit takes the pool number free the longest');
    assert.equal(await text(page, '#marked'), '+7 (495) 000-00-01');
    assert.equal(await text(page, '#marked-link'), '8 (495) 000-00-01', 'an empty marked element is filled');
    assert.equal(await href(page, '#marked-link'), 'tel:+74950000001');
    assert.equal(await href(page, '#tel'), 'tel:+74950000001');
    assert.equal(await text(page, '#tel'), 'Call us');
    assert.equal(await text(page, '#f1'), '+7 (495) 000-00-01');
    assert.equal(await text(page, '#f2'), 'Sales: 8 495 000 00 01, every day');
    assert.equal(await text(page, '#f3'), 'Toll free 8 (495) 000-00-01', 'the global site number is swapped too');
    assert.equal(await text(page, '#other'), 'Service: +7 (495) 765-43-21', 'a number that is not the site\'s stays');
    assert.equal(await text(page, '#us'), 'New York office: +1 415-555-0100', 'another pool\'s site number stays');
    const cookies = await context.cookies();
    const vid = cookies.find((c) => c.name === '_ct_vid');
    assert.equal(vid?.value, visit.visitor_id, 'the visitor id is a first-party cookie');
    assert.ok(vid && vid.expires * 1000 > Date.now() + 360 * 86_400_000, 'kept for a year');

    // The widget adds the site's number two seconds after load: swapped before it is ever painted.
    await page.waitForFunction(() => window.lateFirstFrame !== undefined, null, { timeout: 10_000 });
    assert.equal(await page.evaluate(() => window.lateFirstFrame), 'Chat widget: 8 (495) 000-00-01 | Support: +7 495 000 00 01');
    assert.equal(await href(page, '#late a'), 'tel:84950000001');

    await until('a ping', () => served('POST', new RegExp(`^/v1/visits/${visit.id}/ping$`)).some((r) => r.status === 200));
    if (process.env.SNIPPET_SCREENSHOT) await page.screenshot({ path: process.env.SNIPPET_SCREENSHOT, fullPage: true });

    // The next page shows the same number from the visit's storage, then confirms it with a ping.
    const newVisitsBefore = served('POST', /^\/v1\/visits$/).length;
    await page.click('#next');
    await page.waitForURL('**/second.html');
    await page.waitForFunction(() => document.getElementById('f1')?.textContent === 'Questions? +7 (495) 000-00-01');
    assert.equal(await href(page, '#tel'), 'tel:+7-495-000-00-01');
    assert.equal(await text(page, '#tel'), '+7 495 000-00-01');
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

    assert.deepEqual(consoleSeen, { errors: [], network: [] });
    await context.close();
  });

  it('gives two visitors (two browser contexts) two different numbers', async () => {
    const numbers: string[] = [];
    for (let i = 0; i < 2; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${stack.site.origin}/index.html`);
      await page.waitForFunction(() => document.getElementById('f1')?.textContent !== '+7 (495) 123-45-67');
      numbers.push((await text(page, '#f1')) ?? '');
      await context.close();
    }
    assert.equal(new Set(numbers).size, 2, `got ${numbers.join(', ')}`);
    assert.ok(numbers.every((n) => /^\+7 \(495\) 000-00-0[23]$/.test(n)), numbers.join(', '));
  });

  it('keeps US formatting on a US pool\'s page, and follows a number change from a ping', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const consoleSeen = watchConsole(page);
    await page.goto(`${stack.site.origin}/us/index.html`);
    await page.waitForFunction(() => document.getElementById('u1')?.textContent !== '+1 415-555-0100');
    assert.equal(await text(page, '#u1'), '+1 415-555-0123');
    assert.equal(await text(page, '#u2'), '(415) 555 0123');
    assert.equal(await text(page, '#utel'), '415.555.0123');
    assert.equal(await href(page, '#utel'), 'tel:+14155550123');

    // While the tab slept its hold lapsed and another visit took the number: the next ping
    // brings a new number, and the page shows it in place of the old one.
    await stack.app.db('tracking_numbers').where({ number: '+14155550123' }).update({ hold_visit_id: 'another-visit', hold_until: Date.now() + 3_600_000 });
    await page.waitForFunction(() => document.getElementById('u1')?.textContent === '+1 415-555-0124');
    assert.equal(await text(page, '#u2'), '(415) 555 0124');
    assert.equal(await href(page, '#utel'), 'tel:+14155550124');
    assert.deepEqual(consoleSeen, { errors: [], network: [] });
    await context.close();
  });
});
