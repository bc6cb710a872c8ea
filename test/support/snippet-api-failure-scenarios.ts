import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { attributeOf, textOf, type BrowserEngine, type EngineName } from './page-driver.js';
import { ApiProxy } from './site-server.js';
import { REVEAL_AND_OPEN_POOLS, sitePage } from './snippet-pages.js';
import { snippetStack, type SnippetStack } from './snippet-stack.js';

const PLAIN_BODY = `
<h1>Acme</h1>
<p id="f1">+7 (495) 123-45-67</p>
<p><a id="tel" href="tel:+74951234567">8 (495) 123-45-67</a></p>`;

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await settle(50);
  }
}

/**
 * The API failing under the page, in one engine (registered by snippetScenarios): the page keeps
 * its own numbers and no script error reaches the console. Each engine fails a fetch its own way
 * (a 503, an abort after data-timeout, a late answer to an aborted request).
 */
export function apiFailureScenarios(engineName: EngineName, engine: () => BrowserEngine): void {
  describe(`snippet in ${engineName}: API down or slow`, () => {
    let stack: SnippetStack;
    let proxy: ApiProxy;
    before(async () => {
      stack = await snippetStack(
        {
          pools: REVEAL_AND_OPEN_POOLS,
        },
        (path) => {
          // Through the proxy: the snippet's API base is the proxy, which plays a broken server.
          if (path === '/down.html') return sitePage(`${proxy.origin}/snippet.js`, PLAIN_BODY);
          if (path === '/slow.html') return sitePage(`${proxy.origin}/snippet.js`, PLAIN_BODY, 'data-ping="1" data-timeout="400"');
          return undefined;
        },
      );
      proxy = await new ApiProxy(stack.api).start();
    });
    after(async () => {
      await proxy?.close();
      await stack?.close();
    });
    const allocations = () => stack.requests.filter((r) => r.method === 'POST' && r.path === '/v1/visits');

    it('API down: the page keeps its own numbers and the console stays clean', async () => {
      proxy.mode = 'down';
      proxy.affects = /^/;
      const page = await engine().newPage();
      await page.goto(`${stack.site.origin}/down.html`);
      // The site has a reveal pool, so the snippet first asks for the pool preview: that fails.
      await until('the failed API request', () => proxy.seen.includes('GET /v1/visits/preview'));
      // The 503 is answered at once; this is time for the page to take it in.
      await settle(500);
      assert.equal(await textOf(page, '#f1'), '+7 (495) 123-45-67');
      assert.equal(await textOf(page, '#tel'), '8 (495) 123-45-67');
      assert.equal(await attributeOf(page, '#tel', 'href'), 'tel:+74951234567');
      assert.equal(allocations().length, 0);
      assert.deepEqual(await page.errors(), []);
      await page.close();
    });

    it('API slower than the timeout: the page keeps its own numbers, even when the answer comes late', async () => {
      proxy.mode = 'hold';
      proxy.affects = /^POST \/v1\/visits$/;
      const page = await engine().newPage();
      await page.goto(`${stack.site.origin}/slow.html`);
      await until('the visit request to stall', () => proxy.heldCount === 1);
      // data-timeout="400": after that the snippet gives up; let the late answer through.
      await settle(1000);
      const allocatedBefore = allocations().length;
      proxy.mode = 'pass';
      proxy.releaseHeld();
      await until('the late answer', () => allocations().some((r, i) => i >= allocatedBefore && r.status === 201));
      await settle(300);
      assert.equal((await stack.app.db('visits').whereLike('landing_url', '%/slow.html')).length, 1, 'the server did allocate, too late');
      assert.equal(await textOf(page, '#f1'), '+7 (495) 123-45-67');
      assert.equal(await attributeOf(page, '#tel', 'href'), 'tel:+74951234567');
      assert.deepEqual(await page.errors(), []);
      await page.close();
    });
  });
}
