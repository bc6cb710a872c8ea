import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BrowserEngine, EngineName, PageDriver } from './page-driver.js';
import { sitePage } from './snippet-pages.js';
import { snippetStack, type SnippetStack } from './snippet-stack.js';
import { pool } from './tracking-app.js';

declare const document: { cookie: string };

/** gtag's cookies as a site with GA4 has them: the client id, and one session cookie per measurement id. */
const GS1 = '_ga_TEST123=GS1.1.1764770000.3.1.1764770100.0.0.0';
const GS2 = '_ga_TEST123=GS2.1.s1764780000$o4$g1$t1764780100$j0$l0$h0';
const UNKNOWN = '_ga_TEST123=GS9.1.s1764790000';
const OTHER_STREAM = '_ga_OTHER99=GS1.1.1111111111.1.1.1111111111.0.0.0';

const setCookies = (page: PageDriver, cookies: string[]) =>
  page.evaluate((list) => {
    list.forEach((c) => (document.cookie = c + '; path=/'));
    return true;
  }, cookies);

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The GA4 session id read from gtag's cookie in one engine (registered by snippetScenarios):
 * both cookie formats gtag has written, sent when the visit starts and on the pings after the
 * page moved to another GA session; a value in no known format is ignored.
 */
export function gaSessionScenarios(engineName: EngineName, engine: () => BrowserEngine): void {
  describe(`snippet in ${engineName}: GA4 client and session ids`, () => {
    let stack: SnippetStack;
    before(async () => {
      stack = await snippetStack(
        {
          pools: [pool('ga', 1, 3, { fallbackNumber: '+74950009901', siteNumbers: ['+7 (495) 123-45-67'] })],
          analytics: { ga4: { measurementId: 'G-TEST123', apiSecret: 'unused', endpoint: 'http://127.0.0.1:9/mp/collect' } },
        },
        (path, urls) => {
          if (path === '/blank.html') return '<!doctype html><title>blank</title>';
          if (path === '/ga.html') return sitePage(`${urls.api}/snippet.js`, '<p id="f1">+7 (495) 123-45-67</p>');
          return undefined;
        },
      );
    });
    after(async () => stack?.close());
    const visit = async () => (await stack.app.db('visits').first()) as { id: string; ga_client_id: string | null; ga_session_id: string | null } | undefined;
    const pings = () => stack.requests.filter((r) => r.method === 'POST' && /\/ping$/.test(r.path) && r.status === 200).length;

    it("sends the session id of calltrack's GA4 stream with the visit, and a new one on the pings", async () => {
      const page = await engine().newPage();
      await page.goto(`${stack.site.origin}/blank.html`);
      await setCookies(page, ['_ga=GA1.1.111.222', GS1, OTHER_STREAM]);
      await page.goto(`${stack.site.origin}/ga.html`);
      await until('the visit', async () => (await visit()) !== undefined);
      assert.deepEqual(
        { client: (await visit())?.ga_client_id, session: (await visit())?.ga_session_id },
        { client: '111.222', session: '1764770000' },
        'GS1 format, from _ga_TEST123 (G-TEST123), not from another stream',
      );

      // gtag moved to its newer cookie format and a new session began while the page was open.
      await setCookies(page, [GS2]);
      await until('the new session from a ping', async () => (await visit())?.ga_session_id === '1764780000');

      // Something else wrote the cookie: no session id is sent, the stored one stays.
      await setCookies(page, [UNKNOWN]);
      const before = pings();
      await until('two more pings', async () => pings() >= before + 2);
      assert.equal((await visit())?.ga_session_id, '1764780000');
      assert.deepEqual(await page.errors(), []);
      await page.close();
    });
  });
}
