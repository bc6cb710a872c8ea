import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

/**
 * One log line per request, when it completes (fastify's default is two: "incoming request" and
 * "request completed"): method, url, status and response time in ms. The snippet's page-view
 * endpoints log at debug: they answer every page view of the tracked sites (thousands a second
 * on a busy one), and an info line each would be most of the log and real CPU. Failures keep
 * fastify's own lines, and server errors are logged by the error handler.
 */
export class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (error) return super.requestCompleted(error, request, reply, metadata);
    const level = isPageViewRoute(request.routeOptions.url) ? 'debug' : 'info';
    const log = request.log as Logger;
    if (!log.isLevelEnabled(level)) return;
    log[level]({ method: request.method, url: request.url, statusCode: reply.statusCode, responseTime: Math.round(reply.elapsedTime * 10) / 10 }, 'request completed');
  }
}

/** Routes the website snippet calls on page views (visits, pings, releases, reveals, AMP, the script itself). */
function isPageViewRoute(route: string | undefined): boolean {
  return route !== undefined && (route.startsWith('/v1/visits') || route.startsWith('/v1/amp/') || route === '/snippet.js');
}
