/**
 * The handful of W3C WebDriver (classic) commands the browser tests use, over fetch. WebKitGTK's
 * driver speaks only this protocol; the client libraries for it either need Node 22
 * (selenium-webdriver 4.x) or come with driver downloaders for other browsers (webdriverio),
 * and these eight endpoints are the whole of what a test needs.
 */
export class WebDriverError extends Error {
  constructor(
    readonly command: string,
    readonly error: string,
    message: string,
  ) {
    super(`WebDriver ${command}: ${error}: ${message}`);
  }
}

interface Reply {
  value: unknown;
}

async function call(base: string, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const reply = (await res.json()) as Reply;
  if (!res.ok) {
    const v = (reply.value ?? {}) as { error?: string; message?: string };
    throw new WebDriverError(`${method} ${path}`, v.error ?? String(res.status), v.message ?? '');
  }
  return reply.value;
}

/** Whether the driver at `base` answers and can start a session. */
export async function driverReady(base: string): Promise<boolean> {
  try {
    return ((await call(base, 'GET', '/status')) as { ready?: boolean }).ready === true;
  } catch {
    return false;
  }
}

// Element references come keyed by this constant (W3C WebDriver, "web element identifier").
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

export class WebDriverSession {
  private constructor(
    private readonly base: string,
    readonly id: string,
  ) {}

  static async create(base: string, capabilities: Record<string, unknown>): Promise<WebDriverSession> {
    const value = (await call(base, 'POST', '/session', { capabilities: { alwaysMatch: capabilities } })) as { sessionId: string };
    return new WebDriverSession(base, value.sessionId);
  }

  private cmd(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
    return call(this.base, method, `/session/${this.id}${path}`, body);
  }

  async navigate(url: string): Promise<void> {
    await this.cmd('POST', '/url', { url });
  }

  /** Runs `body` (a function body: `arguments` are `args`) in the page; returns its JSON result. */
  execute(body: string, args: unknown[]): Promise<unknown> {
    return this.cmd('POST', '/execute/sync', { script: body, args });
  }

  async click(selector: string): Promise<void> {
    const found = (await this.cmd('POST', '/element', { using: 'css selector', value: selector })) as Record<string, string>;
    await this.cmd('POST', `/element/${found[ELEMENT]}/click`, {});
  }

  async cookie(name: string): Promise<{ value: string; expiry?: number } | undefined> {
    try {
      return (await this.cmd('GET', `/cookie/${encodeURIComponent(name)}`)) as { value: string; expiry?: number };
    } catch (err) {
      if (err instanceof WebDriverError && err.error === 'no such cookie') return undefined;
      throw err;
    }
  }

  /** The viewport as PNG. */
  async screenshot(): Promise<Buffer> {
    return Buffer.from((await this.cmd('GET', '/screenshot')) as string, 'base64');
  }

  async delete(): Promise<void> {
    await this.cmd('DELETE', '');
  }
}
