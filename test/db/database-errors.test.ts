import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import { createDatabase, type Database } from '../../src/db/connect.js';
import { conflictReason, isDatabaseUnavailable, isTransactionConflict, unavailableReason } from '../../src/db/database-errors.js';
import { startTestPostgres } from '../support/postgres.js';

const pgServer = await startTestPostgres();
after(() => pgServer.stop());

const pgDatabase = (connection: string) => createDatabase({ client: 'pg', connection, pool: { min: 0, max: 2 } } as never);

/** The error a promise rejects with (the test fails if it resolves). */
async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail('expected the query to fail');
}

/** A loopback port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 1));
    });
  });
}

/**
 * Which PostgreSQL failures fail a whole batch of new visits at once (503) instead of being
 * retried visit by visit: the real errors node-pg and knex hand back.
 */
describe('database unavailable or data refused (PostgreSQL errors)', { skip: pgServer.skipReason }, () => {
  let db: Database;
  before(async () => {
    db = pgDatabase(await pgServer.createDatabase());
    await db.schema.createTable('t', (t) => void t.integer('id').primary());
  });
  after(() => db?.destroy());

  it('a server that refuses the connection is unavailable', async () => {
    const down = pgDatabase(`postgres://postgres@127.0.0.1:${await closedPort()}/none`);
    try {
      const err = await failure(down.raw('SELECT 1'));
      assert.ok(isDatabaseUnavailable(err), `not recognised: ${String(err)}`);
      assert.equal(unavailableReason(err), 'PostgreSQL unreachable: ECONNREFUSED');
    } finally {
      await down.destroy();
    }
  });

  it('a write in a read-only transaction (a standby, default_transaction_read_only) is unavailable', async () => {
    const err = await failure(
      db.transaction(async (trx: Knex.Transaction) => {
        await trx.raw('SET TRANSACTION READ ONLY');
        await trx('t').insert({ id: 1 });
      }),
    );
    assert.equal((err as { code?: string }).code, '25006');
    assert.ok(isDatabaseUnavailable(err));
    assert.match(String(err), /insert into "t"/, 'knex puts the statement and its values in the message');
    assert.equal(unavailableReason(err), 'PostgreSQL 25006: read-only transaction', 'the page is told why, without them');
  });

  it('a connection the server ended mid-transaction is unavailable, whichever query notices', async () => {
    for (const swallow of [false, true]) {
      const err = await failure(
        db.transaction(async (trx: Knex.Transaction) => {
          const ended = trx.raw('SELECT pg_terminate_backend(pg_backend_pid())');
          await (swallow ? ended.catch(() => undefined) : ended);
          await trx('t').insert({ id: 2 });
        }),
      );
      assert.ok(isDatabaseUnavailable(err), `not recognised: ${String(err)} (code ${String((err as { code?: unknown }).code)})`);
    }
  });

  it('a full disk and exhausted connection slots are unavailable (SQLSTATE class 53)', () => {
    for (const code of ['53100', '53300']) assert.ok(isDatabaseUnavailable({ code, message: 'could not extend file' }), code);
  });

  it('a constraint broken by one row is not: that visit fails alone', async () => {
    await db('t').insert({ id: 3 });
    const err = await failure(db('t').insert({ id: 3 }));
    assert.equal((err as { code?: string }).code, '23505');
    assert.equal(isDatabaseUnavailable(err), false);
    assert.equal(isDatabaseUnavailable(await failure(db.raw('SELECT no_such_column FROM t'))), false);
  });

  it('a deadlock PostgreSQL broke and a serialization failure are conflicts to run again, not an unavailable database', async () => {
    await db('t').insert([{ id: 101 }, { id: 102 }]);
    // Two transactions lock the same two rows in opposite orders: PostgreSQL aborts one (40P01).
    let step!: () => void;
    const bothLocked = new Promise<void>((r) => (step = r));
    let locked = 0;
    const lockThen = (first: number, second: number) =>
      db.transaction(async (trx) => {
        await trx('t').where({ id: first }).update({ id: first });
        if (++locked === 2) step();
        await bothLocked;
        await trx('t').where({ id: second }).update({ id: second });
      });
    const outcomes = await Promise.allSettled([lockThen(101, 102), lockThen(102, 101)]);
    const deadlock = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
    assert.equal(deadlock.length, 1, 'one of the two was aborted');
    assert.ok(isTransactionConflict(deadlock[0]) && !isDatabaseUnavailable(deadlock[0]), String(deadlock[0]));
    assert.equal(conflictReason(deadlock[0]), 'PostgreSQL 40P01: deadlock detected');

    // A row changed by another transaction after a REPEATABLE READ one first read: 40001.
    const serialization = await failure(
      db.transaction(async (trx) => {
        await trx.raw('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
        await trx('t').where({ id: 101 }).first();
        await db('t').where({ id: 101 }).update({ id: 103 });
        await trx('t').where({ id: 101 }).update({ id: 104 });
      }),
    );
    assert.ok(isTransactionConflict(serialization) && !isDatabaseUnavailable(serialization), String(serialization));
    assert.equal(conflictReason(serialization), 'PostgreSQL 40001: serialization failure');
    assert.ok(!isTransactionConflict(new Error('boom')));
  });
});
