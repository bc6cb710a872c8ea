import { isDeepStrictEqual } from 'node:util';
import type { CalltrackConfig } from './schema.js';

/**
 * Where a SIGHUP reload takes effect. A path covers everything under it. Every setting of the
 * schema falls under exactly one entry of RESTART_ONLY or LIVE_ON_RELOAD (a test walks the schema),
 * so a new setting cannot be added without saying which it is.
 */

/** Settings that components capture once, in createApp or start(): a reload leaves them as they were. */
export const RESTART_ONLY = [
  // createApp builds the knex instance (its pool, SQLite's busy_timeout pragma) once, and the
  // client picks SQLite group commit or PostgreSQL row locking in buildTrackingFeature.
  'database',
  // start() calls http.listen() once with these.
  'http.host',
  'http.port',
  // Passed to the Fastify constructor in buildHttpServer (src/web/server.ts).
  'http.bodyLimitBytes',
  'http.trustProxy',
  // DrachtioConnection takes host, port and secret at createApp and connects with them at start().
  'sip.drachtio',
  // createApp opens the CallJournal on this file.
  'sip.journalFile',
  // MediaService's constructor builds the FreeSWITCH connection (or none) from it, once.
  'media.freeswitch',
  // MediaService's constructor bakes them into the bounded media port (and the connect timeout).
  'media.timeoutMs',
  'media.promptTimeoutSeconds',
  // FreeSwitchConnection's backoff cap, fixed when MediaService builds it.
  'media.reconnectMaxDelaySeconds',
] as const;

/** Settings read from LiveConfig `current` per request, visit or call (or applied by reload itself). */
export const LIVE_ON_RELOAD = [
  // Read per request: routes, admin auth, recording links, the visit rate limiter's getter.
  'http.publicUrl',
  'http.corsOrigins',
  'http.adminToken',
  'http.rateLimit',
  // SipApp and CallSession read config() per INVITE; drain() and serve's SIGTERM read the grace at stop.
  // The Registrar follows config changes: added, changed and removed `register` blocks (registrar.ts).
  'sip.trunks',
  'sip.ringTimeoutSeconds',
  'sip.unknownNumber',
  'sip.headers',
  'sip.displayNameTag',
  'sip.assertIdentity',
  'sip.shutdownGraceSeconds',
  // resolveMediaPolicy and MediaService.dirs read them per call.
  'media.ringback',
  'media.recording',
  'tracking',
  // reload() synchronises numbers before replacing the config; visits and calls read pools per unit of work.
  'numbers',
  'pools',
  // Call routing reads the schedule named by a number or pool per INVITE (and attribute per run).
  'schedules',
  // The outbox sink and dispatcher read them per event and per delivery: a new GA4 secret or
  // Metrica token (or counter) applies to the next attempt, retries of queued entries included.
  'webhooks',
  'analytics',
  // The snippet is rebuilt for each new config object.
  'snippet',
  'exports',
  // reload() sets the logger's level (LOG_LEVEL in the environment still wins); callerNumbers is read per call.
  'log',
] as const;

export type RestartOnlyPath = (typeof RESTART_ONLY)[number];
export type LivePath = (typeof LIVE_ON_RELOAD)[number];

export interface ReloadChanges {
  /** Changed settings the running server now uses. */
  applied: LivePath[];
  /** Changed settings the running server ignores until it restarts. */
  needsRestart: RestartOnlyPath[];
}

/** Which classified settings differ between two configs (compared deeply, by value). */
export function reloadChanges(previous: CalltrackConfig, next: CalltrackConfig): ReloadChanges {
  const differs = (p: string) => !isDeepStrictEqual(valueAt(previous, p), valueAt(next, p));
  return { applied: LIVE_ON_RELOAD.filter(differs), needsRestart: RESTART_ONLY.filter(differs) };
}

export function restartWarning(path: RestartOnlyPath): string {
  return `${path} changed: takes effect at the next restart (the running server keeps the old value)`;
}

function valueAt(cfg: CalltrackConfig, dotted: string): unknown {
  let node: unknown = cfg;
  for (const key of dotted.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}
