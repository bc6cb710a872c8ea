import type { FastifyPluginAsync } from 'fastify';
import { Counter, type Registry } from 'prom-client';

/**
 * `GET /metrics`: Prometheus text format. Counters only (no call details), so it is open like
 * /healthz; put it behind the reverse proxy's access rules if call volumes are confidential.
 *
 * Also counts every HTTP response by route and status (`calltrack_http_responses_total`): the
 * visit API's 503s (database unable to write) and 400s (a snippet sending bad bodies) are what a
 * site owner notices as numbers not swapped, and nothing else counts them. The route label is
 * the route's pattern (`/v1/visits/:visitId/ping`), never the URL, and `unmatched` for paths no
 * route has, so scanners probing random paths add one series, not one per path.
 */
export function metricsRoutes(registry: Registry): FastifyPluginAsync {
  const plugin: FastifyPluginAsync = async (app) => {
    const responses = new Counter({
      name: 'calltrack_http_responses_total',
      help: 'HTTP responses by route pattern and status code',
      labelNames: ['route', 'code'],
      registers: [registry],
    });
    app.addHook('onResponse', (req, reply, done) => {
      responses.inc({ route: req.routeOptions.url ?? 'unmatched', code: String(reply.statusCode) });
      done();
    });
    app.get('/metrics', { logLevel: 'warn' }, async (_req, reply) => {
      const body = await registry.metrics();
      return reply.header('Content-Type', registry.contentType).send(body);
    });
  };
  // Not encapsulated (what fastify-plugin does): the hook must see the responses of every route.
  Object.assign(plugin, { [Symbol.for('skip-override')]: true });
  return plugin;
}
