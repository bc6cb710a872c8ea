/** Waits until `check` holds, polling; fails with `what` after `ms` (generous: the machine is loaded). */
export async function waitFor(check: () => boolean, what: string | (() => string), ms = 10000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${typeof what === "function" ? what() : what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
