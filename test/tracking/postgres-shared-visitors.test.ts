import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { assertHoldsConsistent, type ShownVisit } from '../support/parallel-visits.js';
import { startTestPostgres } from '../support/postgres.js';
import { MINUTE, pool, trackingApp, twoNodes, type TrackingFixture } from '../support/tracking-app.js';

const pgServer = await startTestPostgres();
after(() => pgServer.stop());

const DOC = {
  http: { host: '127.0.0.1', port: 8080, rateLimit: { max: 100_000, windowSeconds: 60 } },
  numbers: [],
  pools: [pool('ads', 1, 60, { fallbackNumber: '+74950009901' })],
};
const VISITORS = 24;
const ROUNDS = 6;
const SITE = 'https://shop.example.com';

/** One request as the page would send it, to one node; its status and JSON body (if any). */
async function post(base: string, path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> | null; path: string }> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : null, path };
}

/** The database's own count of deadlocks it broke, read once no connection of the nodes is left (their statistics are flushed on exit). */
async function deadlocksOf(url: string): Promise<number> {
  const name = new URL(url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    for (let i = 0; i < 100; i++) {
      const { rows } = await admin.query<{ n: number; deadlocks: string }>('SELECT numbackends AS n, deadlocks FROM pg_stat_database WHERE datname = $1', [name]);
      // Only this reader is left: every node's backend has exited and reported.
      if (rows[0] && rows[0].n <= 1) {
        await new Promise((r) => setTimeout(r, 200));
        const again = await admin.query<{ deadlocks: string }>('SELECT deadlocks FROM pg_stat_database WHERE datname = $1', [name]);
        return Number(again.rows[0]?.deadlocks);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the nodes kept connections open');
  } finally {
    await admin.end();
  }
}

/**
 * Two calltrack nodes behind a balancer that does not stick a visitor to a node: a visitor's tabs,
 * pings and goodbyes reach both at the same instant. What a visitor must see: every request
 * answered (no 500, no 503), one number in every tab and every ping, that number held by exactly
 * one visit (its latest), and a call on it attributed to that visit.
 */
describe('PostgreSQL: two calltrack nodes serving the same visitors at once', { skip: pgServer.skipReason }, () => {
  let nodes: TrackingFixture[] = [];
  let pgUrl = '';
  before(async () => {
    pgUrl = await pgServer.createDatabase();
    nodes = await twoNodes(DOC, pgUrl, { listen: true });
  });
  after(async () => {
    for (const n of nodes) await n.close();
  });

  it('first requests, second tabs, new ads, pings and releases of each visitor on both nodes at once: one number per visitor, no error, no deadlock', async () => {
    const [a, b] = [nodes[0]!, nodes[1]!];
    const bases = [a.url, b.url];
    const visitors = Array.from({ length: VISITORS }, () => randomUUID());
    const visitOf = new Map<string, string>();
    const numberOf = new Map<string, string>();
    const shown: ShownVisit[] = [];
    const failures: string[] = [];

    /** Checks one visitor's answers of a round and returns the visit they name. */
    const settle = (visitor: string, answers: Awaited<ReturnType<typeof post>>[]) => {
      for (const r of answers) if (r.status >= 300) failures.push(`${r.path}: ${r.status} ${JSON.stringify(r.json)}`);
      const visits = answers.filter((r) => r.path === '/v1/visits' && r.status === 201).map((r) => r.json!);
      const numbers = new Set(answers.filter((r) => r.json && r.status < 300).map((r) => r.json!.number as string));
      if (!numberOf.has(visitor) && numbers.size === 1) numberOf.set(visitor, [...numbers][0]!);
      assert.deepEqual([...numbers], [numberOf.get(visitor)], `visitor ${visitor} was shown ${[...numbers].join(', ')} in one round`);
      const ids = new Set(visits.map((v) => v.visitId as string));
      assert.ok(ids.size <= 1, `visitor ${visitor}'s tabs of one round were given visits ${[...ids].join(', ')}`);
      for (const v of visits) shown.push({ visitId: v.visitId as string, number: v.number as string, pool: v.pool as string, type: v.type as string });
      if (ids.size === 1) visitOf.set(visitor, [...ids][0]!);
    };

    // Each visitor's first page opens in three tabs at once: two on one node (the same batch
    // there), one on the other.
    const firstPages = await Promise.all(
      visitors.map((visitor, i) =>
        Promise.all(
          [bases[i % 2]!, ...bases].map((base) => post(base, '/v1/visits', { visitorId: visitor, url: `${SITE}/?utm_source=s${i}&utm_medium=cpc&utm_campaign=first` })),
        ),
      ),
    );
    visitors.forEach((v, i) => settle(v, firstPages[i]!));

    for (let round = 1; round <= ROUNDS; round++) {
      a.clock.advance(MINUTE);
      const newAd = round % 3 === 0;
      const answers = await Promise.all(
        visitors.map((visitor, i) => {
          const visitId = visitOf.get(visitor)!;
          const page = `${SITE}/page-${round}`;
          const tab = newAd ? `${SITE}/?utm_source=s${i}&utm_medium=cpc&utm_campaign=round${round}` : page;
          const requests = [
            // Second tabs (or a click on a new ad) on both nodes...
            ...bases.map((base) => post(base, '/v1/visits', { visitorId: visitor, url: tab })),
            // ...while the open tab pings both, and a closing tab says goodbye.
            ...(newAd ? [] : bases.map((base) => post(base, `/v1/visits/${visitId}/ping`, { url: page }))),
            ...(newAd ? [] : [post(bases[(round + i) % 2]!, `/v1/visits/${visitId}/release`, {})]),
          ];
          return Promise.all(requests);
        }),
      );
      visitors.forEach((v, i) => settle(v, answers[i]!));
    }
    assert.deepEqual(failures, [], 'every request was answered');

    const db = a.app.db;
    await assertHoldsConsistent(db, shown, 'ads');
    const running = (await db('tracking_numbers as n')
      .join('visits as v', 'v.id', 'n.hold_visit_id')
      .where('n.hold_until', '>', a.clock.now())
      .select('v.visitor_id', 'n.number', 'n.hold_visit_id')) as { visitor_id: string; number: string; hold_visit_id: string }[];
    for (const visitor of visitors) {
      const held = running.filter((r) => r.visitor_id === visitor);
      assert.deepEqual(
        held.map((r) => [r.number, r.hold_visit_id]),
        [[numberOf.get(visitor), visitOf.get(visitor)]],
        `visitor ${visitor} holds one number, by its latest visit`,
      );
      const call = await a.app.attributor.attribute({ trackingNumber: numberOf.get(visitor)!, callerNumber: '+79161234567', at: a.clock.now() });
      assert.equal(call?.visitId, visitOf.get(visitor), 'a call on the number goes to the visitor\'s latest visit');
    }

    for (const n of nodes) await n.close();
    nodes = [];
    assert.equal(await deadlocksOf(pgUrl), 0, 'PostgreSQL broke no deadlock (each costs a visitor deadlock_timeout, 1 s)');
  });
});

/**
 * Whatever still conflicts (a deadlock PostgreSQL broke, a serialization failure) is run again
 * from the start: the visitor gets its answer, not a 500. The conflicts are PostgreSQL's own
 * errors, raised by a trigger for the next statements writing a table (a sequence per table
 * counts them down: unlike a row, it is not rolled back with the aborted transaction).
 */
describe('PostgreSQL: a transaction aborted for a deadlock is run again', { skip: pgServer.skipReason }, () => {
  let f: TrackingFixture;
  const TABLES = ['visits', 'number_holds'] as const;
  before(async () => {
    f = await trackingApp(DOC, { pgUrl: await pgServer.createDatabase(), listen: true });
    await f.app.db.raw(`CREATE FUNCTION conflict() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF nextval(TG_ARGV[0]) <= 0 THEN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = 'deadlock_detected'; END IF; RETURN NULL; END $$`);
    for (const t of TABLES) {
      await f.app.db.raw(`CREATE SEQUENCE ${t}_conflicts; CREATE TRIGGER ${t}_conflict BEFORE INSERT OR UPDATE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION conflict('${t}_conflicts')`);
    }
  });
  after(() => f?.close());
  /** The next `count` statements writing `table` fail with 40P01. */
  const conflicts = (table: (typeof TABLES)[number], count: number) => f.app.db.raw(`ALTER SEQUENCE ${table}_conflicts MINVALUE ${-count} RESTART WITH ${1 - count}`);
  /** Every conflict asked for was raised (the counter went past zero). */
  const assertAllRaised = async (table: (typeof TABLES)[number]) => {
    const { rows } = await f.app.db.raw<{ rows: { last_value: string }[] }>(`SELECT last_value FROM ${table}_conflicts`);
    assert.ok(Number(rows[0]?.last_value) >= 1, `the conflicts on ${table} were not all raised`);
  };

  it('a new visit, a ping and a goodbye that meet two deadlocks each are answered, and written once', async () => {
    await conflicts('visits', 2); // the batch statement, then the visit's own transaction
    const visit = await post(f.url, '/v1/visits', { visitorId: 'retried', url: `${SITE}/?utm_medium=cpc` });
    assert.equal(visit.status, 201, JSON.stringify(visit.json));
    await assertAllRaised('visits');
    const visitId = visit.json!.visitId as string;
    assert.equal((await f.app.visits.findVisit(visitId))?.number, visit.json!.number);

    await conflicts('visits', 2);
    const ping = await post(f.url, `/v1/visits/${visitId}/ping`, { url: `${SITE}/cart` });
    assert.deepEqual([ping.status, ping.json?.number], [200, visit.json!.number]);
    await assertAllRaised('visits');
    assert.equal((await f.app.visits.findVisit(visitId))?.pagesSeen, 2, 'the page was recorded once');

    await conflicts('number_holds', 2);
    const goodbye = await post(f.url, `/v1/visits/${visitId}/release`, {});
    assert.equal(goodbye.status, 204);
    await assertAllRaised('number_holds');
    const running = (await f.app.db('number_holds').where({ visit_id: visitId }).whereNull('ended_reason').first()) as { released_at: number | null };
    assert.equal(running.released_at, f.clock.now());
  });

  it('a transaction that keeps conflicting gets 503 (unavailable), not 500', async () => {
    const visit = await f.app.visits.startVisit({ visitorId: 'unlucky', url: `${SITE}/?utm_medium=cpc` });
    await conflicts('visits', 1000);
    try {
      const ping = await post(f.url, `/v1/visits/${visit.visitId}/ping`, { url: `${SITE}/cart` });
      assert.equal(ping.status, 503);
      assert.equal((ping.json?.error as { code: string }).code, 'unavailable');
      assert.match((ping.json?.error as { message: string }).message, /PostgreSQL 40P01: deadlock detected/);
    } finally {
      await conflicts('visits', 0);
    }
  });
});
