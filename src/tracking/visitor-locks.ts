import type { Knex } from 'knex';

/**
 * The advisory-lock class of calltrack's visitor locks (the first key of the two-key form, so
 * another application's advisory locks on the same database never collide with ours). The
 * migration 20261203000030_visitor_claims uses the same number.
 */
export const VISITOR_LOCK_CLASS = 7341;

/**
 * One visitor's number decided by one transaction at a time, across every calltrack node
 * sharing a PostgreSQL database: its first tabs, second tabs, pings and goodbyes may reach two
 * nodes in the same instant. Row locks alone cannot order them: a node that has not yet seen a
 * visitor's first visit (its snapshot is older than the other node's commit) finds no row to
 * lock and hands out a second number; and a ping (visit row, then number row) against a second
 * tab (number row, then visit row) deadlocks.
 *
 * So every transaction that decides a visitor's number first takes the transaction-scoped
 * advisory lock on the visitor (`pg_advisory_xact_lock(7341, hashtext(visitor id))`), before any
 * statement that reads what it decides from: under READ COMMITTED each later statement sees what
 * the previous holder committed. Several visitors are locked in key order, so two transactions
 * never wait for each other's. A hash collision only makes two visitors take turns. The batch
 * statement cannot wait inside itself and claims its visitors without waiting instead (the
 * migration's calltrack_claim_visitors, PgBulkVisitWriter).
 *
 * SQLite has one writer at a time: nothing to lock there.
 */
export class VisitorLocks {
  /** The visitors each open transaction has locked: locking one again costs no round trip. */
  private readonly held = new WeakMap<Knex.Transaction, Set<string>>();

  constructor(private readonly enabled: boolean) {}

  /** Locks the visitors (in key order, whatever order they are given in) until the transaction ends. */
  async lock(trx: Knex.Transaction, visitorIds: readonly string[]): Promise<void> {
    if (!this.enabled) return;
    let held = this.held.get(trx);
    if (!held) this.held.set(trx, (held = new Set()));
    const wanted = visitorIds.filter((id) => !held.has(id));
    if (wanted.length === 0) return;
    // OFFSET 0 keeps the ordered subquery as it is, so the locks are taken in key order.
    await trx.raw(
      `SELECT pg_advisory_xact_lock(${VISITOR_LOCK_CLASS}, h) FROM (SELECT DISTINCT hashtext(v) AS h FROM unnest(?::text[]) AS v ORDER BY h OFFSET 0) AS k`,
      [wanted],
    );
    for (const id of wanted) held.add(id);
  }

  /** Locks the visitor of the visit (a ping or goodbye knows only the visit); nothing if there is no such visit. */
  async lockVisitorOf(trx: Knex.Transaction, visitId: string): Promise<void> {
    if (!this.enabled) return;
    await trx.raw(`SELECT pg_advisory_xact_lock(${VISITOR_LOCK_CLASS}, hashtext(visitor_id)) FROM visits WHERE id = ?`, [visitId]);
  }
}
