import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';

/**
 * `GET /metrics`: Prometheus text format. Counts and pool/webhook states only (no visitor ids,
 * numbers or URLs), so it is open like /healthz; put it behind the reverse proxy's access rules
 * if volumes are confidential. The database's series are read while this runs, within a time
 * limit (src/db/database-scrape.ts): a broken database never fails the answer.
 */
export function metricsRoutes(registry: Registry): FastifyPluginAsync {
  return async (app) => {
    app.get('/metrics', { logLevel: 'warn' }, async (_req, reply) => {
      const body = await registry.metrics();
      return reply.header('Content-Type', registry.contentType).send(body);
    });
  };
}
