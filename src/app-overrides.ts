import type { Logger } from 'pino';
import type { CallEventSink } from './calls/call-events.js';
import type { Clock } from './clock.js';
import type { Database } from './db/connect.js';
import type { DispatcherOptions } from './integrations/outbox-dispatcher.js';
import type { MediaPort, Timers } from './media/media-port.js';
import type { DrachtioConnection } from './sip/drachtio-connection.js';
import type { MediaPathFactory } from './sip/media-path.js';
import type { CallAttributor } from './tracking/attribution-types.js';
import type { TrackingStrategy } from './tracking/tracking-strategy.js';

/** What tests (and the CLI) may swap in; anything left out is built from the config. */
export interface AppOverrides {
  logger?: Logger;
  clock?: Clock;
  db?: Database;
  drachtio?: DrachtioConnection;
  /** A media port instead of FreeSWITCH (tests). */
  media?: MediaPort;
  /** Directory that relative paths in the config (SQLite file, recordings) are resolved against. */
  baseDir?: string;
  /** Attribution for SIP calls instead of the tracking feature's (tests). */
  attributor?: CallAttributor;
  /** Where call events go (the outputs feature: webhooks, GA4); without one, none are published. */
  events?: CallEventSink;
  /** How the B leg's media is joined; default: anchored in FreeSWITCH when media.freeswitch is set, else SDP passes through. */
  mediaPath?: MediaPathFactory;
  /** Tests only: ring timeout in ms instead of sip.ringTimeoutSeconds. */
  ringTimeoutMs?: number;
  /** Hold policy and attribution tie-breaks: the product's unless the attribution simulator compares others. */
  strategy?: TrackingStrategy;
  /** Webhook/GA4 delivery tuning (tests shorten the poll and the backoff). */
  dispatcher?: Partial<DispatcherOptions>;
  /** Tests only: how long GET /metrics waits for the database, instead of DEFAULT_SCRAPE_BUDGET_MS. */
  metricsDatabaseBudgetMs?: number;
  /** Timers of the SIP registrations (tests drive refreshes and backoff with manual timers). */
  timers?: Timers;
}
