import type { FastifyPluginAsync } from 'fastify';
import type { CallAdminService, ListInput } from '../calls/call-admin-service.js';
import { sendRecording } from './recording-links.js';

/** `/v1/calls...`: thin over CallAdminService; the admin token hook is installed by the admin plugin. */
export function adminCallRoutes(calls: CallAdminService): FastifyPluginAsync {
  return async (app) => {
    app.get('/v1/calls', async (req) => calls.list(req.query as ListInput));

    app.get<{ Params: { id: string } }>('/v1/calls/:id', async (req) => calls.get(req.params.id));

    app.patch<{ Params: { id: string } }>('/v1/calls/:id', async (req) => calls.patch(req.params.id, req.body));

    app.get<{ Params: { id: string } }>('/v1/calls/:id/recording', async (req, reply) =>
      sendRecording(reply, req.headers.range, await calls.recording(req.params.id)),
    );
  };
}
