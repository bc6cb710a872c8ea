import type { FastifyPluginAsync } from 'fastify';
import type { CallAdminService } from '../calls/call-admin-service.js';
import type { CallExportService } from '../exports/call-export-service.js';
import type { SourceReportService } from '../exports/source-report.js';
import { requireAdminToken } from './admin-auth.js';
import { adminCallRoutes } from './admin-call-routes.js';
import { adminExportRoutes } from './admin-export-routes.js';

export interface AdminApiDeps {
  /** The current http.adminToken (read per request: reloads apply at once). */
  adminToken: () => string | undefined;
  calls: CallAdminService;
  exports: CallExportService;
  reports: SourceReportService;
}

/**
 * Every admin route lives in this one encapsulated scope behind the token hook, so a route added
 * here cannot forget authentication. Repeated query parameters (`status=busy&status=no-answer`)
 * are joined with commas, the form the filters take.
 */
export function adminApi(deps: AdminApiDeps): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', requireAdminToken(deps.adminToken));
    app.addHook('preValidation', async (req) => {
      const query = req.query as Record<string, unknown>;
      for (const [key, value] of Object.entries(query)) {
        if (Array.isArray(value)) query[key] = value.map(String).join(',');
      }
    });
    await app.register(adminCallRoutes(deps.calls));
    await app.register(adminExportRoutes(deps.exports, deps.reports));
  };
}
