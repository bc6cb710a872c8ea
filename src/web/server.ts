import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { CalltrackConfig } from '../config/schema.js';
import { installErrorHandler } from './http-errors.js';
import { OneLinePerRequest } from './request-log.js';

export interface HttpServerOptions {
  http: CalltrackConfig['http'];
  logger: Logger;
  /** Feature route plugins (tracking, admin, snippet...), registered in order. */
  plugins: FastifyPluginAsync[];
}

/** Builds the fastify app; it listens only when `listen()` is called by the composition root. */
export async function buildHttpServer(opts: HttpServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: opts.logger.child({ component: 'http' }) as FastifyBaseLogger,
    bodyLimit: opts.http.bodyLimitBytes,
    trustProxy: opts.http.trustProxy,
    // Visit ids and call ids are UUIDs; nothing here needs longer paths.
    routerOptions: { maxParamLength: 200 },
    logController: new OneLinePerRequest(),
  });
  installErrorHandler(app);
  for (const plugin of opts.plugins) await app.register(plugin);
  return app;
}

