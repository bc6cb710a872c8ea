import type { BrowserContext, Page } from 'playwright-core';
import type { BrowserEngine, PageDriver } from './page-driver.js';
import { launchChromium, watchConsole } from './snippet-stack.js';

/** Debian's Chromium through Playwright; each page in its own browser context (profile). */
export async function launchChromiumEngine(): Promise<BrowserEngine> {
  const browser = await launchChromium();
  return {
    name: 'chromium',
    async newPage() {
      const context = await browser.newContext();
      return chromiumPage(context, await context.newPage());
    },
    close: () => browser.close(),
  };
}

function chromiumPage(context: BrowserContext, page: Page): PageDriver {
  const seen = watchConsole(page);
  return {
    goto: async (url) => void (await page.goto(url)),
    evaluate: <T, A>(fn: (arg: A) => T, arg?: A) => page.evaluate(fn as (a: unknown) => T, arg as unknown),
    click: (selector) => page.click(selector),
    async cookie(name) {
      const found = (await context.cookies()).find((c) => c.name === name);
      return found && { value: found.value, expires: found.expires };
    },
    screenshot: async (path) => void (await page.screenshot({ path, fullPage: true })),
    errors: async () => [...seen.errors],
    close: () => context.close(),
  };
}
