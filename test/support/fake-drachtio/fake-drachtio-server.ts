import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { encodeFrame, FrameReader, FramingError } from './framing.js';
import { FakeSipNetwork } from './sip-network.js';

export interface FakeDrachtioOptions {
  secret?: string;
  /** The SIP address the fake claims to listen on (appears in Via, Contact, hostports). */
  sipAddress?: string;
  sipPort?: number;
  version?: string;
}

/** One frame as it crossed the admin connection, for assertions and transcript comparison. */
export interface FrameRecord {
  dir: 'app->server' | 'server->app';
  payload: string;
  /** performance.now() when the frame was written (server->app) or read (app->server). */
  at: number;
}

interface AppConnection {
  socket: net.Socket;
  authenticated: boolean;
  routes: Set<string>;
}

/**
 * A drachtio-server stand-in for tests: listens on loopback for drachtio-srf's inbound
 * connection and speaks the admin protocol as captured from drachtio-server v0.9.10
 * (/work/shared/wire/drachtio). The SIP network behind it is simulated in-process by
 * `FakeSipNetwork`: tests place calls as a trunk would (`placeCall`) and play the forwarding target
 * (`nextInvite`).
 */
export class FakeDrachtioServer {
  readonly frames: FrameRecord[] = [];
  readonly sip: FakeSipNetwork;
  private readonly server = net.createServer((s) => this.accept(s));
  private readonly apps: AppConnection[] = [];
  private readonly secret: string;
  private readonly version: string;
  private appWaiters: Array<() => void> = [];

  private constructor(opts: FakeDrachtioOptions) {
    this.secret = opts.secret ?? 'cymru';
    this.version = opts.version ?? 'v0.9.10';
    this.sip = new FakeSipNetwork(opts.sipAddress ?? '127.0.0.1', opts.sipPort ?? 5060, {
      send: (payload) => this.toApp(payload),
      routed: (verb) => this.routed(verb),
    });
  }

  static async start(opts: FakeDrachtioOptions = {}): Promise<FakeDrachtioServer> {
    const fake = new FakeDrachtioServer(opts);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  get hostports(): string {
    return `tcp/${this.sip.address}:${this.sip.port},udp/${this.sip.address}:${this.sip.port}`;
  }

  /** Resolves once an application has authenticated and routed `verb` (default invite). */
  async waitForApp(verb = 'invite'): Promise<void> {
    while (!this.routed(verb)) await new Promise<void>((resolve) => this.appWaiters.push(resolve));
  }

  /** Drops the application's connection, as a restarting drachtio-server would. */
  dropApps(): void {
    for (const app of this.apps.splice(0)) app.socket.destroy();
  }

  async stop(): Promise<void> {
    this.sip.close();
    for (const app of this.apps.splice(0)) app.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private routed(verb: string): boolean {
    return this.apps.some((a) => a.authenticated && a.routes.has(verb));
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    const app: AppConnection = { socket, authenticated: false, routes: new Set() };
    this.apps.push(app);
    const reader = new FrameReader();
    socket.on('data', (chunk) => {
      let payloads: string[];
      try {
        payloads = reader.push(chunk);
      } catch (err) {
        // The real server closes without a reply when the length prefix is not a number.
        if (err instanceof FramingError) return this.close(app);
        throw err;
      }
      for (const payload of payloads) this.onFrame(app, payload);
    });
    socket.on('close', () => {
      const at = this.apps.indexOf(app);
      if (at !== -1) this.apps.splice(at, 1);
    });
    socket.on('error', () => undefined);
  }

  private close(app: AppConnection): void {
    app.socket.end();
    const at = this.apps.indexOf(app);
    if (at !== -1) this.apps.splice(at, 1);
  }

  private onFrame(app: AppConnection, payload: string): void {
    this.frames.push({ dir: 'app->server', payload, at: performance.now() });
    const lineEnd = payload.indexOf('\r\n');
    const first = lineEnd === -1 ? payload : payload.slice(0, lineEnd);
    const message = lineEnd === -1 ? '' : payload.slice(lineEnd + 2);
    const tokens = first.split('|');
    const id = tokens[0] ?? '';
    const reply = (...rest: string[]) => this.toApp(`response|${id}|${rest.join('|')}`, app);
    if (tokens.length < 2) {
      reply('NO', 'Invalid message format');
      return this.close(app);
    }
    switch (tokens[1]) {
      case 'authenticate':
        if (tokens[2] !== this.secret) {
          reply('NO', 'incorrect secret');
          return this.close(app);
        }
        app.authenticated = true;
        reply('OK', this.hostports, this.version, this.hostports);
        return this.wakeAppWaiters();
      case 'route':
        app.routes.add(tokens[2] ?? '');
        reply('OK');
        return this.wakeAppWaiters();
      case 'remove_route':
        app.routes.delete(tokens[2] ?? '');
        return reply('OK');
      case 'ping':
        return reply('OK', 'pong');
      case 'sip': {
        const result = this.sip.fromApp(tokens[2] ?? '', tokens[3] ?? '', message, tokens[4] ?? '');
        return reply(...result);
      }
      default:
        reply('NO', 'Unknown message type');
        return this.close(app);
    }
  }

  private wakeAppWaiters(): void {
    const waiters = this.appWaiters.splice(0);
    for (const wake of waiters) wake();
  }

  /** Sends a server-originated frame to the application (the first one that is connected). */
  private toApp(rest: string, app = this.apps.find((a) => a.authenticated)): void {
    if (!app) return;
    const payload = `${randomUUID()}|${rest}`;
    this.frames.push({ dir: 'server->app', payload, at: performance.now() });
    app.socket.write(encodeFrame(payload));
  }
}
