import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sdp } from '../support/fake-drachtio/parties.js';
import { header, statusOf } from '../support/fake-drachtio/sip-text.js';
import { answeredCall, startSipHarness, type SipHarness } from '../support/sip-harness.js';

const DTMF_5 = 'Signal=5\r\nDuration=160\r\n';

/**
 * INFO (DTMF as application/dtmf-relay, driving the target's IVR) and NOTIFY cross to the other
 * leg with their body; that side's final response comes back. drachtio-srf alone would answer
 * them 200 itself and the other side would never see them.
 */
describe('in-dialog INFO, NOTIFY and UPDATE relay', () => {
  let h: SipHarness;
  before(async () => {
    h = await startSipHarness();
  });
  after(() => h.stop());


  it("relays the caller's DTMF INFO to the target with its body, and the target's 200 (with its body) back", async () => {
    const { caller, callee } = await answeredCall(h);
    callee.infoAnswer = { body: '{"ok":true}', contentType: 'application/json' };
    const res = await caller.sendInDialog('INFO', DTMF_5, { 'Content-Type': 'application/dtmf-relay' });
    const atTarget = await callee.waitForRequest('INFO');
    assert.equal(atTarget.body, DTMF_5);
    assert.equal(header(atTarget, 'Content-Type'), 'application/dtmf-relay');
    assert.equal(header(atTarget, 'Call-ID'), callee.get('Call-ID'), 'sent in the target leg');
    assert.equal(statusOf(res), 200);
    assert.equal(res.body, '{"ok":true}');
    assert.equal(header(res, 'Content-Type'), 'application/json');

    // A second digit: each INFO is its own transaction.
    const res2 = await caller.sendInDialog('INFO', 'Signal=#\r\nDuration=160\r\n', { 'Content-Type': 'application/dtmf-relay' });
    assert.equal(statusOf(res2), 200);
    assert.equal((await callee.waitForRequest('INFO', 2)).body, 'Signal=#\r\nDuration=160\r\n');
    await caller.bye();
    await callee.waitForRequest('BYE');
    assert.equal((await h.finalRow(caller.callId)).status, 'answered');
  });

  it("relays the target's INFO to the caller, and passes the caller's refusal (415) back", async () => {
    const { caller, callee } = await answeredCall(h);
    caller.answerStatus.INFO = 415;
    const res = await callee.sendInDialog('INFO', 'Signal=1\r\nDuration=100\r\n', { 'Content-Type': 'application/dtmf-relay', 'Info-Package': 'dtmf' });
    const atCaller = await caller.waitForRequest('INFO');
    assert.equal(atCaller.body, 'Signal=1\r\nDuration=100\r\n');
    assert.equal(header(atCaller, 'Content-Type'), 'application/dtmf-relay');
    assert.equal(header(atCaller, 'Info-Package'), 'dtmf');
    assert.equal(header(atCaller, 'Call-ID'), caller.callId, 'sent in the caller leg');
    assert.equal(statusOf(res), 415, "the caller's answer reached the target");
    assert.equal(h.app.sip.activeCalls, 1, 'a refused INFO does not end the call');
    await callee.bye();
    await caller.waitForRequest('BYE');
    assert.equal((await h.finalRow(caller.callId)).hangupBy, 'callee');
  });

  it('relays an UPDATE with a new SDP offer (its answer comes back) and an UPDATE without a body', async () => {
    const { caller, callee } = await answeredCall(h);
    const moved = sdp('caller', 7380, 'sendrecv', 2);
    const res = await caller.sendInDialog('UPDATE', moved, { 'Content-Type': 'application/sdp' });
    const atTarget = await callee.waitForRequest('UPDATE');
    assert.equal(atTarget.body, moved, "the caller's new offer reached the target");
    assert.equal(statusOf(res), 200);
    assert.match(res.body, /o=callee/, "the target's answer came back, not a stale SDP");

    callee.answerStatus.UPDATE = 500;
    const refresh = await caller.sendInDialog('UPDATE', '');
    assert.equal((await callee.waitForRequest('UPDATE', 2)).body, '');
    assert.equal(statusOf(refresh), 500, "the target's answer to a refresh is passed back");
    await caller.bye();
    await callee.waitForRequest('BYE');
  });

  it('relays NOTIFY with its Event and Subscription-State, and the response code back', async () => {
    const { caller, callee } = await answeredCall(h);
    caller.answerStatus.NOTIFY = 489;
    const res = await callee.sendInDialog('NOTIFY', 'SIP/2.0 200 OK\r\n', {
      'Content-Type': 'message/sipfrag', Event: 'refer', 'Subscription-State': 'terminated;reason=noresource',
    });
    const atCaller = await caller.waitForRequest('NOTIFY');
    assert.equal(atCaller.body, 'SIP/2.0 200 OK\r\n');
    assert.equal(header(atCaller, 'Event'), 'refer');
    assert.equal(header(atCaller, 'Subscription-State'), 'terminated;reason=noresource');
    assert.equal(header(atCaller, 'Content-Type'), 'message/sipfrag');
    assert.equal(statusOf(res), 489);
    await caller.bye();
    await callee.waitForRequest('BYE');
  });
});
