import { existsSync } from 'node:fs';
import puppeteer, { type BrowserContext, type Page } from 'puppeteer-core';
import { missingBinary, type BrowserEngine, type PageDriver } from './page-driver.js';

/**
 * Debian's Firefox ESR, headless, driven by Puppeteer over WebDriver BiDi (Firefox speaks it
 * natively, so no patched build and no geckodriver); each page in its own BiDi user context.
 */
export async function launchFirefoxEngine(): Promise<BrowserEngine> {
  const executablePath = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
  if (!existsSync(executablePath)) throw missingBinary('Firefox', executablePath, 'firefox-esr', 'FIREFOX_PATH');
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath,
    headless: true,
    extraPrefsFirefox: {
      // Nothing that talks to the internet: the test machine has none, and a lookup would stall.
      'network.captive-portal-service.enabled': false,
      'network.connectivity-service.enabled': false,
      'browser.safebrowsing.update.enabled': false,
    },
  });
  return {
    name: 'firefox',
    async newPage() {
      const context = await browser.createBrowserContext();
      return firefoxPage(context, await context.newPage());
    },
    close: () => browser.close(),
  };
}

function firefoxPage(context: BrowserContext, page: Page): PageDriver {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err instanceof Error ? err.message : String(err)}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warn') errors.push(`${msg.type()}: ${msg.text()}`);
  });
  return {
    goto: async (url) => void (await page.goto(url)),
    evaluate: async <T, A>(fn: (arg: A) => T, arg?: A) => (await page.evaluate(fn as (a: unknown) => T, arg as unknown)) as T,
    click: (selector) => page.click(selector),
    async cookie(name) {
      const found = (await context.cookies()).find((c) => c.name === name);
      return found && { value: found.value, expires: found.expires };
    },
    screenshot: async (path) => void (await page.screenshot({ path: path as `${string}.png`, fullPage: true })),
    errors: async () => [...errors],
    close: () => context.close(),
  };
}
