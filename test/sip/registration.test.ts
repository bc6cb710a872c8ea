import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { FakeRegistrar, FakeRegistrarOptions } from '../support/fake-drachtio/fake-registrar.js';
import { header, requestUri, statusOf, tagOf, type SipText } from '../support/fake-drachtio/sip-text.js';
import { makeConfig } from '../support/config.js';
import { capturingLogger } from '../support/logger.js';
import { ManualTimers } from '../support/manual-timers.js';
import { Scrape } from '../support/prometheus-text.js';
import { startSipHarness, type SipHarness } from '../support/sip-harness.js';
import { waitFor } from '../support/wait.js';

const PASSWORD = 's3cret-Reg1ster';
/** The provider: its registrar and its SIP servers are 127.0.0.2 (the harness's own trunk is 127.0.0.1). */
const PROVIDER = { address: '127.0.0.2', port: 5070, realm: 'provider.test', username: '100200', password: PASSWORD };

function providerTrunk(register: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'provider',
    allow: ['127.0.0.2'],
    outbound: 'sip:{number}@127.0.0.2:5090',
    register: { registrar: '127.0.0.2:5070', username: '100200', password: PASSWORD, number: '+74950000001', ...register },
  };
}

interface Setup {
  h: SipHarness;
  registrar: FakeRegistrar;
  timers: ManualTimers;
  doc: Record<string, unknown>;
  lines: ReturnType<typeof capturingLogger>['lines'];
}

let current: SipHarness | undefined;
afterEach(async () => {
  await current?.stop();
  current = undefined;
});

async function setup(opts: { register?: Record<string, unknown>; registrar?: Partial<FakeRegistrarOptions>; trunk?: boolean } = {}): Promise<Setup> {
  const timers = new ManualTimers();
  const { logger, lines } = capturingLogger('debug');
  let registrar: FakeRegistrar | undefined;
  let doc: Record<string, unknown> = {};
  const h = await startSipHarness({
    timers,
    logger,
    doc: (d) => {
      if (opts.trunk !== false) (d.sip as { trunks: unknown[] }).trunks.push(providerTrunk(opts.register));
      doc = d;
    },
    network: (fake) => {
      registrar = fake.sip.addRegistrar({ ...PROVIDER, ...opts.registrar });
    },
  });
  current = h;
  return { h, registrar: registrar!, timers, doc, lines };
}

const registered = (h: SipHarness) => waitFor(() => h.app.registrar.states()[0]?.phase === 'registered', () => `registered; state ${JSON.stringify(h.app.registrar.states())}`);
const failing = (h: SipHarness) => waitFor(() => h.app.registrar.states()[0]?.phase === 'failing', () => `failing; state ${JSON.stringify(h.app.registrar.states())}`);
const registers = (r: FakeRegistrar, n: number) => waitFor(() => r.registers.all.length >= n, () => `${n} REGISTERs; got ${r.registers.all.length}`);
const cseq = (msg: SipText) => Number((header(msg, 'CSeq') ?? '').split(' ')[0]);

async function healthz(h: SipHarness) {
  const res = await h.app.http.inject({ method: 'GET', url: '/healthz' });
  return res.json<{ status: string; components: Record<string, { state: string; detail?: string }> }>();
}

async function scrape(h: SipHarness): Promise<Scrape> {
  return new Scrape(await h.app.metrics.metrics());
}

function withTrunks(doc: Record<string, unknown>, trunks: unknown[]): Record<string, unknown> {
  const next = structuredClone(doc);
  (next.sip as { trunks: unknown[] }).trunks = trunks;
  return next;
}

describe('outbound SIP registration', () => {
  it('registers the account with digest auth: AOR in From/To, the tracking number in Contact, Expires', async () => {
    const { h, registrar, timers, lines } = await setup();
    await registered(h);

    const [first, second] = registrar.registers.all;
    assert.ok(first && second);
    assert.equal(requestUri(first), 'sip:127.0.0.2:5070');
    assert.match(header(first, 'From') ?? '', /^<sip:100200@127\.0\.0\.2>;tag=\w+/);
    assert.equal(header(first, 'To'), '<sip:100200@127.0.0.2>');
    assert.equal(header(first, 'Contact'), '<sip:74950000001@127.0.0.1:5060>;expires=600', 'drachtio-server put its own address in place of localhost');
    assert.equal(header(first, 'Expires'), '600');
    assert.equal(header(first, 'Authorization'), undefined);
    // The answer to the challenge: same Call-ID and From tag, the next CSeq, a digest the registrar accepted.
    assert.equal(header(second, 'Call-ID'), header(first, 'Call-ID'));
    assert.equal(tagOf(header(second, 'From')), tagOf(header(first, 'From')));
    assert.equal(cseq(second), cseq(first) + 1);
    assert.match(header(second, 'Authorization') ?? '', /^Digest username="100200",realm="provider\.test"/);
    assert.deepEqual([...registrar.bindings], [['sip:74950000001@127.0.0.1:5060', 600]]);

    const state = h.app.registrar.states()[0]!;
    assert.equal(state.until, h.clock.now() + 600_000);
    const health = await healthz(h);
    assert.equal(health.components['sip-registrations']?.state, 'up');
    assert.match(health.components['sip-registrations']?.detail ?? '', /^provider \(sip:100200@127\.0\.0\.2\): registered until 2026-11-23T10:10:00\.000Z$/);
    const metrics = await scrape(h);
    assert.equal(metrics.value('calltrack_sip_registration_up', { trunk: 'provider' }), 1);
    assert.equal(metrics.value('calltrack_component_up', { component: 'sip-registrations' }), 1);
    assert.deepEqual(timers.pendingDelays(), [300_000], 'the refresh, at half the expiry, is the only timer');

    const active = lines.find((l) => l.msg === 'SIP registration active');
    assert.ok(active, 'the change is logged');
    assert.equal(active.trunk, 'provider');
    assert.ok(!JSON.stringify(lines).includes(PASSWORD), 'the password is never logged');
  });

  it('refreshes before expiry at half of what the registrar granted, same Call-ID, higher CSeq', async () => {
    // The 200 lists another device's binding on the account first: ours is found by its Contact.
    const { h, registrar, timers } = await setup({ registrar: { grant: () => 120, otherContact: 'sip:100200@10.0.0.5:5060' } });
    await registered(h);
    assert.equal(h.app.registrar.states()[0]?.until, h.clock.now() + 120_000, 'the shorter expiry granted is honoured');
    assert.deepEqual(timers.pendingDelays(), [60_000]);
    const before = registrar.registers.all.length;
    const lastCseq = cseq(registrar.registers.all.at(-1)!);

    timers.advance(60_000);
    await registers(registrar, before + 2);
    const refresh = registrar.registers.all[before]!;
    assert.equal(header(refresh, 'Call-ID'), header(registrar.registers.all[0]!, 'Call-ID'), 'one Call-ID per binding');
    assert.ok(cseq(refresh) > lastCseq, `CSeq ${cseq(refresh)} after ${lastCseq}`);
    await waitFor(() => timers.pendingDelays().length === 1 && timers.pendingDelays()[0] === 60_000, 'the next refresh');
  });

  it('with a wrong password reports failing in /healthz and /metrics and retries with backoff, never in a loop', async () => {
    const { h, registrar, timers, lines } = await setup({ registrar: { password: 'another' } });
    await failing(h);
    assert.equal(registrar.registers.all.length, 2, 'one REGISTER and one answer to the challenge');
    assert.deepEqual(timers.pendingDelays(), [30_000]);

    const health = await healthz(h);
    assert.equal(health.status, 'degraded');
    assert.equal(health.components['sip-registrations']?.state, 'down');
    assert.match(health.components['sip-registrations']?.detail ?? '', /failing: 401 Unauthorized: the registrar refused the credentials/);
    const metrics = await scrape(h);
    assert.equal(metrics.value('calltrack_sip_registration_up', { trunk: 'provider' }), 0);
    assert.equal(metrics.value('calltrack_sip_registration_failures_total', { trunk: 'provider', status: '401' }), 1);
    assert.equal(lines.filter((l) => l.msg === 'SIP registration failing; retrying with backoff').length, 1);

    timers.advance(30_000);
    await registers(registrar, 4);
    await waitFor(() => timers.pendingDelays()[0] === 60_000, () => `backoff doubled; pending ${timers.pendingDelays().join(', ')}`);
    timers.advance(60_000);
    await registers(registrar, 6);
    await waitFor(() => timers.pendingDelays()[0] === 120_000, 'backoff doubled again');
    assert.equal(registrar.registers.all.length, 6);
    assert.equal(lines.filter((l) => l.msg === 'SIP registration failing; retrying with backoff').length, 1, 'the same failure is logged once');
  });

  it('a registrar answering 403 is failing with the hint; a reload with the right password registers at once', async () => {
    const { h, registrar, doc } = await setup({ register: { password: 'wrong' }, registrar: { wrongPassword: 403 } });
    await failing(h);
    assert.equal(h.app.registrar.states()[0]?.lastStatus, 403);
    assert.match(h.app.registrar.states()[0]?.lastReason ?? '', /wrong credentials, or the provider blocks/);

    const trunks = (doc.sip as { trunks: unknown[] }).trunks.slice(0, 1);
    await h.app.reload(makeConfig(withTrunks(doc, [...trunks, providerTrunk()])));
    await registered(h);
    assert.equal((await healthz(h)).components['sip-registrations']?.state, 'up');
    assert.equal(header(registrar.authorized().at(-1)!, 'Call-ID'), header(registrar.registers.all[0]!, 'Call-ID'), 'the same binding, new credentials');
  });

  it('with a domain apart from the registrar: AOR and Request-URI on the domain, the registrar as outbound proxy; contactHost', async () => {
    const { h, registrar } = await setup({ register: { domain: 'provider.test', contactHost: '203.0.113.10:5062', number: undefined } });
    await registered(h);
    const sent = registrar.authorized().at(-1)!;
    assert.equal(requestUri(sent), 'sip:provider.test');
    assert.equal(header(sent, 'To'), '<sip:100200@provider.test>');
    assert.match(header(sent, 'Authorization') ?? '', /uri="sip:provider\.test"/);
    assert.equal(header(sent, 'Contact'), '<sip:100200@203.0.113.10:5062>;expires=600', 'without number the Contact user is the login');
  });

  it('asks again with the Min-Expires of a 423', async () => {
    const { h, registrar, timers } = await setup({ registrar: { minExpires: 1200 } });
    await registered(h);
    assert.equal(/expires=(\d+)/.exec(header(registrar.authorized().at(-1)!, 'Contact') ?? '')?.[1], '1200');
    assert.deepEqual(timers.pendingDelays(), [600_000]);
  });

  it('a registration not refreshed in time is no longer shown as registered', async () => {
    const { h } = await setup();
    await registered(h);
    h.clock.advance(600_000); // the refresh timer (manual) never fired: as if drachtio-server had been away
    const health = await healthz(h);
    assert.equal(health.components['sip-registrations']?.state, 'connecting');
    assert.match(health.components['sip-registrations']?.detail ?? '', /: not registered \(lapsed at 2026-11-23T10:10:00\.000Z without a refresh\)/);
    assert.equal((await scrape(h)).value('calltrack_sip_registration_up', { trunk: 'provider' }), 0);
  });

  it('registers again when drachtio-server comes back', async () => {
    const { h, registrar } = await setup();
    await registered(h);
    const before = registrar.registers.all.length;
    h.fake.dropApps();
    await registers(registrar, before + 2);
    await registered(h);
    assert.equal(header(registrar.registers.all[before]!, 'Call-ID'), header(registrar.registers.all[0]!, 'Call-ID'));
  });

  it('a reload adds a registration and removing it unregisters (Expires: 0)', async () => {
    const { h, registrar, timers, doc } = await setup({ trunk: false });
    assert.equal((await healthz(h)).components['sip-registrations']?.state, 'disabled');
    const base = (doc.sip as { trunks: unknown[] }).trunks;

    await h.app.reload(makeConfig(withTrunks(doc, [...base, providerTrunk()])));
    await registered(h);
    assert.equal(registrar.bindings.size, 1);

    await h.app.reload(makeConfig(withTrunks(doc, base)));
    await waitFor(() => registrar.bindings.size === 0, 'the binding removed at the registrar');
    const last = registrar.registers.all.at(-1)!;
    assert.equal(header(last, 'Expires'), '0');
    assert.equal(header(last, 'Contact'), '<sip:74950000001@127.0.0.1:5060>;expires=0');
    assert.equal((await healthz(h)).components['sip-registrations']?.state, 'disabled');
    assert.equal((await scrape(h)).value('calltrack_sip_registration_up', { trunk: 'provider' }), undefined);
    assert.deepEqual(timers.pendingDelays(), []);
  });

  it('a reload that changes the Contact removes the old binding before registering the new one', async () => {
    const { h, registrar, doc } = await setup();
    await registered(h);
    const base = (doc.sip as { trunks: unknown[] }).trunks.slice(0, 1);
    await h.app.reload(makeConfig(withTrunks(doc, [...base, providerTrunk({ number: '+74950000101' })])));
    await waitFor(() => registrar.bindings.has('sip:74950000101@127.0.0.1:5060') && h.app.registrar.states()[0]?.phase === 'registered', 'the new binding');
    assert.deepEqual([...registrar.bindings.keys()], ['sip:74950000101@127.0.0.1:5060'], 'the old Contact is gone');
    const expiries = registrar.authorized().map((r) => `${/sip:(\d+)@/.exec(header(r, 'Contact') ?? '')?.[1]} ${header(r, 'Expires')}`);
    assert.deepEqual(expiries.slice(-2), ['74950000001 0', '74950000101 600'], 'removal first, then the new binding');
  });

  it('a stop unregisters and leaves no timer', async () => {
    const { h, registrar, timers } = await setup();
    await registered(h);
    await h.stop();
    assert.equal(registrar.bindings.size, 0);
    assert.equal(header(registrar.registers.all.at(-1)!, 'Expires'), '0');
    assert.deepEqual(timers.pendingDelays(), []);
  });

  it('an INVITE from the provider to the registered Contact rings the tracking number', async () => {
    const { h, registrar } = await setup();
    await registered(h);
    const contactUser = [...registrar.bindings.keys()][0]!.replace(/^sip:([^@]+)@.*/, '$1');
    // The provider retargets the call to the binding: the Contact user in the Request-URI, the AOR in To.
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '100200', ruriUser: contactUser, address: PROVIDER.address });
    const callee = await h.fake.sip.nextInvite();
    assert.equal(callee.uri, 'sip:+74951112233@127.0.0.2:5090', 'forwarded through the provider trunk');
    callee.answer();
    assert.equal((await caller.finalResponse()).status, 200);
    await h.answered(caller.callId);
    assert.equal(statusOf(await caller.bye()), 200);
    const row = await h.finalRow(caller.callId);
    assert.deepEqual({ tracking: row.trackingNumber, trunk: row.trunk, status: row.status }, { tracking: '+74950000001', trunk: 'provider', status: 'answered' });
  });

  it('a provider that puts the account login in the Request-URI still reaches the number; strangers still get 403', async () => {
    const { h } = await setup();
    await registered(h);
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '100200', ruriUser: '100200', address: PROVIDER.address });
    const callee = await h.fake.sip.nextInvite();
    callee.reject(486);
    await caller.finalResponse();
    assert.equal((await h.finalRow(caller.callId)).trackingNumber, '+74950000001');

    const stranger = h.fake.sip.placeCall({ from: '79161234567', to: '100200', ruriUser: '74950000001', address: '127.0.0.3' });
    assert.equal((await stranger.finalResponse()).status, 403, 'registration does not open the trunk to other addresses');
  });
});
