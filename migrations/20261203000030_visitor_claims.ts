import type { Knex } from 'knex';

/*
 * PostgreSQL only (SQLite has one writer and no functions): the batch statement of new visits
 * (PgBulkVisitWriter) claims the visitors it decides for, without waiting, and learns whether
 * another node changed them after the statement's snapshot was taken.
 *
 * Every transaction that decides a visitor's number takes the transaction-scoped advisory lock
 * (7341, hashtext(visitor id)) first (VisitorLocks). One statement cannot wait for such a lock
 * and then see what its holder committed: its snapshot is older than the wait. So this function
 * only tries the locks (pg_try_advisory_xact_lock), and, being VOLATILE, reads the visitors it
 * got with a snapshot of its own taken after them: for each, the xmin of every visit row of the
 * visitor (any insert or update of a visit changes it). The statement compares them with its own
 * snapshot's; a visitor whose lock was busy or whose visits changed in between goes through the
 * per-visit path, which waits for the lock.
 */
const CLAIM = `
CREATE FUNCTION calltrack_claim_visitors(wanted text[]) RETURNS TABLE (claimed_id text, fingerprint text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  got text[];
BEGIN
  SELECT array_agg(w) INTO got FROM unnest(wanted) AS w WHERE pg_try_advisory_xact_lock(7341, hashtext(w));
  -- A statement of its own, so its snapshot is taken after the locks.
  RETURN QUERY
    SELECT g.vid, (SELECT string_agg(v.xmin::text, ',' ORDER BY v.id) FROM visits AS v WHERE v.visitor_id = g.vid)
    FROM unnest(got) AS g(vid);
END $$`;

const isPg = (knex: Knex) => knex.client.config.client === 'pg';

export async function up(knex: Knex): Promise<void> {
  if (isPg(knex)) await knex.raw(CLAIM);
}

export async function down(knex: Knex): Promise<void> {
  if (isPg(knex)) await knex.raw('DROP FUNCTION calltrack_claim_visitors(text[])');
}
