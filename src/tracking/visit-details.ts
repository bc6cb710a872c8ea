import type { Knex } from 'knex';
import { NotFoundError } from '../errors.js';
import type { VisitRecord, VisitStore } from './visit-store.js';

export interface VisitDetails extends Omit<VisitRecord, 'createdAt' | 'lastSeenAt'> {
  createdAt: string;
  lastSeenAt: string;
  /** Every page the visit reported, in order (the landing page first). */
  pages: { url: string; seenAt: string }[];
}

/** One website visit with its pages, for the dashboard's call page (admin only: it holds the IP). */
export class VisitDetailsService {
  constructor(
    private readonly db: Knex,
    private readonly visits: VisitStore,
  ) {}

  async get(id: string): Promise<VisitDetails> {
    const visit = await this.visits.findById(this.db, id);
    if (!visit) throw new NotFoundError(`no visit with id "${id}" (visits are removed with their data after the retention period)`);
    const pages = await this.visits.pages(this.db, id);
    return {
      ...visit,
      createdAt: new Date(visit.createdAt).toISOString(),
      lastSeenAt: new Date(visit.lastSeenAt).toISOString(),
      pages: pages.map((p) => ({ url: p.url, seenAt: new Date(Number(p.seenAt)).toISOString() })),
    };
  }
}
