import type { Knex } from 'knex';
import type { NumberDefinition, TrackingNumber } from './number-records.js';

const TABLE = 'tracking_numbers';
const CHANGES = 'tracking_number_changes';

export interface NumberRow {
  id: number;
  number: string;
  kind: TrackingNumber['kind'];
  pool_name: string | null;
  source_name: string | null;
  source_medium: string | null;
  source_campaign: string | null;
  source_term: string | null;
  source_content: string | null;
  forward_to: string;
  active: number | boolean;
  hold_visit_id: string | null;
  hold_until: number | null;
  free_since: number | null;
  created_at: number;
  updated_at: number;
  deactivated_at: number | null;
}

export function rowToTrackingNumber(row: NumberRow): TrackingNumber {
  return {
    id: row.id,
    number: row.number,
    kind: row.kind,
    poolName: row.pool_name,
    sourceName: row.source_name,
    sourceMedium: row.source_medium,
    sourceCampaign: row.source_campaign,
    sourceTerm: row.source_term,
    sourceContent: row.source_content,
    forwardTo: JSON.parse(row.forward_to) as string[],
    // SQLite hands booleans back as 0/1, PostgreSQL as true/false.
    active: Boolean(row.active),
    holdVisitId: row.hold_visit_id,
    holdUntil: row.hold_until,
    freeSince: row.free_since,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deactivatedAt: row.deactivated_at,
  };
}

function definitionToRow(def: NumberDefinition) {
  return {
    number: def.number,
    kind: def.kind,
    pool_name: def.poolName,
    source_name: def.sourceName,
    source_medium: def.sourceMedium,
    source_campaign: def.sourceCampaign,
    source_term: def.sourceTerm,
    source_content: def.sourceContent,
    forward_to: JSON.stringify(def.forwardTo),
  };
}

export type ChangeKind = 'created' | 'updated' | 'deactivated' | 'reactivated';

/**
 * Reads and writes `tracking_numbers`. Methods take the executor (`db` or a transaction's
 * `trx`) so callers can group writes; with SQLite's single connection a query on `db` inside
 * a transaction would wait forever for the connection the transaction holds.
 */
export class NumberStore {
  async listAll(q: Knex | Knex.Transaction): Promise<TrackingNumber[]> {
    const rows = (await q<NumberRow>(TABLE).select('*').orderBy('id')) as NumberRow[];
    return rows.map(rowToTrackingNumber);
  }

  async findByNumber(q: Knex | Knex.Transaction, number: string): Promise<TrackingNumber | undefined> {
    const row = (await q<NumberRow>(TABLE).where({ number }).first()) as NumberRow | undefined;
    return row ? rowToTrackingNumber(row) : undefined;
  }

  async insert(q: Knex.Transaction, def: NumberDefinition, now: number): Promise<number> {
    const [inserted] = (await q(TABLE)
      .insert({ ...definitionToRow(def), active: true, free_since: now, created_at: now, updated_at: now })
      .returning('id')) as { id: number }[];
    if (!inserted) throw new Error(`insert of tracking number ${def.number} returned no id`);
    return inserted.id;
  }

  async update(q: Knex.Transaction, id: number, def: NumberDefinition, now: number, opts: { clearHold: boolean }): Promise<void> {
    const patch: Record<string, unknown> = { ...definitionToRow(def), active: true, deactivated_at: null, updated_at: now };
    if (opts.clearHold) Object.assign(patch, { hold_visit_id: null, hold_until: null, free_since: now });
    await q(TABLE).where({ id }).update(patch);
  }

  async deactivate(q: Knex.Transaction, id: number, now: number): Promise<void> {
    await q(TABLE)
      .where({ id })
      .update({ active: false, deactivated_at: now, updated_at: now, hold_visit_id: null, hold_until: null });
  }

  async recordChange(q: Knex.Transaction, numberId: number, change: ChangeKind, before: unknown, after: unknown, now: number): Promise<void> {
    await q(CHANGES).insert({
      number_id: numberId,
      change,
      before: before === null ? null : JSON.stringify(before),
      after: after === null ? null : JSON.stringify(after),
      changed_at: now,
    });
  }

  async listChanges(q: Knex, numberId: number): Promise<{ change: ChangeKind; before: unknown; after: unknown; changedAt: number }[]> {
    const rows = (await q(CHANGES).where({ number_id: numberId }).orderBy('id')) as {
      change: ChangeKind;
      before: string | null;
      after: string | null;
      changed_at: number;
    }[];
    return rows.map((r) => ({
      change: r.change,
      before: r.before ? (JSON.parse(r.before) as unknown) : null,
      after: r.after ? (JSON.parse(r.after) as unknown) : null,
      changedAt: r.changed_at,
    }));
  }
}
