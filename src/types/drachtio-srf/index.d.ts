/**
 * Our declarations for drachtio-srf 5.0.29, written from its runtime code. The bundled
 * `lib/@types/index.d.ts` disagrees with the runtime (connect() is not a Promise; cbRequest
 * is (err, req); req.callId/from/to/sdp do not exist), so tsconfig `paths` points here instead.
 * Only what calltrack uses is declared; extend it from the library's source, not its d.ts.
 */
import { EventEmitter } from 'node:events';

declare namespace Srf {
  interface ConnectOptions {
    host: string;
    port: number;
    secret: string;
    tls?: object;
    enablePing?: boolean;
    /** 5000..300000 ms; only servers reporting v0.8.2 or later are pinged. */
    pingInterval?: number;
    reconnect?: { retryMaxDelay?: number; maxAttempts?: number; connectTimeout?: number };
  }
}

declare class Srf extends EventEmitter {
  constructor(tags?: string | string[]);
  /** Starts connecting; returns the inner app, NOT a promise. Progress arrives as events. */
  connect(opts: Srf.ConnectOptions): unknown;
  disconnect(): void;
  on(event: 'connect', listener: (err: Error | null, hostport: string, serverVersion?: string, localHostports?: string) => void): this;
  on(event: 'reconnecting', listener: (info: { delay: number; attempt: number }) => void): this;
  on(event: 'error' | 'close', listener: (err?: Error) => void): this;
  on(event: string, listener: (...args: any[]) => void): this;
}

export = Srf;
