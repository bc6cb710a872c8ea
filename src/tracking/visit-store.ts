import type { Knex } from 'knex';

type Executor = Knex | Knex.Transaction;

const VISITS = 'visits';
const PAGES = 'visit_pages';

export type ShownNumberType = 'dynamic' | 'fallback' | 'static' | 'none';

/** A website visit as stored: what it came from and which number it was shown. */
export interface VisitRecord {
  id: string;
  visitorId: string;
  siteHost: string | null;
  landingUrl: string | null;
  referrer: string | null;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  utmTerm: string | null;
  utmContent: string | null;
  gclid: string | null;
  yclid: string | null;
  fbclid: string | null;
  source: string | null;
  medium: string | null;
  campaign: string | null;
  term: string | null;
  content: string | null;
  gaClientId: string | null;
  /** The GA4 session the page was in (`_ga_<container>` cookie); a ping updates it when a new one began. */
  gaSessionId: string | null;
  ymClientId: string | null;
  userAgent: string | null;
  ip: string | null;
  region: string | null;
  isBot: boolean;
  poolName: string | null;
  number: string | null;
  numberType: ShownNumberType;
  pagesSeen: number;
  createdAt: number;
  lastSeenAt: number;
}

/** Record field to column, in the order multi-row inserts bind them (BulkVisitWriter). */
export const VISIT_COLUMNS: [keyof VisitRecord, string][] = [
  ['id', 'id'],
  ['visitorId', 'visitor_id'],
  ['siteHost', 'site_host'],
  ['landingUrl', 'landing_url'],
  ['referrer', 'referrer'],
  ['utmSource', 'utm_source'],
  ['utmMedium', 'utm_medium'],
  ['utmCampaign', 'utm_campaign'],
  ['utmTerm', 'utm_term'],
  ['utmContent', 'utm_content'],
  ['gclid', 'gclid'],
  ['yclid', 'yclid'],
  ['fbclid', 'fbclid'],
  ['source', 'source'],
  ['medium', 'medium'],
  ['campaign', 'campaign'],
  ['term', 'term'],
  ['content', 'content'],
  ['gaClientId', 'ga_client_id'],
  ['gaSessionId', 'ga_session_id'],
  ['ymClientId', 'ym_client_id'],
  ['userAgent', 'user_agent'],
  ['ip', 'ip'],
  ['region', 'region'],
  ['isBot', 'is_bot'],
  ['poolName', 'pool_name'],
  ['number', 'number'],
  ['numberType', 'number_type'],
  ['pagesSeen', 'pages_seen'],
  ['createdAt', 'created_at'],
  ['lastSeenAt', 'last_seen_at'],
];

export function rowToVisit(row: Record<string, unknown>): VisitRecord {
  const out: Record<string, unknown> = {};
  for (const [field, column] of VISIT_COLUMNS) out[field] = row[column] ?? null;
  // SQLite hands booleans back as 0/1, PostgreSQL as true/false.
  out.isBot = Boolean(row.is_bot);
  return out as unknown as VisitRecord;
}

/** The session id to store for activity carrying `sent`: null when there is nothing new (none sent, or the same). */
export function gaSessionChange(stored: VisitRecord, sent: string | null | undefined): string | null {
  return sent && sent !== stored.gaSessionId ? sent : null;
}

function visitToRow(v: VisitRecord): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [field, column] of VISIT_COLUMNS) row[column] = v[field];
  return row;
}

/**
 * What a visit loses when its caller asks to be forgotten (`calltrack calls forget`): the IP
 * address and user agent (as after the retention period, visit-retention.ts) and the analytics
 * ids that link it to the person's GA4 and Metrica profile.
 */
const VISITOR_IDENTIFIERS = ['ip', 'user_agent', 'ga_client_id', 'ga_session_id', 'ym_client_id'] as const;

/** Reads and writes `visits` and `visit_pages`; every method takes the executor (db or trx). */
export class VisitStore {
  async insert(q: Executor, visit: VisitRecord): Promise<void> {
    await q(VISITS).insert(visitToRow(visit));
    if (visit.landingUrl) await q(PAGES).insert({ visit_id: visit.id, url: visit.landingUrl, seen_at: visit.createdAt });
  }

  async findById(q: Executor, id: string): Promise<VisitRecord | undefined> {
    const row = (await q(VISITS).where({ id }).first()) as Record<string, unknown> | undefined;
    return row ? rowToVisit(row) : undefined;
  }

  /**
   * Activity on the visit: a ping, with the page it came from when the page changed, and a new
   * GA4 session id when the page is now in another GA session (see gaSessionChange); it goes in
   * the same UPDATE, so a ping costs no extra statement.
   */
  async recordActivity(q: Executor, id: string, at: number, url: string | null, gaSessionId: string | null = null): Promise<void> {
    const patch: Record<string, unknown> = { last_seen_at: at };
    if (gaSessionId !== null) patch.ga_session_id = gaSessionId;
    if (url) {
      const last = (await q(PAGES).where({ visit_id: id }).orderBy('id', 'desc').first('url')) as { url: string } | undefined;
      if (last?.url !== url) {
        await q(PAGES).insert({ visit_id: id, url, seen_at: at });
        patch.pages_seen = q.raw('pages_seen + 1');
      }
    }
    await q(VISITS).where({ id }).update(patch);
  }

  async setShownNumber(q: Executor, id: string, shown: { poolName: string | null; number: string | null; numberType: ShownNumberType }): Promise<void> {
    await q(VISITS).where({ id }).update({ pool_name: shown.poolName, number: shown.number, number_type: shown.numberType });
  }

  /**
   * The visits that identify a person: `visitIds` and every other visit of the same visitors
   * (one browser), those that still carry any of VISITOR_IDENTIFIERS. The visits themselves stay
   * after an erasure, as after the retention period: calls and reports are credited to them.
   */
  async identifiableOf(q: Executor, visitIds: string[]): Promise<string[]> {
    if (visitIds.length === 0) return [];
    const rows = (await q(VISITS)
      .select('id')
      .where((w) => void w.whereIn('id', visitIds).orWhereIn('visitor_id', q(VISITS).select('visitor_id').whereIn('id', visitIds)))
      .andWhere((w) => {
        for (const column of VISITOR_IDENTIFIERS) void w.orWhereNotNull(column);
      })
      .orderBy('id')) as { id: string }[];
    return rows.map((r) => r.id);
  }

  /** Erases VISITOR_IDENTIFIERS of these visits; how many. */
  async eraseIdentifiers(q: Executor, visitIds: string[]): Promise<number> {
    let n = 0;
    const erased = Object.fromEntries(VISITOR_IDENTIFIERS.map((c) => [c, null]));
    // Chunks keep SQLite under its bound-parameter limit.
    for (let i = 0; i < visitIds.length; i += 500) {
      n += Number(await q(VISITS).whereIn('id', visitIds.slice(i, i + 500)).update(erased));
    }
    return n;
  }

  async pages(q: Executor, id: string): Promise<{ url: string; seenAt: number }[]> {
    const rows = (await q(PAGES).where({ visit_id: id }).orderBy('id')) as { url: string; seen_at: number }[];
    return rows.map((r) => ({ url: r.url, seenAt: r.seen_at }));
  }
}
