import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { RegisterConfig } from '../config/schema.js';
import { REGISTER_EXPIRES } from '../config/schema-register.js';
import { errorMessage } from '../errors.js';
import type { Timers } from '../media/media-port.js';
import { contactUser, grantedSeconds, registerHeaders, registerPlan, type RegisterPlan } from './register-plan.js';

/** Longer than SIP timer F (32 s): past it the transaction is dead, whatever drachtio says. */
const RESPONSE_TIMEOUT_MS = 40_000;
/** After a failure: 30 s, doubling to 10 min. Never a tight loop, and no provider bans us for it. */
const RETRY_FIRST_MS = 30_000;
const RETRY_MAX_MS = 600_000;
/** A registrar granting less is taken as granting this (refresh every 15 s at most). */
const MIN_GRANTED_SECONDS = 30;

export interface RegistrationStatus {
  trunk: string;
  aor: string;
  phase: 'not-registered' | 'registered' | 'failing';
  /** Until when the registrar holds our binding (epoch ms), from its last 200. */
  until?: number;
  /** The last answer: a SIP status, or `timeout` / `error` when none came. */
  lastStatus?: number | 'timeout' | 'error';
  lastReason?: string;
  /** When the next REGISTER goes out (epoch ms). */
  nextAt?: number;
  since: number;
}

export interface RegistrationDeps {
  srf: Srf;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  onFailure(trunk: string, status: string): void;
}

type Outcome = { res: Srf.SrfResponse } | { status: 'timeout' | 'error'; reason: string };

/**
 * One binding at one registrar: REGISTER with digest auth (drachtio-srf answers the challenge),
 * refresh at half the granted expiry, retry with backoff after a failure. One Call-ID for the
 * binding's life and a CSeq that only grows (RFC 3261 10.2), across refreshes and reconnects.
 */
export class Registration {
  private readonly callId = `${randomUUID()}@calltrack`;
  private cseq = 0;
  private plan: RegisterPlan;
  private expires: number;
  private timer: unknown;
  /** Bumped by start/pause/stop: an answer to an older attempt changes nothing. */
  private generation = 0;
  private failures = 0;
  private sentContact: string | undefined;
  private status: RegistrationStatus;
  /** Requests still waiting for an answer: pause and stop drop them (and their timeout timers). */
  private readonly waiting = new Set<() => void>();

  constructor(readonly trunk: string, private cfg: RegisterConfig, private readonly deps: RegistrationDeps) {
    this.plan = registerPlan(cfg);
    this.expires = cfg.expiresSeconds;
    this.status = { trunk, aor: this.plan.aor, phase: 'not-registered', lastReason: 'waiting for drachtio-server', since: deps.clock.now() };
  }

  get config(): RegisterConfig {
    return this.cfg;
  }

  current(): RegistrationStatus {
    const s = this.status;
    // Not refreshed in time (drachtio-server unreachable meanwhile): the provider has dropped us.
    if (s.phase === 'registered' && s.until !== undefined && s.until <= this.deps.clock.now()) {
      return { ...s, phase: 'not-registered', lastReason: `lapsed at ${new Date(s.until).toISOString()} without a refresh`, until: undefined };
    }
    return { ...s };
  }

  /** Whether `next` is the same binding (same AOR, registrar and Contact): then only credentials or timing changed. */
  sameBinding(next: RegisterConfig): boolean {
    const key = (c: RegisterConfig) => [c.registrar, c.domain, c.username, contactUser(c), c.contactHost];
    return isDeepStrictEqual(key(this.cfg), key(next));
  }

  /** New password, auth user or expiry for the same binding; the caller registers again. */
  update(next: RegisterConfig): void {
    this.cfg = next;
    this.plan = registerPlan(next);
    this.expires = next.expiresSeconds;
    this.failures = 0;
  }

  /** Registers now: drachtio-server (re)connected, or the config changed. */
  start(): void {
    this.cancelTimer();
    this.abandon();
    const generation = ++this.generation;
    const expires = this.expires;
    const waitingReason = this.status.phase === 'not-registered' ? { lastReason: 'registering' } : {};
    this.status = { ...this.status, ...waitingReason, nextAt: undefined };
    void this.send(expires, RESPONSE_TIMEOUT_MS).then((outcome) => {
      if (generation === this.generation) this.settle(outcome, expires);
    });
  }

  /** The drachtio connection is gone: nothing can be sent until start() after the reconnect. */
  pause(): void {
    this.generation++;
    this.cancelTimer();
    this.abandon();
    this.status = { ...this.status, nextAt: undefined };
  }

  /**
   * Ends the binding's timers; with `unregister`, removes a binding the registrar still holds
   * (Expires: 0), waiting at most `timeoutMs`.
   */
  async stop(unregister: boolean, timeoutMs: number): Promise<void> {
    this.generation++;
    this.cancelTimer();
    this.abandon();
    const held = this.status.until !== undefined && this.status.until > this.deps.clock.now();
    if (!unregister || !held) return;
    const outcome = await this.send(0, timeoutMs);
    const log = this.deps.logger.child({ trunk: this.trunk, aor: this.plan.aor });
    if ('res' in outcome && outcome.res.status < 300) log.info('SIP registration removed (Expires: 0)');
    else log.warn({ status: 'res' in outcome ? outcome.res.status : outcome.status, reason: 'res' in outcome ? outcome.res.reason : outcome.reason }, 'SIP registration could not be removed; it lapses at its expiry');
  }

  private send(expires: number, timeoutMs: number): Promise<Outcome> {
    const headers = registerHeaders(this.plan, { callId: this.callId, cseq: ++this.cseq, expires });
    return new Promise<Outcome>((resolve) => {
      let done = false;
      const finish = (outcome: Outcome) => {
        if (done) return;
        done = true;
        this.deps.timers.clearTimeout(timer);
        this.waiting.delete(abandon);
        resolve(outcome);
      };
      const abandon = () => finish({ status: 'error', reason: 'abandoned' });
      this.waiting.add(abandon);
      const timer = this.deps.timers.setTimeout(() => finish({ status: 'timeout', reason: `no final answer from the registrar within ${timeoutMs / 1000} s` }), timeoutMs);
      const opts: Srf.RequestOptions = { method: 'REGISTER', headers, auth: { ...this.plan.auth }, ...(this.plan.proxy ? { proxy: this.plan.proxy } : {}) };
      try {
        this.deps.srf.request(this.plan.requestUri, opts, (err, req) => {
          if (err) return finish({ status: 'error', reason: `drachtio-server did not send the REGISTER: ${err.message}` });
          this.sentContact = req.get('Contact');
          req.on('response', (res: Srf.SrfResponse) => {
            this.noteCseq(res);
            if (res.status >= 200) finish({ res });
          });
        });
      } catch (err) {
        // drachtio-srf throws when it has no connection to send on.
        finish({ status: 'error', reason: `drachtio-server did not send the REGISTER: ${errorMessage(err)}` });
      }
    });
  }

  /** The digest retry went out with CSeq + 1: ours must stay above it. */
  private noteCseq(res: Srf.SrfResponse): void {
    const seq = Number((res.get('cseq') ?? '').split(/\s+/)[0]);
    if (Number.isInteger(seq) && seq > this.cseq) this.cseq = seq;
  }

  private settle(outcome: Outcome, requested: number): void {
    if (!('res' in outcome)) return this.fail(outcome.status, outcome.reason);
    const { res } = outcome;
    if (res.status >= 200 && res.status < 300) {
      const granted = grantedSeconds(res, this.sentContact, requested);
      if (granted <= 0) return this.fail(res.status, 'the registrar answered 200 but kept no binding for our Contact');
      this.failures = 0;
      const now = this.deps.clock.now();
      const refreshMs = (Math.max(granted, MIN_GRANTED_SECONDS) * 1000) / 2;
      this.schedule(refreshMs);
      return this.change({ phase: 'registered', until: now + granted * 1000, lastStatus: res.status, lastReason: res.reason, nextAt: now + refreshMs }, { granted, contact: this.sentContact });
    }
    if (res.status === 423) {
      // Interval Too Brief: ask again at once for what the registrar wants (RFC 3261 10.3 step 7).
      const min = Number(res.get('min-expires'));
      if (Number.isInteger(min) && min > requested && min <= REGISTER_EXPIRES.max) {
        this.deps.logger.info({ trunk: this.trunk, asked: requested, minExpires: min }, 'registrar wants a longer registration: registering again with its Min-Expires');
        this.expires = min;
        return this.start();
      }
    }
    this.fail(res.status, `${res.reason}${hintFor(res.status)}`);
  }

  private fail(status: number | 'timeout' | 'error', reason: string): void {
    this.failures++;
    const delay = Math.min(RETRY_FIRST_MS * 2 ** (this.failures - 1), RETRY_MAX_MS);
    this.deps.onFailure(this.trunk, String(status));
    this.schedule(delay);
    const now = this.deps.clock.now();
    const until = this.status.until !== undefined && this.status.until > now ? this.status.until : undefined;
    this.change({ phase: 'failing', until, lastStatus: status, lastReason: reason, nextAt: now + delay }, { retryInSeconds: delay / 1000 });
  }

  /** Logs a change of phase or answer once; a refresh or a repeat of the same failure only at debug. */
  private change(next: Omit<RegistrationStatus, 'trunk' | 'aor' | 'since'>, extra: Record<string, unknown>): void {
    const prev = this.current(); // a lapsed binding registered again is news, not a refresh
    const changed = prev.phase !== next.phase || prev.lastStatus !== next.lastStatus;
    this.status = { trunk: this.trunk, aor: this.plan.aor, ...next, since: changed ? this.deps.clock.now() : prev.since };
    const fields = { trunk: this.trunk, aor: this.plan.aor, status: next.lastStatus, reason: next.lastReason, until: next.until && new Date(next.until).toISOString(), ...extra };
    if (!changed) this.deps.logger.debug(fields, next.phase === 'registered' ? 'SIP registration refreshed' : 'SIP registration still failing');
    else if (next.phase === 'registered') this.deps.logger.info(fields, 'SIP registration active');
    else this.deps.logger.warn(fields, 'SIP registration failing; retrying with backoff');
  }

  private schedule(ms: number): void {
    this.cancelTimer();
    this.timer = this.deps.timers.setTimeout(() => {
      this.timer = undefined;
      this.start();
    }, ms);
  }

  private abandon(): void {
    for (const abandon of [...this.waiting]) abandon();
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.deps.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** What an admin should check for the usual refusals. */
function hintFor(status: number): string {
  if (status === 401 || status === 407) return ': the registrar refused the credentials (check username, authUsername and password)';
  if (status === 403) return ': wrong credentials, or the provider blocks this account or our address';
  if (status === 404) return ': the registrar does not know this user at this domain (check username and domain)';
  return '';
}
