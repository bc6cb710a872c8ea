import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { UnauthorizedError, UnavailableError } from '../errors.js';

/**
 * The admin API's gate, an `onRequest` hook for a route scope (the admin routes, and later the
 * dashboard's API). The token is read on every request, so a SIGHUP reload that changes it takes
 * effect at once. Without a configured token nothing is served: a 503 says how to set one.
 */
export function requireAdminToken(currentToken: () => string | undefined): onRequestAsyncHookHandler {
  return async (req: FastifyRequest) => {
    const expected = currentToken();
    if (!expected) {
      throw new UnavailableError(
        'the admin API is closed: set http.adminToken in the configuration (e.g. adminToken: ${CALLTRACK_ADMIN_TOKEN}) and reload',
      );
    }
    const given = bearerToken(req.headers.authorization);
    if (given === undefined || !sameToken(given, expected)) throw new UnauthorizedError();
  };
}

function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/**
 * Constant time whatever the inputs: both sides are hashed to 32 bytes first, so neither the
 * content nor the length of the real token leaks through how long a wrong guess takes.
 */
function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
