import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after } from 'node:test';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** What the receiver answered. */
  status: number;
  /** When it arrived, by the receiver's `now` (the test's clock). */
  receivedAt: number;
}

/**
 * A real HTTP server on loopback standing in for a CRM or GA4. `respond` decides each answer
 * (default 200); the requests are kept in arrival order.
 */
export class TestReceiver {
  readonly requests: ReceivedRequest[] = [];
  respond: (req: Omit<ReceivedRequest, 'status' | 'receivedAt'>) => number = () => 200;
  /** The body sent with an answer, as JSON (a receiver that documents its replies, like Metrica); plain text when unset. */
  replyJson: ((status: number) => unknown) | undefined;
  now: () => number = Date.now;
  private server: Server | undefined;
  url = '';

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        const status = this.respond(seen);
        this.requests.push({ ...seen, status, receivedAt: this.now() });
        if (this.replyJson) res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(this.replyJson(status)));
        else res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'receiver says no');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    after(() => this.stop());
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
