import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSipHarness, type SipHarness } from '../support/sip-harness.js';

describe('who may call, and which numbers', () => {
  let h: SipHarness;
  before(async () => {
    h = await startSipHarness();
  });
  after(() => h.stop());

  it('answers OPTIONS keepalives from trunk addresses 200 and from others 403', async () => {
    assert.equal(await h.fake.sip.sendOptions({ address: '127.0.0.1' }), 200);
    assert.equal(await h.fake.sip.sendOptions({ address: '198.51.100.9' }), 403);
    const metrics = await h.app.metrics.metrics();
    assert.match(metrics, /calltrack_sip_options_total\{result="ok"\} 1/);
    assert.match(metrics, /calltrack_sip_options_total\{result="forbidden"\} 1/);
  });

  it('refuses INVITEs from untrusted addresses with 403, forwards nothing, and counts them', async () => {
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000001', address: '203.0.113.66' });
    assert.equal((await caller.finalResponse()).status, 403);
    assert.equal(h.fake.sip.untakenInvites(), 0);
    assert.equal(await h.row(caller.callId), undefined, 'strangers do not get rows: they could fill the database');
    assert.match(await h.app.metrics.metrics(), /calltrack_sip_invites_rejected_total\{reason="untrusted-source"\} 1/);
  });

  it('rejects a number we do not track with 404 and records the rejection', async () => {
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74959999999' });
    assert.equal((await caller.finalResponse()).status, 404);
    const row = await h.finalRow(caller.callId);
    assert.deepEqual(
      { status: row.status, sipCode: row.sipCode, tracking: row.trackingNumber, type: row.attributionType, hangupBy: row.hangupBy },
      { status: 'rejected', sipCode: 404, tracking: '+74959999999', type: 'unknown', hangupBy: 'system' },
    );
    assert.match(await h.app.metrics.metrics(), /calltrack_calls_total\{status="rejected"\} 1/);
  });

  it('takes the number from To when the Request-URI user is not a number', async () => {
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000001', ruriUser: 'trunk-7' });
    const callee = await h.fake.sip.nextInvite();
    assert.equal(callee.uri, 'sip:+74951112233@127.0.0.1:5090');
    callee.reject(486);
    assert.equal((await caller.finalResponse()).status, 486);
    assert.equal((await h.finalRow(caller.callId)).trackingNumber, '+74950000001');
  });

  it('forwards a pool number with the visit that was shown it', async () => {
    h.attributor.showTo('+74950000101', { visitId: 'visit-1', source: 'google', medium: 'cpc', campaign: 'spring', term: 'plumber', gaClientId: 'GA1.1.5.6', gaSessionId: '1764770000' });
    const caller = h.fake.sip.placeCall({ from: '79031112233', to: '+74950000101' });
    const callee = await h.fake.sip.nextInvite();
    assert.deepEqual(
      ['Source', 'Medium', 'Campaign', 'Term', 'Visit-Id', 'GA-Client-Id', 'GA-Session-Id', 'First-Call'].map((n) => callee.get(`X-Calltrack-${n}`)),
      ['google', 'cpc', 'spring', 'plumber', 'visit-1', 'GA1.1.5.6', '1764770000', 'yes'],
    );
    callee.reject(486);
    await caller.finalResponse();
    const row = await h.finalRow(caller.callId);
    assert.deepEqual(
      { type: row.attributionType, pool: row.poolName, visit: row.visitId, source: row.source, gaSession: row.gaSessionId },
      { type: 'dynamic', pool: 'ads', visit: 'visit-1', source: 'google', gaSession: '1764770000' },
    );
  });

  it('still forwards from the config when attribution throws, without attribution', async () => {
    h.attributor.failure = new Error('SQLITE_BUSY: database is locked');
    try {
      const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000101' });
      const callee = await h.fake.sip.nextInvite();
      assert.equal(callee.uri, 'sip:+74951112233@127.0.0.1:5090');
      assert.equal(callee.get('X-Calltrack-Visit-Id'), undefined);
      callee.reject(486);
      assert.equal((await caller.finalResponse()).status, 486);
      const row = await h.finalRow(caller.callId);
      assert.deepEqual({ type: row.attributionType, pool: row.poolName, status: row.status }, { type: 'unattributed', pool: 'ads', status: 'busy' });
    } finally {
      h.attributor.failure = undefined;
    }
  });

  it('serves /metrics in the Prometheus text format', async () => {
    const res = await h.app.http.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    assert.match(res.body, /# TYPE calltrack_calls_total counter/);
    assert.match(res.body, /calltrack_calls_total\{status="busy"\} [1-9]/);
    assert.match(res.body, /^calltrack_component_up\{component="drachtio"\} 1$/m, 'connected to the (fake) drachtio-server');
  });
});

describe('sip.unknownNumber: forwardTo, and switched-off headers', () => {
  let h: SipHarness;
  before(async () => {
    h = await startSipHarness({
      sip: { unknownNumber: { forwardTo: '+74957770000' }, headers: { source: false, callId: false }, displayNameTag: true, assertIdentity: false },
    });
  });
  after(() => h.stop());

  it('forwards an untracked number to the default target, marked unknown', async () => {
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74959999999' });
    const callee = await h.fake.sip.nextInvite();
    assert.equal(callee.uri, 'sip:+74957770000@127.0.0.1:5090');
    callee.answer();
    await caller.finalResponse();
    await caller.bye();
    const row = await h.finalRow(caller.callId);
    assert.deepEqual({ status: row.status, type: row.attributionType, tracking: row.trackingNumber }, { status: 'answered', type: 'unknown', tracking: '+74959999999' });
  });

  it('leaves out switched-off headers and tags the display name with the source', async () => {
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000001' });
    const callee = await h.fake.sip.nextInvite();
    assert.equal(callee.get('X-Calltrack-Source'), undefined);
    assert.equal(callee.get('X-Calltrack-Call-Id'), undefined);
    assert.equal(callee.get('X-Calltrack-Medium'), 'offline');
    assert.equal(callee.get('P-Asserted-Identity'), undefined);
    assert.match(callee.get('From') ?? '', /^"\[Radio\] \+79161234567" <sip:\+79161234567@127\.0\.0\.1:5060>/);
    callee.reject(486);
    await caller.finalResponse();
  });
});
