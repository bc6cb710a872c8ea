import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';

/**
 * `GET /metrics`: Prometheus text format. Counters only (no call details), so it is open like
 * /healthz; put it behind the reverse proxy's access rules if call volumes are confidential.
 */
export function metricsRoutes(registry: Registry): FastifyPluginAsync {
  return async (app) => {
    app.get('/metrics', { logLevel: 'warn' }, async (_req, reply) => {
      const body = await registry.metrics();
      return reply.header('Content-Type', registry.contentType).send(body);
    });
  };
}
