import type { Clock } from '../clock.js';
import type { LiveConfig } from '../config/live-config.js';
import type { Database } from '../db/connect.js';
import type { HoldStore } from '../tracking/hold-store.js';
import type { PoolEventStore } from '../tracking/pool-event-store.js';
import { isBotUserAgent } from '../tracking/visit-source.js';
import { classifyPage } from '../tracking/new-visit.js';
import type { NewVisitInput, ShownNumber, VisitService } from '../tracking/visit-service.js';

export interface PreviewInput {
  url: string;
  referrer?: string | undefined;
  region?: string | undefined;
  userAgent?: string | undefined;
  visitorId?: string | undefined;
}

export interface PoolPreview {
  /** The pool a visit from this page would get now, or null (static source or nothing). */
  pool: string | null;
  /** The page should show masked numbers and take one only when the visitor clicks. */
  reveal: boolean;
}

/**
 * The snippet's side of the visit API: which pool a page would get (without taking a number),
 * and the click that reveals a number, counted per pool so the pool can be sized for the
 * visitors who actually wanted to call.
 */
export class SnippetVisitService {
  constructor(
    private readonly d: { db: Database; config: LiveConfig; clock: Clock; visits: VisitService; events: PoolEventStore; holds: HoldStore },
  ) {}

  async preview(input: PreviewInput): Promise<PoolPreview> {
    const { pool } = classifyPage(this.d.config.current.pools, input, 'query.url');
    // A crawler is never asked to click: it is shown the fallback number like on any page. A
    // visitor who already holds a number (revealed in another tab) sees it without a second click.
    let reveal = pool?.reveal === 'click' && !isBotUserAgent(input.userAgent);
    if (reveal && input.visitorId) reveal = !(await this.d.holds.heldByVisitor(this.d.db, input.visitorId, this.d.clock.now(), false));
    return { pool: pool?.name ?? null, reveal };
  }

  /** A "show number" click: a normal visit start, counted as a reveal of its pool. */
  async reveal(input: NewVisitInput): Promise<ShownNumber> {
    const shown = await this.d.visits.startVisit(input);
    if (shown.pool && (shown.type === 'dynamic' || shown.type === 'fallback')) {
      await this.d.events.record(this.d.db, { poolName: shown.pool, kind: 'reveal', visitId: shown.visitId, heldCount: null, at: this.d.clock.now() });
    }
    return shown;
  }
}
