import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { LiveConfig } from '../config/live-config.js';
import { AppError, NotFoundError } from '../errors.js';
import { formatNational } from '../phone/e164.js';
import type { VisitService } from '../tracking/visit-service.js';
import type { FixedWindowRateLimiter } from './rate-limiter.js';

const ampSchema = {
  querystring: {
    type: 'object',
    properties: {
      url: { type: 'string', maxLength: 4096 },
      referrer: { type: 'string', maxLength: 4096 },
      // CLIENT_ID(...) may expand to an empty string or something odd: checked below, never a 400.
      visitorId: { type: 'string', maxLength: 200 },
      __amp_source_origin: { type: 'string', maxLength: 300 },
    },
  },
} as const;

interface AmpQuery {
  url?: string;
  referrer?: string;
  visitorId?: string;
  __amp_source_origin?: string;
}

const AMP_CACHES = ['.cdn.ampproject.org', '.amp.cloudflare.com', '.bing-amp.com'];

/** The subdomain an AMP cache serves a publisher host under: `shop-example.com` → `shop--example-com`. */
export function ampCacheSubdomain(host: string): string {
  return host.replace(/-/g, '--').replace(/\./g, '-');
}

/**
 * An AMP page fetches from its own origin (the site) or from an AMP cache origin made from the
 * site's host. Either way the site must be on http.corsOrigins.
 */
export function isAllowedAmpOrigin(origin: string, siteOrigins: readonly string[]): boolean {
  if (siteOrigins.includes(origin)) return true;
  let host: string;
  try {
    const u = new URL(origin);
    if (u.protocol !== 'https:') return false;
    host = u.host;
  } catch {
    return false;
  }
  const suffix = AMP_CACHES.find((s) => host.endsWith(s));
  if (!suffix) return false;
  const sub = host.slice(0, -suffix.length);
  return siteOrigins.some((o) => ampCacheSubdomain(new URL(o).hostname) === sub);
}

/**
 * `GET /v1/amp/number` for `<amp-call-tracking config=...>`: `{phoneNumber, formattedPhoneNumber}`
 * under AMP's CORS rules (the page may be served from an AMP cache; credentials are sent; the
 * older protocol adds `__amp_source_origin` and wants it echoed in
 * AMP-Access-Control-Allow-Source-Origin). A page with no number to show gets 404, and AMP
 * keeps the number written in the page.
 */
export function ampRoutes(deps: { visits: VisitService; config: LiveConfig; limiter: FixedWindowRateLimiter }): FastifyPluginAsync {
  return async (app) => {
    const ampCors = async (req: FastifyRequest<{ Querystring: AmpQuery }>, reply: FastifyReply) => {
      const sites = deps.config.current.http.corsOrigins;
      const origin = req.headers.origin;
      const sourceOrigin = req.query.__amp_source_origin;
      void reply.header('Vary', 'Origin').header('Cache-Control', 'private, no-store');
      if (sourceOrigin !== undefined && !sites.includes(sourceOrigin)) {
        throw new AppError('forbidden', `AMP source origin ${sourceOrigin} is not on http.corsOrigins`);
      }
      if (origin !== undefined) {
        if (!isAllowedAmpOrigin(origin, sites)) {
          throw new AppError('forbidden', `origin ${origin} is neither a site on http.corsOrigins nor its AMP cache`);
        }
        void reply.header('Access-Control-Allow-Origin', origin).header('Access-Control-Allow-Credentials', 'true');
      } else if (req.headers['amp-same-origin'] !== 'true') {
        throw new AppError('forbidden', 'AMP requests carry an Origin header (or AMP-Same-Origin: true)');
      }
      if (sourceOrigin !== undefined) {
        void reply
          .header('AMP-Access-Control-Allow-Source-Origin', sourceOrigin)
          .header('Access-Control-Expose-Headers', 'AMP-Access-Control-Allow-Source-Origin');
      }
    };

    app.get<{ Querystring: AmpQuery }>('/v1/amp/number', { schema: ampSchema, preHandler: ampCors }, async (req) => {
      const q = req.query;
      const page = q.url || req.headers.referer || (q.__amp_source_origin ? `${q.__amp_source_origin}/` : undefined);
      if (!page) throw new AppError('invalid-input', 'query.url: pass the page, e.g. config=".../v1/amp/number?url=SOURCE_URL"', { details: { field: 'query.url' } });
      const visitorId = q.visitorId && /^[A-Za-z0-9._:-]{1,64}$/.test(q.visitorId) ? q.visitorId : undefined;
      const shown = await deps.visits.startVisit({
        visitorId,
        url: page,
        referrer: q.referrer || undefined,
        userAgent: req.headers['user-agent'],
        ip: req.ip,
        rateLimited: !deps.limiter.hit(req.ip),
      });
      if (!shown.number) throw new NotFoundError('no tracking number for this page: the page keeps its own number');
      return { phoneNumber: shown.number, formattedPhoneNumber: formatNational(shown.number) };
    });
  };
}
