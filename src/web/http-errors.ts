import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError, type ErrorKind } from '../errors.js';

const STATUS: Record<ErrorKind, number> = {
  'invalid-input': 400,
  'not-found': 404,
  conflict: 409,
  unauthorized: 401,
  forbidden: 403,
  unavailable: 503,
  config: 500,
  internal: 500,
};

/**
 * The one place errors become HTTP responses: `{error: {code, message, ...details}}`.
 * Schema failures from fastify name the bad field; unknown errors are logged and hidden.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError | Error, req, reply) => {
    if (err instanceof AppError) {
      const status = STATUS[err.kind];
      if (status >= 500) req.log.error({ err }, err.message);
      if (err.kind === 'unauthorized') void reply.header('WWW-Authenticate', 'Bearer');
      return reply.status(status).send({ error: { code: err.kind, message: err.message, ...err.details } });
    }
    const fe = err as FastifyError;
    if (fe.validation) {
      const first = fe.validation[0];
      const where = first ? `${fe.validationContext ?? 'body'}${first.instancePath.replace(/\//g, '.')}` : fe.validationContext;
      const field = first?.params && 'missingProperty' in first.params ? `${where}.${String(first.params.missingProperty)}` : where;
      return reply.status(400).send({ error: { code: 'invalid-input', message: `${field}: ${first?.message ?? fe.message}`, field } });
    }
    if (fe.statusCode === 400 && fe.code?.startsWith('FST_ERR_CTP_')) {
      // An empty or malformed JSON body: the same answer as a text/plain one, so a client reads one error shape.
      return reply.status(400).send({ error: { code: 'invalid-input', message: `body: ${fe.message}`, field: 'body' } });
    }
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply.status(fe.statusCode).send({ error: { code: fe.code ?? 'bad-request', message: fe.message } });
    }
    req.log.error({ err }, 'unhandled error in HTTP handler');
    return reply.status(500).send({ error: { code: 'internal', message: 'internal error; see the server log' } });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send({ error: { code: 'not-found', message: `no route for ${req.method} ${req.url.split('?')[0]}` } }),
  );
}
