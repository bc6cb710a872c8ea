import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { header } from '../support/fake-drachtio/sip-text.js';
import { startSipHarness, type SipHarness } from '../support/sip-harness.js';

describe('graceful shutdown', () => {
  const harnesses: SipHarness[] = [];
  after(async () => {
    for (const h of harnesses.reverse()) await h.stop();
  });

  it('refuses new INVITEs with 503 + Retry-After and lets the call in progress finish', async () => {
    const h = await startSipHarness({ sip: { shutdownGraceSeconds: 30 } });
    harnesses.push(h);
    const caller = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000001' });
    const callee = await h.fake.sip.nextInvite();
    callee.answer();
    await caller.finalResponse();
    await h.answered(caller.callId);

    let stopped = false;
    const stopping = h.app.stop().then(() => (stopped = true));
    const late = h.fake.sip.placeCall({ from: '79035556677', to: '+74950000001' });
    const refused = await late.finalResponse();
    assert.equal(refused.status, 503);
    assert.equal(header(refused.msg, 'Retry-After'), '35');
    assert.equal(stopped, false, 'stop() waits for the call');

    h.clock.advance(5_000);
    await caller.bye();
    await callee.waitForRequest('BYE');
    await stopping;
    // The database is closed now; read the row through a fresh app on the same file.
    const again = await startSipHarness({ doc: (d) => ((d.database as { filename: string }).filename = `${h.dir}/calltrack.sqlite`) });
    harnesses.push(again);
    const row = await again.finalRow(caller.callId);
    assert.deepEqual({ status: row.status, talk: row.talkSeconds, hangupBy: row.hangupBy }, { status: 'answered', talk: 5, hangupBy: 'caller' });
  });

  it('hangs up calls still running when the grace period is over, and finalises their rows', async () => {
    const h = await startSipHarness({ sip: { shutdownGraceSeconds: 0 } });
    harnesses.push(h);
    const talking = h.fake.sip.placeCall({ from: '79161234567', to: '+74950000001' });
    const talkingTarget = await h.fake.sip.nextInvite();
    talkingTarget.answer();
    await talking.finalResponse();
    await h.answered(talking.callId);
    const ringing = h.fake.sip.placeCall({ from: '79035556677', to: '+74950000001' });
    const ringingTarget = await h.fake.sip.nextInvite();
    ringingTarget.ring();
    await ringing.waitForStatus(180);

    h.clock.advance(3_000);
    const stopping = h.app.stop();
    await talking.waitForRequest('BYE');
    await talkingTarget.waitForRequest('BYE');
    await ringingTarget.waitForRequest('CANCEL');
    assert.equal((await ringing.finalResponse()).status, 503);
    await stopping;
    assert.deepEqual(h.fake.sip.openDialogs(), []);

    const again = await startSipHarness({ doc: (d) => ((d.database as { filename: string }).filename = `${h.dir}/calltrack.sqlite`) });
    harnesses.push(again);
    const talked = await again.finalRow(talking.callId);
    assert.deepEqual({ status: talked.status, talk: talked.talkSeconds, hangupBy: talked.hangupBy }, { status: 'answered', talk: 3, hangupBy: 'system' });
    const rang = await again.finalRow(ringing.callId);
    assert.deepEqual({ status: rang.status, sipCode: rang.sipCode, hangupBy: rang.hangupBy }, { status: 'failed', sipCode: 503, hangupBy: 'system' });
  });
});
