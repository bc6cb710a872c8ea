import { createReadStream } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import type { CallAdminService, ListInput } from '../calls/call-admin-service.js';
import { parseRange } from './file-range.js';

/** `/v1/calls...`: thin over CallAdminService; the admin token hook is installed by the admin plugin. */
export function adminCallRoutes(calls: CallAdminService): FastifyPluginAsync {
  return async (app) => {
    app.get('/v1/calls', async (req) => calls.list(req.query as ListInput));

    app.get<{ Params: { id: string } }>('/v1/calls/:id', async (req) => calls.get(req.params.id));

    app.patch<{ Params: { id: string } }>('/v1/calls/:id', async (req) => calls.patch(req.params.id, req.body));

    app.get<{ Params: { id: string } }>('/v1/calls/:id/recording', async (req, reply) => {
      const file = await calls.recording(req.params.id);
      const range = parseRange(req.headers.range, file.size);
      void reply
        .header('accept-ranges', 'bytes')
        .header('content-type', 'audio/wav')
        .header('cache-control', 'private, max-age=3600')
        .header('content-disposition', `inline; filename="${file.callId.replace(/[^\w.-]/g, '_')}.wav"`);
      if (range.kind === 'unsatisfiable') {
        return reply.status(416).header('content-range', `bytes */${file.size}`).send();
      }
      if (range.kind === 'whole') {
        return reply.header('content-length', file.size).send(createReadStream(file.path));
      }
      const { start, end } = range.range;
      return reply
        .status(206)
        .header('content-range', `bytes ${start}-${end}/${file.size}`)
        .header('content-length', end - start + 1)
        .send(createReadStream(file.path, { start, end }));
    });
  };
}
