import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackServer {
  origin: string;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}

/**
 * The customer's website: static HTML pages on their own loopback origin (another port than
 * calltrack, so every API call is a real cross-origin request under CORS).
 */
export async function startSiteServer(page: (path: string, origin: string) => string | undefined): Promise<LoopbackServer> {
  let origin = '';
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const html = page(path, origin);
    if (html === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
  });
  origin = await listen(server);
  return { origin, close: closer(server) };
}

export type ProxyMode = 'pass' | 'down' | 'hold';

/**
 * Stands between the page and calltrack to play a failing API. The snippet is fetched through
 * it (so the snippet's API base is the proxy); `/v1/` requests are passed on, answered 503
 * ("down"), or held unanswered until `releaseHeld()` ("hold": a slow server).
 */
export class ApiProxy {
  mode: ProxyMode = 'pass';
  /** Which API requests (`METHOD /path`) the mode applies to; the rest pass. */
  affects = /^/;
  readonly seen: string[] = [];
  private held: (() => void)[] = [];
  private server: Server | undefined;
  origin = '';

  constructor(private readonly target: string) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.origin = await listen(this.server);
    return this;
  }

  get heldCount(): number {
    return this.held.length;
  }

  releaseHeld(): void {
    const held = this.held;
    this.held = [];
    for (const go of held) go();
  }

  close(): Promise<void> {
    return this.server ? closer(this.server)() : Promise.resolve();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const call = `${req.method ?? ''} ${url.split('?')[0] ?? ''}`;
    const api = url.startsWith('/v1/') && this.affects.test(call);
    if (url.startsWith('/v1/')) this.seen.push(call);
    if (api && this.mode === 'down') {
      res.writeHead(503, { 'content-type': 'application/json', 'access-control-allow-origin': req.headers.origin ?? '*' });
      res.end('{"error":{"code":"unavailable","message":"database down"}}');
      return;
    }
    // The body is read at once, so a held request still reaches calltrack after the browser gave up.
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    const received = new Promise<void>((resolve) => req.on('end', resolve).on('error', () => resolve()));
    const forward = () =>
      void received.then(() => {
        const upstream = request(`${this.target}${url}`, { method: req.method, headers: req.headers }, (up) => {
          if (res.destroyed) {
            up.resume();
            return;
          }
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        });
        upstream.on('error', () => res.destroy());
        upstream.end(Buffer.concat(body));
      });
    if (api && this.mode === 'hold') this.held.push(forward);
    else forward();
  }
}
