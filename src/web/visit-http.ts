import type { FastifyRequest } from 'fastify';
import type { CalltrackConfig } from '../config/schema.js';
import { AppError } from '../errors.js';
import { formatNational } from '../phone/e164.js';
import type { NewVisitInput, ShownNumber } from '../tracking/visit-service.js';
import type { FixedWindowRateLimiter } from './rate-limiter.js';

/**
 * The visit API's refusal of a page from a site not in `http.corsOrigins`, or undefined when the
 * origin is listed: one rule and one text for the visit POSTs, their preflights, reveal and preview.
 */
export function unlistedOrigin(cfg: CalltrackConfig, origin: string): AppError | undefined {
  if (cfg.http.corsOrigins.includes(origin)) return undefined;
  return new AppError('forbidden', `origin ${origin} may not use the visit API: add it to http.corsOrigins`);
}

/** The body of every request that starts a visit (`/v1/visits`, `/v1/visits/reveal`). */
export interface NewVisitBody {
  visitorId?: string;
  url: string;
  referrer?: string | null;
  gaClientId?: string | null;
  gaSessionId?: string | null;
  ymClientId?: string | null;
  region?: string | null;
}

const optionalText = (maxLength: number) => ({ type: ['string', 'null'], maxLength });

/** A GA4 session id as gtag writes it (Unix seconds of the session's start): decimal digits, int64-sized at most. */
export const gaSessionIdSchema = { type: ['string', 'null'], pattern: '^[0-9]{1,20}$' } as const;

export const newVisitBodySchema = {
  type: 'object',
  required: ['url'],
  properties: {
    visitorId: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:-]+$' },
    url: { type: 'string', minLength: 1, maxLength: 4096 },
    referrer: optionalText(4096),
    gaClientId: optionalText(100),
    gaSessionId: gaSessionIdSchema,
    ymClientId: optionalText(100),
    region: optionalText(100),
  },
} as const;

/**
 * What the visit service needs from an HTTP request. One limiter is shared by every endpoint
 * that can take a number, so an address cannot multiply its allowance by mixing them.
 */
export function newVisitInput(req: FastifyRequest, body: NewVisitBody, limiter: FixedWindowRateLimiter): NewVisitInput {
  return {
    visitorId: body.visitorId,
    url: body.url,
    referrer: body.referrer ?? undefined,
    gaClientId: body.gaClientId ?? undefined,
    gaSessionId: body.gaSessionId ?? undefined,
    ymClientId: body.ymClientId ?? undefined,
    region: body.region ?? undefined,
    userAgent: req.headers['user-agent'],
    ip: req.ip,
    rateLimited: !limiter.hit(req.ip),
  };
}

export const isoTime = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The `201` answer to a new visit: the number in E.164 and formatted the national way. */
export function shownNumberJson(shown: ShownNumber) {
  return {
    visitId: shown.visitId,
    visitorId: shown.visitorId,
    number: shown.number,
    display: shown.number ? formatNational(shown.number) : null,
    pool: shown.pool,
    type: shown.type,
    holdUntil: isoTime(shown.holdUntil),
  };
}
