import type { Logger } from 'pino';
import type { Clock } from '../clock.js';

/** One line per address per this long: enough to see a scan start, never a line per packet. */
const QUIET_MS = 10 * 60_000;
/** Addresses remembered at once; a scan from many addresses forgets the oldest first. */
const MAX_SOURCES = 1_000;

interface SourceState {
  loggedAt: number;
  /** Requests from the address since its last line, not logged one by one. */
  unlogged: number;
}

/**
 * The security log of INVITEs and OPTIONS from addresses outside every trunk's allow list.
 *
 * A SIP port on a public address is scanned all day (SIPVicious, "friendly-scanner": thousands of
 * requests an hour from one address). A warn line per request buried real warnings and filled
 * disks, so each address (per method) gets one line, then one line per ten minutes while it keeps going, with
 * how many requests came in between. The metric `calltrack_sip_invites_rejected_total` still
 * counts every one. No timers: the state is looked at only when a request comes.
 */
export class UntrustedSourceLog {
  private readonly sources = new Map<string, SourceState>();

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
  ) {}

  /**
   * Logs `msg` with `fields()` unless this address already had a line for this method within the
   * quiet period. Per method: a scanner probing with OPTIONS first must not hide its INVITEs.
   */
  note(level: 'warn' | 'info', method: string, address: string, fields: () => Record<string, unknown>, msg: string): void {
    const now = this.clock.now();
    const key = `${method} ${address}`;
    const state = this.sources.get(key);
    if (state && now - state.loggedAt < QUIET_MS) {
      state.unlogged += 1;
      return;
    }
    const repeats = state?.unlogged ?? 0;
    this.sources.delete(key);
    this.sources.set(key, { loggedAt: now, unlogged: 0 });
    if (this.sources.size > MAX_SOURCES) this.sources.delete(this.sources.keys().next().value as string);
    const suffix = repeats > 0 ? ` (${repeats} more from this address since its last line)` : ' (further requests from this address: one line per 10 minutes)';
    this.logger[level]({ ...fields(), ...(repeats > 0 ? { repeats } : {}) }, `${msg}${suffix}`);
  }
}
