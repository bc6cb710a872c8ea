import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { CalltrackConfig } from '../config/schema.js';
import { databaseClient, type Database } from '../db/connect.js';
import { definitionsFromConfig, diffDefinitions } from './number-records.js';
import type { NumberStore } from './number-store.js';

export interface SyncSummary {
  created: string[];
  updated: string[];
  reactivated: string[];
  deactivated: string[];
  unchanged: number;
}

/**
 * Makes the database's tracking numbers match the configuration. Numbers that left the file
 * are deactivated, never deleted: their calls keep pointing at them, and the change history
 * says what each number was when a call came in. One transaction: a failure changes nothing.
 */
export class NumberSyncService {
  constructor(
    private readonly db: Database,
    private readonly store: NumberStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async sync(cfg: Pick<CalltrackConfig, 'numbers' | 'pools'>): Promise<SyncSummary> {
    const wanted = definitionsFromConfig(cfg);
    const now = this.clock.now();
    const summary: SyncSummary = { created: [], updated: [], reactivated: [], deactivated: [], unchanged: 0 };

    await this.db.transaction(async (trx) => {
      const stored = new Map((await this.store.listAll(trx)).map((n) => [n.number, n]));
      for (const def of wanted) {
        const existing = stored.get(def.number);
        stored.delete(def.number);
        if (!existing) {
          const id = await this.store.insert(trx, def, now);
          await this.store.recordChange(trx, id, 'created', null, def, now);
          summary.created.push(def.number);
          continue;
        }
        const diff = diffDefinitions(existing, def);
        if (!diff && existing.active) {
          summary.unchanged += 1;
          continue;
        }
        // A number that stops being a pool number must not keep a visit's hold.
        const clearHold = existing.kind === 'pool' && (def.kind !== 'pool' || def.poolName !== existing.poolName);
        await this.store.update(trx, existing.id, def, now, { clearHold });
        if (!existing.active) {
          await this.store.recordChange(trx, existing.id, 'reactivated', diff?.before ?? null, diff?.after ?? null, now);
          summary.reactivated.push(def.number);
        } else if (diff) {
          await this.store.recordChange(trx, existing.id, 'updated', diff.before, diff.after, now);
          summary.updated.push(def.number);
        }
      }
      for (const leftover of stored.values()) {
        if (!leftover.active) continue;
        await this.store.deactivate(trx, leftover.id, now);
        await this.store.recordChange(trx, leftover.id, 'deactivated', null, null, now);
        summary.deactivated.push(leftover.number);
      }
    });
    const changed = summary.created.length + summary.updated.length + summary.reactivated.length + summary.deactivated.length;
    if (changed > 0 && databaseClient(this.db) === 'pg') {
      // PostgreSQL plans the allocation's "free the longest" query from table statistics, which
      // autovacuum refreshes only after a minute or more: until then a freshly synced pool is read
      // by scanning and sorting every number, per batch, instead of walking its index.
      await this.db.raw('ANALYZE tracking_numbers');
    }

    this.logger.info(
      {
        created: summary.created.length,
        updated: summary.updated.length,
        reactivated: summary.reactivated.length,
        deactivated: summary.deactivated.length,
        unchanged: summary.unchanged,
      },
      'tracking numbers synchronised with the configuration',
    );
    return summary;
  }
}
