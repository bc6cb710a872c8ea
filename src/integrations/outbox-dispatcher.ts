import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { CalltrackConfig } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import { maskNumbersFrom } from '../phone/e164.js';
import type { ComponentHealth } from '../health.js';
import { receiverLabels, resolveSender } from './delivery-targets.js';
import type { PostResult } from './http-post.js';
import type { OutboxEntry, OutboxStore } from './outbox-store.js';
import { retryDelayMs, type RetryPolicy } from './retry-policy.js';

export interface DispatcherOptions {
  /** How often the outbox is polled for retries and for entries another process queued. */
  pollMs: number;
  /** Deliveries in flight at once (each to a different call or receiver). */
  concurrency: number;
  /** How long a claimed entry is reserved for this process. */
  leaseMs: number;
  timeoutMs: number;
  retry: RetryPolicy;
  /** Delivered entries are deleted after this long (failed ones stay until retried). */
  keepDeliveredMs: number;
}

export const DEFAULT_DISPATCHER_OPTIONS: DispatcherOptions = {
  pollMs: 2000,
  concurrency: 4,
  leaseMs: 60_000,
  timeoutMs: 10_000,
  retry: { firstDelayMs: 10_000, maxDelayMs: 3_600_000, giveUpAfterMs: 24 * 3_600_000 },
  keepDeliveredMs: 30 * 24 * 3_600_000,
};

/** A receiver this many failures in a row is reported as failing (log and /healthz). */
const FAILING_AFTER = 5;

interface TargetHealth {
  failuresInARow: number;
  /** HTTP status of the last failure, null when no answer came. */
  lastStatus: number | null;
}

/**
 * Delivers the outbox. It runs beside call handling, never inside it: a call only writes an
 * outbox row; this loop posts rows, retries with exponential backoff and gives up after the
 * retry window (`webhooks retry` re-queues). Everything it knows lives in the table, so a
 * restart picks up where it stopped.
 */
export class OutboxDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private rerun = false;
  private stopped = true;
  private readonly targets = new Map<string, TargetHealth>();
  private lastPruneAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly db: Knex,
    private readonly store: OutboxStore,
    private readonly config: { readonly current: CalltrackConfig },
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: DispatcherOptions = DEFAULT_DISPATCHER_OPTIONS,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops polling and waits for deliveries in flight (each bounded by the request timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => 0);
  }

  /** Something was queued: deliver now rather than at the next poll. */
  wake(): void {
    if (!this.stopped) this.schedule(0);
  }

  /**
   * Delivers everything due now, in rounds (an entry that was waiting for an older one of the
   * same call becomes due when that one is delivered). Returns how many attempts were made.
   * Calls overlapping a run in progress join it and trigger one more round.
   */
  runOnce(): Promise<number> {
    if (this.running) {
      this.rerun = true;
      return this.running;
    }
    this.running = this.deliverRounds().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** For /healthz: receivers failing many times in a row make the component `down` (not critical). */
  health(): ComponentHealth {
    const labels = receiverLabels(this.config.current);
    if (labels.size === 0) return { state: 'disabled', detail: 'no webhooks, GA4 or Metrica configured' };
    const failing = [...this.targets.entries()].filter(([, h]) => h.failuresInARow >= FAILING_AFTER);
    if (failing.length === 0) return { state: 'up' };
    // /healthz is open: the receiver's label (never an unnamed webhook's URL) and the status only;
    // the error text (a redirect's Location, the receiver's body) goes to the log and `webhooks status`.
    const line = ([target, h]: [string, TargetHealth]) =>
      `${labels.get(target) ?? 'a receiver no longer configured'}: ${h.failuresInARow} failures in a row, last: ${h.lastStatus === null ? 'no answer' : `HTTP ${h.lastStatus}`}`;
    return { state: 'down', detail: `${failing.map(line).join('; ')} (details: calltrack webhooks status)` };
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.runOnce()
        .catch((err: unknown) => this.logger.error({ err }, 'outbox delivery round failed; retrying at the next poll'))
        .finally(() => {
          if (!this.stopped && !this.timer) this.schedule(this.options.pollMs);
        });
    }, delayMs);
    this.timer.unref();
  }

  private async deliverRounds(): Promise<number> {
    const now = this.clock.now();
    if (now - this.lastPruneAt >= 3_600_000) {
      this.lastPruneAt = now;
      const pruned = await this.store.pruneDelivered(this.db, now - this.options.keepDeliveredMs);
      if (pruned > 0) this.logger.debug({ pruned }, 'deleted old delivered outbox entries');
    }
    let attempts = 0;
    for (let round = 0; round < 100; round++) {
      this.rerun = false;
      const batch = await this.store.findDeliverable(this.db, this.clock.now(), this.options.concurrency * 4);
      if (batch.length === 0 && !this.rerun) break;
      attempts += await this.deliverBatch(batch);
      if (this.stopped) break;
    }
    return attempts;
  }

  private async deliverBatch(batch: OutboxEntry[]): Promise<number> {
    let next = 0;
    let made = 0;
    const worker = async () => {
      while (next < batch.length && !this.stopped) {
        const listed = batch[next++] as OutboxEntry;
        const now = this.clock.now();
        const entry = await this.store.claim(this.db, listed.id, now, now + this.options.leaseMs);
        if (!entry) continue;
        made += 1;
        await this.deliver(entry);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, batch.length) }, worker));
    return made;
  }

  private async deliver(entry: OutboxEntry): Promise<void> {
    const log = this.logger.child({ target: entry.target, event: entry.eventType, eventId: entry.eventId, callId: entry.callId });
    const sender = resolveSender(this.config.current, entry.target, {
      timeoutMs: this.options.timeoutMs,
      nowSeconds: () => Math.floor(this.clock.now() / 1000),
    });
    const result: PostResult = sender
      ? await sender(entry).catch((err: unknown) => ({ ok: false, status: null, error: errorMessage(err) }))
      : { ok: false, status: null, error: `"${entry.target}" is no longer in the configuration (webhooks / analytics)` };
    const now = this.clock.now();
    if (result.notSent) {
      // Nothing reached the receiver: its health stays as it was, and re-queueing would not help.
      const error = result.error ?? 'not sent';
      await this.store.markNotSendable(this.db, entry.id, now, error);
      log.error({ attempts: entry.attempts, error }, 'delivery given up without sending: it can no longer be delivered usefully');
      return;
    }
    const health = this.targets.get(entry.target) ?? { failuresInARow: 0, lastStatus: null };
    this.targets.set(entry.target, health);
    if (result.ok) {
      await this.store.markDelivered(this.db, entry.id, now, result.status);
      if (health.failuresInARow >= FAILING_AFTER) log.info('receiver is accepting deliveries again');
      health.failuresInARow = 0;
      log.debug({ attempts: entry.attempts + 1 }, 'delivered');
      return;
    }
    const error = result.error ?? 'failed';
    const logged = this.config.current.log.callerNumbers === 'masked' ? maskNumbersFrom(error, entry.payload) : error;
    health.failuresInARow += 1;
    health.lastStatus = result.status;
    const deadline = entry.expiresAt ?? entry.createdAt + this.options.retry.giveUpAfterMs;
    const retryAt = sender ? now + retryDelayMs(entry.attempts + 1, this.options.retry) : null;
    // A permanent refusal (http-post.ts) fails now: the same request would be refused until the deadline.
    const giveUp = retryAt === null || retryAt > deadline || result.permanent === true;
    await this.store.markAttemptFailed(this.db, entry.id, { now, httpStatus: result.status, error, retryAt: giveUp ? null : retryAt });
    if (giveUp) {
      log.error({ attempts: entry.attempts + 1, error: logged }, 'delivery failed for good; `calltrack webhooks retry` re-queues it');
    } else {
      log.warn({ attempts: entry.attempts + 1, error: logged, retryInSeconds: Math.round((retryAt - now) / 1000) }, 'delivery failed; will retry');
    }
    if (health.failuresInARow === FAILING_AFTER) log.error({ error: logged }, `receiver ${entry.target} keeps failing (${FAILING_AFTER} attempts in a row)`);
  }
}
