import type { FastifyPluginAsync } from 'fastify';
import type { HealthRegistry } from '../health.js';

/**
 * `GET /healthz`: 200 while calltrack can do its job (database up), even if drachtio or
 * FreeSWITCH is reconnecting ("degraded"); 503 when a critical component is down, so a load
 * balancer stops sending visits to a node that cannot store them.
 */
export function healthRoutes(health: HealthRegistry, version: string): FastifyPluginAsync {
  return async (app) => {
    app.get('/healthz', { logLevel: 'warn' }, async (_req, reply) => {
      const report = await health.report();
      return reply.status(report.status === 'down' ? 503 : 200).send({ ...report, version });
    });
  };
}
