import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Database } from '../../src/db/connect.js';

export interface ShownVisit {
  visitId: string;
  number: string | null;
  pool: string | null;
  type: string;
}

/** Fires `count` POST /v1/visits at once, spread over the given servers (one per calltrack node). */
export async function fireParallelVisits(
  baseUrls: string[],
  count: number,
  landing: (i: number) => string = (i) => `https://shop.example.com/?utm_source=s${i}`,
): Promise<ShownVisit[]> {
  const requests = Array.from({ length: count }, async (_, i) => {
    const res = await fetch(`${baseUrls[i % baseUrls.length]}/v1/visits`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: landing(i), visitorId: `visitor-${i}-${randomUUID()}` }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    return (await res.json()) as ShownVisit;
  });
  return Promise.all(requests);
}

/**
 * What must hold after any amount of concurrency: no number is shown to two visits as held at
 * once, every running hold has exactly one row in number_holds, and the number row names the
 * visit that was told it got the number.
 */
export async function assertHoldsConsistent(db: Database, shown: ShownVisit[], poolName: string): Promise<void> {
  const running = (await db('number_holds').whereNull('ended_reason').select('number_id', 'visit_id')) as {
    number_id: number;
    visit_id: string;
  }[];
  const perNumber = new Map<number, number>();
  for (const r of running) perNumber.set(r.number_id, (perNumber.get(r.number_id) ?? 0) + 1);
  for (const [numberId, n] of perNumber) assert.equal(n, 1, `number id ${numberId} has ${n} running holds`);

  const numbers = (await db('tracking_numbers').where({ pool_name: poolName, kind: 'pool' }).select('id', 'number', 'hold_visit_id')) as {
    id: number;
    number: string;
    hold_visit_id: string | null;
  }[];
  const byVisit = new Map(shown.map((s) => [s.visitId, s]));
  for (const n of numbers) {
    if (!n.hold_visit_id) continue;
    assert.equal(byVisit.get(n.hold_visit_id)?.number, n.number, `${n.number} is held by a visit that was shown another number`);
    assert.equal(running.find((r) => r.number_id === n.id)?.visit_id, n.hold_visit_id);
  }
}

/** With `poolSize` free numbers and more requests than that, each number goes to exactly one visit. */
export async function assertExactlyOnePerNumber(db: Database, shown: ShownVisit[], poolSize: number, poolName: string): Promise<void> {
  const dynamic = shown.filter((s) => s.type === 'dynamic').map((s) => s.number);
  assert.equal(dynamic.length, poolSize, `expected ${poolSize} pool numbers handed out, got ${dynamic.length}`);
  assert.equal(new Set(dynamic).size, poolSize, 'a number was handed to two visits');
  assert.equal(shown.filter((s) => s.type === 'fallback').length, shown.length - poolSize);
  const exhausted = (await db('pool_events').where({ pool_name: poolName, kind: 'exhausted' }).count({ n: '*' }).first()) as { n: number | string };
  assert.equal(Number(exhausted.n), shown.length - poolSize, 'every exhaustion is recorded');
  await assertHoldsConsistent(db, shown, poolName);
}
