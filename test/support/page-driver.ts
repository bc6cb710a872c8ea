/**
 * What a browser test does with a tab, the same in every engine: the snippet's scenarios are
 * written once against this and run in Chromium (Playwright), Firefox (Puppeteer over WebDriver
 * BiDi) and WebKit (WebKitGTK's WebDriver). Functions handed to `evaluate` are sent as source
 * text and run in the page: they see only page globals and their one argument, and must return
 * JSON (WebDriver classic turns `undefined` into `null`).
 */
export interface PageDriver {
  goto(url: string): Promise<void>;
  evaluate<T, A = undefined>(fn: (arg: A) => T, arg?: A): Promise<T>;
  /** A real pointer click on the first match, as a visitor would. */
  click(selector: string): Promise<void>;
  /** A cookie the page's site set, as the browser keeps it (`expires` in epoch seconds). */
  cookie(name: string): Promise<{ value: string; expires: number } | undefined>;
  screenshot(path: string): Promise<void>;
  /**
   * What the visitor's console shows as script errors since the tab opened: uncaught errors,
   * unhandled rejections, console.error/warn. Not the browser's own failed-request lines (no
   * script can avoid those). WebKit's driver has no console access: there it is what the page's
   * recorder (sitePage) caught on the current page, and a rejection in the cross-origin snippet
   * is muted from it.
   */
  errors(): Promise<string[]>;
  /** Closes the tab and its profile: the page gets `pagehide`, the profile's storage is gone. */
  close(): Promise<void>;
}

export type EngineName = 'chromium' | 'firefox' | 'webkit';

export interface BrowserEngine {
  readonly name: EngineName;
  /** A tab in a fresh profile: its own cookies, localStorage and sessionStorage. */
  newPage(): Promise<PageDriver>;
  close(): Promise<void>;
}

/** The engines, one import each: a run of one engine's tests never loads the others' clients. */
export async function launchEngine(name: EngineName): Promise<BrowserEngine> {
  if (name === 'chromium') return (await import('./engine-chromium.js')).launchChromiumEngine();
  if (name === 'firefox') return (await import('./engine-firefox.js')).launchFirefoxEngine();
  return (await import('./engine-webkit.js')).launchWebKitEngine();
}

/**
 * Polls `fn` in the page until it returns true. A poll that lands mid-navigation fails (the
 * old document is gone); that counts as "not yet", and the last such error is in the timeout.
 */
export async function waitInPage<A>(page: PageDriver, what: string, fn: (arg: A) => boolean, arg?: A, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      if (await page.evaluate(fn, arg)) return;
    } catch (err) {
      lastError = ` (last poll: ${err instanceof Error ? err.message : String(err)})`;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${lastError}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

declare const document: { querySelector(s: string): { textContent: string | null; getAttribute(n: string): string | null } | null };

export const textOf = (page: PageDriver, selector: string) => page.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector);

export const attributeOf = (page: PageDriver, selector: string, name: string) =>
  page.evaluate(([s, n]) => document.querySelector(s)?.getAttribute(n) ?? null, [selector, name] as const);

/** The error every engine gives when its binary is missing: what to install, and the override. */
export function missingBinary(engine: string, path: string, pkg: string, envVar: string): Error {
  return new Error(`no ${engine} at ${path}: apt-get install --no-install-recommends ${pkg} (what .ci/run does) or set ${envVar}`);
}
