import cors from '@fastify/cors';
import type { FastifyPluginAsync } from 'fastify';
import type { LiveConfig } from '../config/live-config.js';
import { AppError } from '../errors.js';
import { formatNational } from '../phone/e164.js';
import type { VisitService } from '../tracking/visit-service.js';
import type { FixedWindowRateLimiter } from './rate-limiter.js';
import { gaSessionIdSchema, isoTime, newVisitBodySchema, newVisitInput, shownNumberJson, unlistedOrigin, type NewVisitBody } from './visit-http.js';

const newVisitSchema = {
  body: newVisitBodySchema,
  response: {
    201: {
      type: 'object',
      properties: {
        visitId: { type: 'string' },
        visitorId: { type: 'string' },
        number: { type: ['string', 'null'] },
        display: { type: ['string', 'null'] },
        pool: { type: ['string', 'null'] },
        type: { type: 'string' },
        holdUntil: { type: ['string', 'null'] },
      },
    },
  },
} as const;

const visitParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;

const pingSchema = {
  params: visitParams,
  body: { type: ['object', 'null'], properties: { url: { type: 'string', minLength: 1, maxLength: 4096 }, gaSessionId: gaSessionIdSchema } },
} as const;


/**
 * The public visit API used by the website snippet. Only browsers on `http.corsOrigins` may
 * use it: CORS headers go to those origins only, and a request carrying any other Origin is
 * refused with 403 (a simple cross-site POST would otherwise still take a number).
 * A client past `http.rateLimit` is shown the fallback number rather than an error page,
 * so a real visitor behind a busy NAT still sees a working phone number.
 */
export function visitRoutes(deps: { visits: VisitService; config: LiveConfig; limiter: FixedWindowRateLimiter }): FastifyPluginAsync {
  return async (app) => {
    await app.register(cors, {
      // An unlisted origin is refused here, in the onRequest hook, so its CORS preflight gets the
      // same 403 as its POST (answering `false` would leave the OPTIONS to the 404 handler).
      origin: (origin, cb) => {
        if (origin === undefined) return cb(null, false);
        const refusal = unlistedOrigin(deps.config.current, origin);
        if (!refusal) return cb(null, true);
        cb(refusal, false);
      },
      methods: ['POST'],
      allowedHeaders: ['Content-Type'],
      maxAge: 86400,
    });
    // navigator.sendBeacon posts text/plain (no CORS preflight); its body is still JSON.
    app.removeContentTypeParser('text/plain');
    app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, body === '' ? undefined : (JSON.parse(body as string) as unknown));
      } catch {
        done(new AppError('invalid-input', 'body: expected JSON', { details: { field: 'body' } }), undefined);
      }
    });

    app.post<{ Body: NewVisitBody }>('/v1/visits', { schema: newVisitSchema }, async (req, reply) => {
      const shown = await deps.visits.startVisit(newVisitInput(req, req.body, deps.limiter));
      return reply.status(201).send(shownNumberJson(shown));
    });

    app.post<{ Params: { id: string }; Body: { url?: string; gaSessionId?: string | null } | null | undefined }>(
      '/v1/visits/:id/ping',
      { schema: pingSchema },
      async (req) => {
        const result = await deps.visits.ping(req.params.id, req.body?.url, req.body?.gaSessionId ?? undefined);
        return {
          number: result.number,
          display: result.number ? formatNational(result.number) : null,
          type: result.type,
          holdUntil: isoTime(result.holdUntil),
        };
      },
    );

    app.post<{ Params: { id: string } }>('/v1/visits/:id/release', { schema: { params: visitParams } }, async (req, reply) => {
      await deps.visits.release(req.params.id);
      return reply.status(204).send();
    });
  };
}
