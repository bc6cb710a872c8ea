import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { NotFoundError } from '../errors.js';

/** Where the dashboard's plain ES modules, CSS and page live (served as they are: no build step). */
export const DASHBOARD_DIR = fileURLToPath(new URL('./dashboard/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * The page only ever loads its own files and talks to its own origin; data is rendered as text
 * (never as HTML), and the CSP makes an injected script inert if that ever slips. No referrer
 * leaves the page, so a signed recording link in the address of a request is never passed on.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

/**
 * `GET /` (the dashboard page) and `GET /ui/<file>` (its modules and CSS). These hold no data,
 * so they need no token: everything the page shows comes from the admin API with the token
 * the user typed. Files are read once, when the server starts; only names that exist in the
 * directory are served, so a request can never reach another path.
 */
export function dashboardStatic(dir = DASHBOARD_DIR): FastifyPluginAsync {
  return async (app) => {
    const files = new Map<string, StaticFile>();
    for (const name of await readdir(dir)) {
      const type = TYPES[path.extname(name)];
      if (!type) continue;
      const body = await readFile(path.join(dir, name));
      files.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
    }

    const send = (reply: FastifyReply, ifNoneMatch: string | undefined, file: StaticFile) => {
      // Revalidated on every load (cheap 304s), so an upgraded calltrack never runs stale modules.
      void reply.headers(SECURITY_HEADERS).header('cache-control', 'no-cache').header('etag', file.etag);
      if (ifNoneMatch === file.etag) return reply.status(304).send();
      return reply.type(file.type).send(file.body);
    };

    app.get('/', { logLevel: 'warn' }, async (req, reply) => {
      const page = files.get('index.html');
      if (!page) throw new NotFoundError(`the dashboard is not installed: ${dir}index.html is missing`);
      return send(reply, req.headers['if-none-match'], page);
    });

    app.get<{ Params: { file: string } }>('/ui/:file', { logLevel: 'warn' }, async (req, reply) => {
      const file = req.params.file === 'index.html' ? undefined : files.get(req.params.file);
      if (!file) throw new NotFoundError(`no dashboard file ${req.params.file}`);
      return send(reply, req.headers['if-none-match'], file);
    });
  };
}
