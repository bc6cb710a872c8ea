import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { callToJson } from '../../src/calls/call-json.js';
import { makeConfig } from '../support/config.js';
import { capturingLogger } from '../support/logger.js';
import { startSipHarness, type SipHarness } from '../support/sip-harness.js';

const OFFICE = '+74951112233';
const OFFICE_2 = '+74951112244';
const MOBILE = '+79161110001';
const ANSWERING_SERVICE = '+79161110002';
const POOL_MOBILE = '+79161110009';

/** Moscow office hours: weekdays 09:00-18:00 (06:00-15:00 UTC), closed for the New Year holidays. */
const office = { timeZone: 'Europe/Moscow', open: [{ days: 'mon-fri', hours: '09:00-18:00' }], closedOn: ['2027-01-01..2027-01-08'] };

/** The harness's static number and pool, on the office schedule; the static number fails over within each list. */
function withSchedule(doc: Record<string, unknown>): void {
  doc.schedules = { office };
  doc.numbers = [{ number: '+74950000001', forwardTo: [OFFICE, OFFICE_2], schedule: 'office', afterHoursForwardTo: [MOBILE, ANSWERING_SERVICE], source: { name: 'Radio' } }];
  const pool = (doc.pools as Record<string, unknown>[])[0]!;
  Object.assign(pool, { schedule: 'office', afterHoursForwardTo: POOL_MOBILE });
  doc.log = { level: 'info' };
}

describe('business hours: where a call is forwarded', () => {
  const { logger, lines } = capturingLogger();
  let h: SipHarness;
  before(async () => {
    h = await startSipHarness({ logger, doc: withSchedule });
  });
  after(() => h.stop());

  const hoursLine = (sipCallId: string) => lines.find((l) => l.sipCallId === sipCallId && (l.msg ?? '').includes('forwarding to'));

  /** Calls +74950000001 at `iso`; the first forwarded INVITE's target is rejected with `code` or answered. */
  async function callAt(iso: string, to = '+74950000001') {
    h.clock.set(Date.parse(iso));
    const caller = h.fake.sip.placeCall({ from: '79161234567', to });
    const first = await h.fake.sip.nextInvite();
    return { caller, first };
  }

  it('in office hours: the office number, and the log says afterHours: false', async () => {
    const { caller, first } = await callAt('2026-11-23T10:00:00Z'); // Monday 13:00 in Moscow
    assert.equal(first.uri, `sip:${OFFICE}@127.0.0.1:5090`);
    assert.equal(first.get('X-Calltrack-After-Hours'), 'no');
    first.answer();
    assert.equal((await caller.finalResponse()).status, 200);
    await caller.bye();
    const row = await h.finalRow(caller.callId);
    assert.deepEqual({ forwardedTo: row.forwardedTo, afterHours: row.afterHours }, { forwardedTo: OFFICE, afterHours: false });
    assert.deepEqual(
      { afterHours: hoursLine(caller.callId)?.afterHours, schedule: hoursLine(caller.callId)?.schedule, reason: hoursLine(caller.callId)?.reason },
      { afterHours: false, schedule: 'office', reason: 'mon 09:00-18:00' },
    );
  });

  it('after hours: the mobile first, then the answering service on busy; the row and the log say why', async () => {
    const { caller, first } = await callAt('2026-11-23T15:30:00Z'); // Monday 18:30 in Moscow
    assert.equal(first.uri, `sip:${MOBILE}@127.0.0.1:5090`);
    assert.equal(first.get('X-Calltrack-Source'), 'Radio', 'the attribution headers go to the after-hours target too');
    assert.equal(first.get('X-Calltrack-After-Hours'), 'yes', 'the PBX may greet an after-hours call its own way');
    first.reject(486);
    const second = await h.fake.sip.nextInvite();
    assert.equal(second.uri, `sip:${ANSWERING_SERVICE}@127.0.0.1:5090`);
    second.answer();
    assert.equal((await caller.finalResponse()).status, 200);
    await caller.bye();
    const row = await h.finalRow(caller.callId);
    assert.deepEqual(
      { status: row.status, forwardedTo: row.forwardedTo, afterHours: row.afterHours, source: row.source },
      { status: 'answered', forwardedTo: ANSWERING_SERVICE, afterHours: true, source: 'Radio' },
    );
    const final = await h.events.final(caller.callId);
    assert.deepEqual([final.type, callToJson(final.call, { publicUrl: undefined, targetCall: false }).afterHours], ['call.completed', true], 'webhooks and the API carry it');
    const line = hoursLine(caller.callId);
    assert.deepEqual(
      { msg: line?.msg, afterHours: line?.afterHours, localTime: line?.localTime, reason: line?.reason, forwardTo: line?.forwardTo },
      { msg: 'after hours: forwarding to afterHoursForwardTo', afterHours: true, localTime: '2026-11-23 18:30 mon (Europe/Moscow)', reason: 'outside mon 09:00-18:00', forwardTo: [MOBILE, ANSWERING_SERVICE] },
    );
  });

  it('a public holiday in closedOn is after hours all day', async () => {
    const { caller, first } = await callAt('2027-01-04T08:00:00Z'); // Monday 11:00, New Year holidays
    assert.equal(first.uri, `sip:${MOBILE}@127.0.0.1:5090`);
    first.reject(603);
    (await h.fake.sip.nextInvite()).reject(486);
    await caller.finalResponse();
    assert.equal(hoursLine(caller.callId)?.reason, 'closedOn 2027-01-01..2027-01-08');
    const row = await h.finalRow(caller.callId);
    assert.deepEqual({ status: row.status, forwardedTo: row.forwardedTo, afterHours: row.afterHours }, { status: 'busy', forwardedTo: null, afterHours: true }, 'a missed call still says it went to the after-hours list');
  });

  it('decides once, at the call\'s start: a call that rings past closing time fails over within the office list', async () => {
    const { caller, first } = await callAt('2026-11-23T14:59:00Z'); // 17:59
    assert.equal(first.uri, `sip:${OFFICE}@127.0.0.1:5090`);
    h.clock.advance(5 * 60_000); // 18:04 while the first target rings
    first.reject(486);
    const second = await h.fake.sip.nextInvite();
    assert.equal(second.uri, `sip:${OFFICE_2}@127.0.0.1:5090`);
    second.reject(486);
    assert.equal((await caller.finalResponse()).status, 486);
    assert.equal(hoursLine(caller.callId)?.localTime, '2026-11-23 17:59 mon (Europe/Moscow)', 'the schedule was read at the INVITE');
  });

  it('pool numbers follow the pool\'s schedule, also on the degraded route when attribution fails', async () => {
    const inHours = await callAt('2026-11-24T07:00:00Z', '+74950000101');
    assert.equal(inHours.first.uri, `sip:${OFFICE}@127.0.0.1:5090`);
    inHours.first.reject(486);
    await inHours.caller.finalResponse();

    const late = await callAt('2026-11-24T20:00:00Z', '+74950000101');
    assert.equal(late.first.uri, `sip:${POOL_MOBILE}@127.0.0.1:5090`);
    late.first.reject(486);
    await late.caller.finalResponse();

    h.attributor.failure = new Error('SQLITE_BUSY: database is locked');
    try {
      const degradedLate = await callAt('2026-11-24T20:05:00Z', '+74950000102');
      assert.equal(degradedLate.first.uri, `sip:${POOL_MOBILE}@127.0.0.1:5090`, 'the config-only route applies the schedule too');
      degradedLate.first.reject(486);
      await degradedLate.caller.finalResponse();
      assert.equal((await h.finalRow(degradedLate.caller.callId)).attributionType, 'unattributed');

      const degradedStatic = await callAt('2026-11-24T20:10:00Z');
      assert.equal(degradedStatic.first.uri, `sip:${MOBILE}@127.0.0.1:5090`);
      degradedStatic.first.reject(486);
      (await h.fake.sip.nextInvite()).reject(486);
      await degradedStatic.caller.finalResponse();

      const degradedInHours = await callAt('2026-11-25T07:00:00Z', '+74950000102');
      assert.equal(degradedInHours.first.uri, `sip:${OFFICE}@127.0.0.1:5090`);
      degradedInHours.first.reject(486);
      await degradedInHours.caller.finalResponse();
    } finally {
      h.attributor.failure = undefined;
    }
  });

  it('a reload changes the schedule for the next call', async () => {
    const before = await callAt('2026-11-25T16:00:00Z'); // Wednesday 19:00
    assert.equal(before.first.uri, `sip:${MOBILE}@127.0.0.1:5090`);
    before.first.reject(486);
    (await h.fake.sip.nextInvite()).reject(486);
    await before.caller.finalResponse();

    const current = h.app.config.current;
    const longer = makeConfig({ schedules: { office: { ...office, open: [{ days: 'mon-fri', hours: '09:00-21:00' }] } } }).schedules;
    const { applied } = await h.app.reload({ ...current, schedules: longer });
    assert.ok(applied.includes('schedules' as never), `applied: ${applied.join(', ')}`);

    const after = await callAt('2026-11-25T16:00:00Z');
    assert.equal(after.first.uri, `sip:${OFFICE}@127.0.0.1:5090`, 'open until 21:00 now');
    after.first.reject(486);
    (await h.fake.sip.nextInvite()).reject(486);
    await after.caller.finalResponse();
  });
});
