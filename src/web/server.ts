import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { CalltrackConfig } from '../config/schema.js';
import { installErrorHandler } from './http-errors.js';

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
    // Logged once, when the response is sent (below), instead of fastify's two lines a request.
    disableRequestLogging: true,
  });
  installErrorHandler(app);
  app.addHook('onResponse', async (req, reply) => {
    // The snippet's endpoints answer every page view of the tracked sites (thousands a second on a
    // busy one): an info line each would be most of the log and real CPU. Server errors are
    // logged by the error handler whatever the route.
    const level = isPageViewRoute(req.routeOptions.url) ? 'debug' : 'info';
    if (!(req.log as Logger).isLevelEnabled(level)) return;
    req.log[level]({ method: req.method, url: req.url, statusCode: reply.statusCode, responseTime: Math.round(reply.elapsedTime * 10) / 10 }, 'request completed');
  });
  for (const plugin of opts.plugins) await app.register(plugin);
  return app;
}

/** Routes the website snippet calls on page views (visits, pings, releases, reveals, AMP, the script itself). */
function isPageViewRoute(route: string | undefined): boolean {
  return route !== undefined && (route.startsWith('/v1/visits') || route.startsWith('/v1/amp/') || route === '/snippet.js');
}
