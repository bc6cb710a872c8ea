import type Srf from 'drachtio-srf';
import type { TrunkConfig } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import { CallSession, type SessionDeps } from './call-session.js';
import { REPLY_UNTRUSTED, replyShuttingDown, sipReplyForError, type SipReply } from './sip-errors.js';
import { callerForLog } from '../phone/e164.js';
import { TrunkMatcher } from './inbound-call.js';
import { UntrustedSourceLog } from './untrusted-source-log.js';

export interface SipAppDeps extends SessionDeps {
  /** How long `drain()` lets calls in progress run before hanging them up. */
  shutdownGraceMs: () => number;
}

/**
 * The SIP edge: decides who may talk to us and hands each trusted INVITE to a CallSession.
 * Handlers are registered once (drachtio-srf sends the routes when it connects, and again
 * after every reconnect), so `install()` must run before the connection starts.
 */
export class SipApp {
  private readonly sessions = new Set<CallSession>();
  private readonly idleWaiters = new Set<() => void>();
  private draining = false;
  private matcher: { trunks: readonly TrunkConfig[]; matcher: TrunkMatcher } | undefined;
  private readonly security: UntrustedSourceLog;

  constructor(private readonly deps: SipAppDeps) {
    this.security = new UntrustedSourceLog(deps.logger.child({ security: true }), deps.clock);
  }

  get activeCalls(): number {
    return this.sessions.size;
  }

  install(srf: Srf): void {
    srf.invite((req, res) => this.onInvite(req, res));
    srf.options((req, res) => this.onOptions(req, res));
  }

  /**
   * Graceful shutdown: new INVITEs get 503 + Retry-After (the carrier tries another route),
   * calls in progress may finish within the grace period; after it they are hung up so every
   * row is final before the database closes.
   */
  async drain(): Promise<void> {
    this.draining = true;
    if (this.sessions.size > 0) {
      this.deps.logger.info({ calls: this.sessions.size, graceMs: this.deps.shutdownGraceMs() }, 'waiting for calls in progress to end');
      const finished = await this.waitIdle(this.deps.shutdownGraceMs());
      if (!finished) {
        this.deps.logger.warn({ calls: this.sessions.size }, 'shutdown grace period over: hanging up the calls still in progress');
        for (const session of this.sessions) session.hangUp();
        await this.waitIdle(5_000);
      }
    }
    await this.deps.recorder.flush();
  }

  private onInvite(req: Srf.SrfRequest, res: Srf.SrfResponse): void {
    try {
      const toTag = req.getParsedHeader('to').params.tag;
      if (toTag) return send(res, { status: 481, reason: 'Call/Transaction Does Not Exist' }); // re-INVITE for a dialog we no longer have
      if (this.draining) {
        this.deps.metrics.inviteRejected('shutting-down');
        return send(res, replyShuttingDown(Math.ceil(this.deps.shutdownGraceMs() / 1000) + 5));
      }
      const trunk = this.trunkFor(req.source_address);
      if (!trunk) {
        this.deps.metrics.inviteRejected('untrusted-source');
        this.security.note(
          'warn',
          'INVITE',
          req.source_address,
          // Read only when the line is written: a scan sends thousands of these.
          () => ({
            source: req.source_address, port: req.source_port, to: req.calledNumber, userAgent: req.get('User-Agent'), sipCallId: req.get('Call-ID'),
            // It may be a real caller on a carrier address not yet allowed: masked as the INVITE line is.
            from: callerForLog(this.deps.config().log.callerNumbers, req.callingNumber),
          }),
          'INVITE from an address that is not in any trunk allow list: rejected 403',
        );
        return send(res, REPLY_UNTRUSTED);
      }
      const session = new CallSession(this.deps, req, res, trunk);
      this.sessions.add(session);
      void session.run().finally(() => {
        this.sessions.delete(session);
        if (this.sessions.size === 0) for (const wake of [...this.idleWaiters]) wake();
      });
    } catch (err) {
      this.deps.metrics.inviteRejected('error');
      this.deps.logger.error({ err: errorMessage(err), sipCallId: safeCallId(req) }, 'INVITE could not be handled');
      send(res, sipReplyForError(err));
    }
  }

  /** Carriers mark a trunk down when keepalives fail; drachtio-server alone would answer 503. */
  private onOptions(req: Srf.SrfRequest, res: Srf.SrfResponse): void {
    const trusted = this.trunkFor(req.source_address) !== undefined;
    this.deps.metrics.optionsAnswered(trusted);
    if (!trusted) this.security.note('info', 'OPTIONS', req.source_address, () => ({ source: req.source_address, userAgent: req.get('User-Agent') }), 'OPTIONS from an address that is not a trunk: 403');
    send(res, trusted ? { status: 200 } : REPLY_UNTRUSTED);
  }

  private trunkFor(address: string): TrunkConfig | undefined {
    const trunks = this.deps.config().sip.trunks;
    // Rebuilt only when a reload replaced the trunk list.
    if (this.matcher?.trunks !== trunks) this.matcher = { trunks, matcher: new TrunkMatcher(trunks) };
    return this.matcher.matcher.match(address);
  }

  private waitIdle(ms: number): Promise<boolean> {
    if (this.sessions.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (idle: boolean) => {
        clearTimeout(timer);
        this.idleWaiters.delete(wake);
        resolve(idle);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), ms);
      this.idleWaiters.add(wake);
    });
  }
}

function send(res: Srf.SrfResponse, reply: SipReply): void {
  res.send(reply.status, reply.reason ?? '', reply.headers ? { headers: reply.headers } : {});
}

function safeCallId(req: Srf.SrfRequest): string | undefined {
  try {
    return req.get('Call-ID');
  } catch {
    return undefined;
  }
}
