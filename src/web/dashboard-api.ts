import type { FastifyPluginAsync } from 'fastify';
import type { CallAdminService } from '../calls/call-admin-service.js';
import type { LiveCallsService } from '../calls/live-calls.js';
import type { CalltrackConfig } from '../config/schema.js';
import type { SourceReportInput } from '../exports/source-report.js';
import type { SourceDailyService } from '../exports/source-daily.js';
import type { PoolHealthService, VisitDetailsService } from '../tracking/tracking-views.js';
import { requireAdminToken } from './admin-auth.js';
import { sendRecording, type LinkSigner } from './recording-links.js';

export interface DashboardApiDeps {
  adminToken: () => string | undefined;
  config: { readonly current: CalltrackConfig };
  version: string;
  calls: CallAdminService;
  live: LiveCallsService;
  daily: SourceDailyService;
  pools: PoolHealthService;
  visits: VisitDetailsService;
  links: LinkSigner;
}

/**
 * The admin endpoints the dashboard needs beyond the analyst API, behind the same token hook
 * (own scope, so nothing here can skip it), plus the one route that is not: signed recording
 * links, which carry their own proof because `<audio>` cannot send an Authorization header.
 */
export function dashboardApi(deps: DashboardApiDeps): FastifyPluginAsync {
  return async (app) => {
    await app.register(async (admin) => {
      admin.addHook('onRequest', requireAdminToken(deps.adminToken));

      // The login form checks the token here; the answer tells the UI how to show times.
      admin.get('/v1/dashboard/settings', async () => {
        const cfg = deps.config.current;
        return {
          version: deps.version,
          timeZone: cfg.exports.timeZone,
          targetCallSeconds: cfg.tracking.targetCallSeconds,
          pools: cfg.pools.map((p) => p.name),
        };
      });

      admin.get('/v1/calls/live', async () => deps.live.list());

      admin.post<{ Params: { id: string } }>('/v1/calls/:id/recording-link', async (req) => {
        // Only a call whose file is really there gets a link: the player then never shows a
        // dead control, and the 404 explains why.
        const file = await deps.calls.recording(req.params.id);
        const link = deps.links.recordingLink(file.callId);
        return { url: link.url, expiresAt: new Date(link.expiresAt).toISOString() };
      });

      admin.get<{ Params: { id: string } }>('/v1/visits/:id', async (req) => deps.visits.get(req.params.id));

      admin.get('/v1/reports/sources/daily', async (req) => deps.daily.run(req.query as SourceReportInput));

      admin.get('/v1/pools', async () => deps.pools.list());
    });

    app.get<{ Params: { id: string }; Querystring: { expires?: string; signature?: string } }>(
      '/v1/recordings/:id',
      async (req, reply) => {
        deps.links.verifyRecording(req.params.id, req.query.expires, req.query.signature);
        return sendRecording(reply, req.headers.range, await deps.calls.recording(req.params.id));
      },
    );
  };
}
