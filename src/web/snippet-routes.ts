import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import type { LiveConfig } from '../config/live-config.js';
import { AppError } from '../errors.js';
import type { SnippetBuilder } from '../snippet/snippet-builder.js';
import type { SnippetVisitService } from '../snippet/snippet-visits.js';
import type { FixedWindowRateLimiter } from './rate-limiter.js';
import { newVisitBodySchema, newVisitInput, shownNumberJson, unlistedOrigin, type NewVisitBody } from './visit-http.js';

const text = (maxLength: number) => ({ type: 'string', maxLength });

const previewSchema = {
  querystring: {
    type: 'object',
    required: ['url'],
    properties: {
      url: { type: 'string', minLength: 1, maxLength: 4096 },
      referrer: text(4096),
      region: text(100),
      visitorId: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:-]+$' },
    },
  },
} as const;

const revealSchema = { body: newVisitBodySchema } as const;

/** A year: the versioned URL names one exact content. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** The plain URL is what sites paste: short enough that a config change reaches them soon. */
const REVALIDATE = 'public, max-age=300';

/**
 * `GET /snippet.js` and the two endpoints only the snippet needs: the pool preview (no number
 * taken) and the reveal click. Site origins are checked as for the visit API: a browser on any
 * other origin gets 403, and CORS headers go to listed origins only.
 */
export function snippetRoutes(deps: { config: LiveConfig; clock: Clock; builder: SnippetBuilder; service: SnippetVisitService; limiter: FixedWindowRateLimiter }): FastifyPluginAsync {
  return async (app) => {
    // Simple requests (text/plain) need no CORS preflight: one round trip less before a number shows.
    app.removeContentTypeParser('text/plain');
    app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, JSON.parse(body as string) as unknown);
      } catch {
        done(new AppError('invalid-input', 'body: expected JSON', { details: { field: 'body' } }), undefined);
      }
    });
    const allowSite = async (req: FastifyRequest, reply: FastifyReply) => {
      const origin = req.headers.origin;
      void reply.header('Vary', 'Origin');
      if (origin === undefined) return;
      const refusal = unlistedOrigin(deps.config.current, origin);
      if (refusal) throw refusal;
      void reply.header('Access-Control-Allow-Origin', origin);
    };

    app.get<{ Querystring: { v?: string } }>('/snippet.js', async (req, reply) => {
      const cfg = deps.config.current;
      const api = cfg.http.publicUrl ?? `${req.protocol}://${req.host}`;
      const built = deps.builder.build(cfg, api);
      const etag = `"${built.version}"`;
      void reply
        .header('Content-Type', 'application/javascript; charset=utf-8')
        .header('Cache-Control', req.query.v === built.version ? IMMUTABLE : REVALIDATE)
        .header('ETag', etag)
        .header('Vary', 'Accept-Encoding')
        .header('X-Content-Type-Options', 'nosniff');
      if (req.headers['if-none-match'] === etag) return reply.status(304).send();
      if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
        return reply.header('Content-Encoding', 'gzip').send(built.gzip);
      }
      return reply.send(built.body);
    });

    app.get<{ Querystring: { url: string; referrer?: string; region?: string; visitorId?: string } }>(
      '/v1/visits/preview',
      { schema: previewSchema, preHandler: allowSite },
      async (req, reply) => {
        void reply.header('Cache-Control', 'no-store');
        return deps.service.preview({ ...req.query, userAgent: req.headers['user-agent'] });
      },
    );

    app.post<{ Body: NewVisitBody }>('/v1/visits/reveal', { schema: revealSchema, preHandler: allowSite }, async (req, reply) => {
      const shown = await deps.service.reveal(newVisitInput(req, req.body, deps.limiter));
      return reply.status(201).send(shownNumberJson(shown));
    });
  };
}
