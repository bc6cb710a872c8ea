import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { missingBinary, type BrowserEngine, type PageDriver } from './page-driver.js';
import { driverReady, WebDriverSession } from './webdriver-classic.js';

const MULTIARCH = process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';

/**
 * WebKit (Safari's engine) as WebKitGTK: Debian's WebKitWebDriver starts WebKitGTK's MiniBrowser
 * in automation mode. MiniBrowser needs an X display and WebKitGTK 2.50 has no headless mode
 * (that is WPE's), so the engine runs its own Xvfb. WebKitWebDriver holds one session at a time,
 * so each page gets its own driver and MiniBrowser; an automation session's profile is ephemeral,
 * which makes each page a separate visitor.
 */
export async function launchWebKitEngine(): Promise<BrowserEngine> {
  const driverPath = process.env.WEBKIT_WEBDRIVER_PATH ?? '/usr/bin/WebKitWebDriver';
  const browserPath = process.env.WEBKIT_BROWSER_PATH ?? `/usr/lib/${MULTIARCH}/webkit2gtk-4.1/MiniBrowser`;
  const xvfbPath = process.env.XVFB_PATH ?? '/usr/bin/Xvfb';
  if (!existsSync(driverPath)) throw missingBinary('WebKitWebDriver', driverPath, 'webkit2gtk-driver', 'WEBKIT_WEBDRIVER_PATH');
  if (!existsSync(browserPath)) throw missingBinary('MiniBrowser', browserPath, 'webkit2gtk-driver', 'WEBKIT_BROWSER_PATH');
  if (!existsSync(xvfbPath)) throw missingBinary('Xvfb', xvfbPath, 'xvfb', 'XVFB_PATH');

  const children = new Set<ChildProcess>();
  // If the test process dies without close(), no Xvfb or MiniBrowser may outlive it.
  const killAll = () => children.forEach((c) => c.kill('SIGKILL'));
  process.once('exit', killAll);
  const display = await startXvfb(xvfbPath, children);

  return {
    name: 'webkit',
    async newPage() {
      const port = await freePort();
      const driver = spawnTracked(driverPath, [`--port=${port}`], { ...process.env, DISPLAY: display }, children);
      const base = `http://127.0.0.1:${port}`;
      const end = Date.now() + 10_000;
      while (!(await driverReady(base))) {
        if (driver.exitCode !== null || Date.now() > end) {
          driver.kill();
          throw new Error(`WebKitWebDriver on port ${port} did not start: ${driver.stderrTail()}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      const session = await WebDriverSession.create(base, {
        'webkitgtk:browserOptions': { binary: browserPath, args: ['--automation'] },
        timeouts: { pageLoad: 30_000, script: 10_000 },
      }).catch((err: unknown) => {
        driver.kill();
        throw new Error(`WebKit session not created (${String(err)}); driver said: ${driver.stderrTail()}`);
      });
      return webkitPage(session, async () => {
        driver.kill();
        if (driver.exitCode === null) await new Promise((r) => driver.once('exit', r));
      });
    },
    async close() {
      killAll();
      process.off('exit', killAll);
    },
  };
}

function webkitPage(session: WebDriverSession, stopDriver: () => Promise<void>): PageDriver {
  return {
    goto: (url) => session.navigate(url),
    evaluate: async (fn, arg) => (await session.execute(`return (${fn.toString()}).apply(null, arguments);`, [arg ?? null])) as ReturnType<typeof fn>,
    click: (selector) => session.click(selector),
    async cookie(name) {
      const found = await session.cookie(name);
      return found && { value: found.value, expires: found.expiry ?? -1 };
    },
    screenshot: async (path) => writeFileSync(path, await session.screenshot()),
    errors: async () => ((await session.execute('return window.pageErrors || [];', [])) as string[]).slice(),
    async close() {
      // Deleting the session closes MiniBrowser's window: the page gets its pagehide.
      try {
        await session.delete();
      } finally {
        await stopDriver();
      }
    },
  };
}

type Tracked = ChildProcess & { stderrTail(): string };

function spawnTracked(cmd: string, args: string[], env: NodeJS.ProcessEnv, children: Set<ChildProcess>, extraFd = false): Tracked {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe', ...(extraFd ? (['pipe'] as const) : [])] }) as Tracked;
  let tail = '';
  child.stderr?.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-2000)));
  child.stderrTail = () => tail.trim() || '(nothing on stderr)';
  child.on('error', (err) => (tail += `\n${err.message}`));
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** An Xvfb on the first free display (`-displayfd`: it writes the number it took). */
async function startXvfb(xvfbPath: string, children: Set<ChildProcess>): Promise<string> {
  const xvfb = spawnTracked(xvfbPath, ['-displayfd', '3', '-screen', '0', '1280x900x24', '-nolisten', 'tcp'], process.env, children, true);
  const fd = xvfb.stdio[3] as NodeJS.ReadableStream;
  const number = await new Promise<string>((resolve, reject) => {
    fd.once('data', (d: Buffer) => resolve(d.toString().trim()));
    xvfb.once('exit', (code) => reject(new Error(`Xvfb exited (${code}) before it had a display: ${xvfb.stderrTail()}`)));
    xvfb.once('error', reject);
  });
  return `:${number}`;
}

/** A loopback port free right now (WebKitWebDriver takes a port number, not 0). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}
