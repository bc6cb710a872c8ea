import type { Knex } from 'knex';
import type { Database } from '../db/connect.js';
import type { HoldStore } from './hold-store.js';
import type { TrackingNumber } from './number-records.js';
import type { PoolEvent, PoolEventStore } from './pool-event-store.js';
import type { HoldPolicy } from './tracking-strategy.js';
import { decidedInJs, HoldEnds, shownFor, type VisitBatchWriter } from './visit-batch.js';
import type { PreparedVisit, ShownNumber } from './visit-service.js';
import type { VisitRecord, VisitStore } from './visit-store.js';

export interface PgBulkVisitWriterDeps {
  db: Database;
  holds: HoldStore;
  visits: VisitStore;
  events: PoolEventStore;
  holdPolicy: HoldPolicy;
  /** One visit the per-visit way, inside the given transaction (VisitService.startPrepared). */
  startOne: (trx: Knex.Transaction, visit: PreparedVisit) => Promise<ShownNumber>;
}

/**
 * PostgreSQL's VisitBatchWriter: a batch of new visits in one transaction, with the rules of
 * SQLite's trigger (the comment on VISIT_BATCH_SETUP), in a few multi-row statements whatever
 * the batch's size: which visitors already hold a number, per pool the free numbers free the
 * longest, the visits and their landing pages, the holds (previous hold rows closed, number
 * rows, new hold rows), the pool events. A transaction per visit paid a BEGIN, ~9 statements and
 * a COMMIT each; under load that capped PostgreSQL at a few hundred visits a second.
 *
 * Several calltrack nodes may share the database: the free numbers are read `FOR UPDATE SKIP
 * LOCKED`, so another node's batch running at the same moment passes over them and never hands
 * out the same number; the locks last until this batch commits. A visitor who already holds a
 * number (or asks twice in the batch) and a visit whose pool ran dry take the per-visit path
 * (`startOne`) after the bulk writes, in this same transaction: one commit for the batch, and a
 * repeat request sees the number the first one was given.
 */
export class PgBulkVisitWriter implements VisitBatchWriter {
  constructor(private readonly d: PgBulkVisitWriterDeps) {}

  write(batch: PreparedVisit[], now: number): Promise<ShownNumber[]> {
    return this.d.db.transaction(async (trx) => {
      const shown = await this.writeBulk(trx, batch, now);
      const out: ShownNumber[] = [];
      // In arrival order, after the bulk writes, as SQLite's per-visit cases run after its batch.
      for (const [i, p] of batch.entries()) out.push(shown[i] ?? (await this.d.startOne(trx, p)));
      return out;
    });
  }

  async close(): Promise<void> {}

  private async writeBulk(trx: Knex.Transaction, batch: PreparedVisit[], now: number): Promise<(ShownNumber | undefined)[]> {
    const decided = batch.map(decidedInJs);
    const wanting = batch.filter((_, i) => !decided[i]);
    const holding = await this.d.holds.visitorsHolding(trx, [...new Set(wanting.filter((p) => p.mayHold).map((p) => p.visit.visitorId))], now);
    const free = await this.pickFree(trx, wanting.filter((p) => !(p.mayHold && holding.has(p.visit.visitorId))), now);

    const ends = new HoldEnds(this.d.holdPolicy, now);
    const rows: VisitRecord[] = [];
    const takes: { numberId: number; visitId: string; until: number }[] = [];
    const events: PoolEvent[] = [];
    const shown = batch.map((p, i): ShownNumber | undefined => {
      const poolName = p.pool?.name ?? null;
      const js = decided[i];
      if (js) {
        rows.push({ ...p.visit, poolName, number: js.number, numberType: js.type });
        if (js.event && poolName) events.push({ poolName, kind: js.event, visitId: p.visit.id, heldCount: null, at: now });
        return shownFor(p, js.type, js.number, null);
      }
      // A visitor holding a number, also one given to their earlier request in this batch.
      if (!p.pool || (p.mayHold && holding.has(p.visit.visitorId))) return undefined;
      const number = free.get(p.pool.name)?.shift();
      if (!number) return undefined; // the pool ran dry: exhaustion and onExhausted per visit
      holding.add(p.visit.visitorId);
      const until = ends.of(p.pool);
      rows.push({ ...p.visit, poolName, number: number.number, numberType: 'dynamic' });
      takes.push({ numberId: number.id, visitId: p.visit.id, until });
      return shownFor(p, 'dynamic', number.number, until);
    });

    await this.d.visits.insertMany(trx, rows);
    await this.d.holds.takeFreeMany(trx, takes, now);
    await this.d.events.recordMany(trx, events);
    return shown;
  }

  /**
   * Per pool, as many free numbers as the batch may take from it, free the longest first and
   * locked (SKIP LOCKED). A visitor asking twice in the batch counts twice: a number too many
   * is locked until the commit, never one too few, so nobody's answer depends on the count.
   */
  private async pickFree(trx: Knex.Transaction, wanting: PreparedVisit[], now: number): Promise<Map<string, TrackingNumber[]>> {
    const perPool = new Map<string, number>();
    for (const p of wanting) if (p.pool) perPool.set(p.pool.name, (perPool.get(p.pool.name) ?? 0) + 1);
    const free = new Map<string, TrackingNumber[]>();
    for (const [poolName, count] of perPool) free.set(poolName, await this.d.holds.pickFreeOldest(trx, poolName, now, count, true));
    return free;
  }
}
