import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestPostgres } from '../support/postgres.js';
import { Scrape } from '../support/prometheus-text.js';
import { pool, twoNodes, type TrackingFixture } from '../support/tracking-app.js';

const pgServer = await startTestPostgres();
after(() => pgServer.stop());

const DOC = { pools: [pool('ads', 1, 2, { fallbackNumber: '+74950009901' })] };

/**
 * Two calltrack nodes on one PostgreSQL database: the database's series are the same on both
 * (README: aggregate them with max()), the visit counters are each node's own (sum()).
 */
describe('GET /metrics on PostgreSQL: two nodes, one database', { skip: pgServer.skipReason }, () => {
  let nodes: TrackingFixture[] = [];
  before(async () => {
    nodes = await twoNodes(DOC, await pgServer.createDatabase(), { listen: true });
  });
  after(() => Promise.all(nodes.map((n) => n.close())));

  const scrape = async (n: TrackingFixture) => new Scrape(await (await fetch(`${n.url}/metrics`)).text());
  const visit = async (n: TrackingFixture, visitorId: string) => {
    const res = await fetch(`${n.url}/v1/visits`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'https://shop.example.com/?utm_source=google&utm_medium=cpc', visitorId }),
    });
    return ((await res.json()) as { type: string }).type;
  };

  it('reports the shared pool on every node, and each node its own visits', async () => {
    const [a, b] = nodes;
    assert.ok(a && b);
    for (const n of nodes) assert.equal((await scrape(n)).value('calltrack_pool_exhaustions_total', { pool: 'ads' }), 0);
    assert.deepEqual([await visit(a, 'v1'), await visit(a, 'v2'), await visit(b, 'v3')], ['dynamic', 'dynamic', 'fallback']);

    // Events are counted once a few seconds old (ids may commit out of order across nodes).
    assert.equal((await scrape(a)).value('calltrack_pool_exhaustions_total', { pool: 'ads' }), 0);
    a.clock.advance(6_000);
    const [sa, sb] = [await scrape(a), await scrape(b)];
    for (const s of [sa, sb]) {
      assert.equal(s.value('calltrack_database_up'), 1);
      assert.equal(s.value('calltrack_pool_numbers', { pool: 'ads' }), 2);
      assert.equal(s.value('calltrack_pool_numbers_held', { pool: 'ads' }), 2);
      assert.equal(s.value('calltrack_pool_exhaustions_total', { pool: 'ads' }), 1, 'each node counts the shared table: max(), not sum()');
      assert.equal(s.value('calltrack_pool_fallback_shows_total', { pool: 'ads' }), 1);
    }
    assert.equal(sa.value('calltrack_visits_started_total', { pool: 'ads', type: 'dynamic' }), 2);
    assert.equal(sb.value('calltrack_visits_started_total', { pool: 'ads', type: 'fallback' }), 1);
    assert.equal(sb.value('calltrack_visits_started_total', { pool: 'ads', type: 'dynamic' }), 0, 'visits are counted by the node that served them');
  });
});
