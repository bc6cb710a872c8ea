import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ApiProxy } from '../support/site-server.js';
import { sitePage } from '../support/snippet-pages.js';
import type { PageDocument } from '../support/page-globals.js';
import { launchChromium, snippetStack, watchConsole, type SnippetStack } from '../support/snippet-stack.js';
import { pool } from '../support/tracking-app.js';

const HIDDEN_BODY = `
<h1>Acme premium</h1>
<p id="h">Call +7 (495) 222-33-44</p>
<p><a id="t" href="tel:+74952223344">+7 (495) 222-33-44</a></p>
<p><a id="next" href="/hidden/two.html">More</a></p>`;

const PLAIN_BODY = `
<h1>Acme</h1>
<p id="f1">+7 (495) 123-45-67</p>
<p><a id="tel" href="tel:+74951234567">8 (495) 123-45-67</a></p>`;

declare const document: PageDocument;

const text = (page: Page, selector: string) => page.locator(selector).textContent();

describe('snippet in Chromium: reveal on click, API down or slow', () => {
  let stack: SnippetStack;
  let proxy: ApiProxy;
  let browser: Browser;
  before(async () => {
    // The browser first: if it cannot start, nothing else is running that after() could not stop.
    browser = await launchChromium();
    [stack] = await Promise.all([
      snippetStack(
        {
          pools: [
            pool('hidden', 1, 3, { fallbackNumber: '+74950009901', reveal: 'click', siteNumbers: ['+7 (495) 222-33-44'], match: { path: ['/hidden/*'] } }),
            pool('open', 11, 3, { fallbackNumber: '+74950009902', siteNumbers: ['+7 (495) 123-45-67'] }),
          ],
        },
        (path, urls) => {
          if (path.startsWith('/hidden/')) return sitePage(`${urls.api}/snippet.js`, HIDDEN_BODY);
          // Through the proxy: the snippet's API base is the proxy, which plays a broken server.
          if (path === '/down.html') return sitePage(`${proxy.origin}/snippet.js`, PLAIN_BODY);
          if (path === '/slow.html') return sitePage(`${proxy.origin}/snippet.js`, PLAIN_BODY, 'data-ping="1" data-timeout="400"');
          return undefined;
        },
      ),
    ]);
    proxy = await new ApiProxy(stack.api).start();
  });
  after(async () => {
    await browser?.close();
    await proxy?.close();
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

  it('reveal mode masks the numbers, takes a number only on click and counts the reveal', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const consoleSeen = watchConsole(page);
    await page.goto(`${stack.site.origin}/hidden/one.html`);
    await page.waitForFunction(() => document.querySelectorAll('[data-calltrack-reveal]').length === 2);
    assert.equal(await text(page, '#h'), 'Call +7 (495) 222-3\u2022-\u2022\u2022Show number');
    assert.equal(await page.locator('#h button').textContent(), 'Show number');
    assert.equal(await page.locator('#t').getAttribute('href'), 'tel:+74952223344', 'nothing dials a blank');
    assert.equal((await stack.app.db('visits')).length, 0, 'no visit and no number before the click');
    assert.equal(served('GET', /^\/v1\/visits\/preview$/).length, 1);
    if (process.env.SNIPPET_SCREENSHOT) await page.screenshot({ path: process.env.SNIPPET_SCREENSHOT.replace(/\.png$/, '-masked.png') });

    await page.click('#h button');
    await page.waitForFunction(() => document.getElementById('h')?.textContent === 'Call +7 (495) 000-00-01');
    assert.equal(await text(page, '#t'), '+7 (495) 000-00-01');
    assert.equal(await page.locator('#t').getAttribute('href'), 'tel:+74950000001');
    assert.equal(await page.locator('[data-calltrack-reveal]').count(), 0);
    const status = (await stack.app.poolReports.poolStatus()).find((p) => p.pool === 'hidden');
    assert.equal(status?.reveals7d, 1);
    assert.equal(status?.heldNow, 1);

    // Revealed once: the visit's next page shows its number straight away, unmasked.
    await page.click('#next');
    await page.waitForURL('**/hidden/two.html');
    await page.waitForFunction(() => document.getElementById('h')?.textContent === 'Call +7 (495) 000-00-01');
    assert.equal(await page.locator('[data-calltrack-reveal]').count(), 0);
    assert.equal((await stack.app.db('visits')).length, 1);
    assert.equal(served('POST', /^\/v1\/visits\/reveal$/).length, 1);
    assert.deepEqual(consoleSeen, { errors: [], network: [] });
    await context.close();
  });

  it('API down: the page keeps its own numbers and the console stays clean', async () => {
    proxy.mode = 'down';
    const context = await browser.newContext();
    const page = await context.newPage();
    const consoleSeen = watchConsole(page);
    await page.goto(`${stack.site.origin}/down.html`);
    // The site has a reveal pool, so the snippet first asks for the pool preview: that fails.
    await until('the failed API request', () => proxy.seen.includes('GET /v1/visits/preview'));
    await until('the browser to log the failed request', () => consoleSeen.network.length > 0);
    assert.equal(await text(page, '#f1'), '+7 (495) 123-45-67');
    assert.equal(await text(page, '#tel'), '8 (495) 123-45-67');
    assert.equal(await page.locator('#tel').getAttribute('href'), 'tel:+74951234567');
    assert.deepEqual(consoleSeen.errors, []);
    await context.close();
  });

  it('API slower than the timeout: the page keeps its own numbers, even when the answer comes late', async () => {
    proxy.mode = 'hold';
    proxy.affects = /^POST \/v1\/visits$/;
    const context = await browser.newContext();
    const page = await context.newPage();
    const consoleSeen = watchConsole(page);
    await page.goto(`${stack.site.origin}/slow.html`);
    await until('the visit request to stall', () => proxy.heldCount === 1);
    // data-timeout="400": after that the snippet gives up; let the late answer through.
    await new Promise((r) => setTimeout(r, 1000));
    const allocatedBefore = served('POST', /^\/v1\/visits$/).length;
    proxy.mode = 'pass';
    proxy.releaseHeld();
    await until('the late answer', () => served('POST', /^\/v1\/visits$/).some((r, i) => i >= allocatedBefore && r.status === 201));
    await page.waitForTimeout(300);
    assert.equal((await stack.app.db('visits').whereLike('landing_url', '%/slow.html')).length, 1, 'the server did allocate, too late');
    assert.equal(await text(page, '#f1'), '+7 (495) 123-45-67');
    assert.equal(await page.locator('#tel').getAttribute('href'), 'tel:+74951234567');
    assert.deepEqual(consoleSeen.errors, []);
    await context.close();
  });
});
