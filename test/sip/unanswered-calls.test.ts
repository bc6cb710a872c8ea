import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { addFailoverNumber, startSipHarness, type SipHarness } from '../support/sip-harness.js';

describe('calls that are not answered', () => {
  let h: SipHarness;
  before(async () => {
    h = await startSipHarness({
      ringTimeoutMs: 300,
      doc: addFailoverNumber,
    });
  });
  after(() => h.stop());

  it('passes busy to the caller and records busy', async () => {
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000001' });
    const callee = await h.fake.sip.nextInvite();
    callee.ring();
    await caller.waitForStatus(180);
    h.clock.advance(3_000);
    callee.reject(486);
    assert.equal((await caller.finalResponse()).status, 486);
    const row = await h.finalRow(caller.callId);
    assert.deepEqual(
      { status: row.status, sipCode: row.sipCode, hangupBy: row.hangupBy, ringSeconds: row.ringSeconds, talkSeconds: row.talkSeconds, answeredAt: row.answeredAt },
      { status: 'busy', sipCode: 486, hangupBy: 'callee', ringSeconds: 3, talkSeconds: null, answeredAt: null },
    );
    assert.deepEqual(h.events.typesFor(caller.callId), ['call.started', 'call.missed']);
    assert.deepEqual(h.fake.sip.openDialogs(), []);
  });

  it('cancels the forward at the ring timeout and answers the caller 480', async () => {
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000001' });
    const callee = await h.fake.sip.nextInvite();
    callee.ring();
    const cancel = await callee.waitForRequest('CANCEL');
    assert.match(cancel.headers.find(([n]) => n === 'Reason')?.[1] ?? '', /ring timeout/);
    assert.equal((await caller.finalResponse()).status, 480);
    assert.deepEqual(caller.codes(), [100, 180, 480]);
    const row = await h.finalRow(caller.callId);
    assert.deepEqual({ status: row.status, sipCode: row.sipCode, hangupBy: row.hangupBy }, { status: 'no-answer', sipCode: 480, hangupBy: 'system' });
  });

  it('fails over to the next target on busy, and records the one that answered', async () => {
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000002' });
    const first = await h.fake.sip.nextInvite();
    assert.equal(first.uri, 'sip:+74951110001@127.0.0.1:5090');
    first.reject(486);
    const second = await h.fake.sip.nextInvite();
    assert.equal(second.uri, 'sip:+74951110002@127.0.0.1:5090');
    assert.equal(second.get('X-Calltrack-Source'), 'Billboard');
    second.answer();
    assert.equal((await caller.finalResponse()).status, 200);
    await caller.bye();
    await second.waitForRequest('BYE');
    const row = await h.finalRow(caller.callId);
    assert.equal(row.status, 'answered');
    assert.equal(row.forwardedTo, '+74951110002');
  });

  it('fails over when a target is unreachable, and reports the last failure when all fail', async () => {
    h.fake.sip.setUnreachable((uri) => uri.includes('+74951110001'));
    try {
      const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000002' });
      const second = await h.fake.sip.nextInvite();
      assert.equal(second.uri, 'sip:+74951110002@127.0.0.1:5090');
      second.reject(503);
      assert.equal((await caller.finalResponse()).status, 502, 'a 5xx from the target is a bad gateway for the caller');
      const row = await h.finalRow(caller.callId);
      assert.deepEqual({ status: row.status, sipCode: row.sipCode, hangupBy: row.hangupBy }, { status: 'failed', sipCode: 502, hangupBy: 'system' });
    } finally {
      h.fake.sip.setUnreachable(() => false);
    }
  });

  it('reports no-answer when the last target times out after an earlier one was busy', async () => {
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000002' });
    (await h.fake.sip.nextInvite()).reject(486);
    const second = await h.fake.sip.nextInvite();
    second.ring();
    await second.waitForRequest('CANCEL');
    assert.equal((await caller.finalResponse()).status, 480);
    assert.equal((await h.finalRow(caller.callId)).status, 'no-answer');
  });
});

describe('a target that asks for credentials', () => {
  let h: SipHarness;
  before(async () => {
    h = await startSipHarness({
      sip: { trunks: [{ name: 'carrier', allow: ['127.0.0.1'], outbound: 'sip:{digits}@127.0.0.1:5090', auth: { username: 'calltrack', password: 's3cret' } }] },
    });
  });
  after(() => h.stop());

  it('answers a 401 with digest credentials from the trunk config', async () => {
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000001' });
    const first = await h.fake.sip.nextInvite();
    assert.equal(first.uri, 'sip:74951112233@127.0.0.1:5090', '{digits} drops the +');
    first.challenge('pbx.example.com', 'abc123');
    const retry = await h.fake.sip.nextInvite();
    const auth = retry.get('Authorization') ?? '';
    assert.match(auth, /^Digest /);
    assert.match(auth, /username="calltrack"/);
    const ha1 = md5('calltrack:pbx.example.com:s3cret');
    const ha2 = md5(`INVITE:${retry.uri}`);
    assert.match(auth, new RegExp(`response="${md5(`${ha1}:abc123:${ha2}`)}"`));
    assert.equal(retry.get('Call-ID'), first.get('Call-ID'));
    retry.answer();
    assert.equal((await caller.finalResponse()).status, 200);
    await caller.bye();
    await retry.waitForRequest('BYE');
    assert.equal((await h.finalRow(caller.callId)).status, 'answered');
  });
});

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}
