/**
 * The page's globals, for the functions tests hand to `page.evaluate` / `waitForFunction`
 * (they run in the browser, not in Node; the project compiles without the DOM library).
 */
export interface PageDocument {
  getElementById(id: string): { textContent: string | null } | null;
  querySelectorAll(selector: string): { length: number };
  dispatchEvent(event: unknown): boolean;
  visibilityState: string;
}
