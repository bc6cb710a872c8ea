import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scheduleState, type Schedule } from '../../src/calls/business-hours.js';
import { makeConfig } from '../support/config.js';

/** A schedule as the config file gives it, parsed by the real schema. */
function schedule(def: Record<string, unknown>): Schedule {
  const parsed = makeConfig({ schedules: { s: def } }).schedules.s;
  assert.ok(parsed);
  return parsed;
}

const office = schedule({
  timeZone: 'Europe/Moscow',
  open: [
    { days: 'mon-fri', hours: '09:00-18:00' },
    { days: ['sat'], hours: '10:00-15:00' },
  ],
  closedOn: ['2027-01-01..2027-01-08', '2027-02-23'],
  openOn: [{ dates: '2027-11-13', hours: '09:00-18:00' }],
});

/** Open or closed at a UTC instant. */
const openAt = (s: Schedule, iso: string) => scheduleState(s, Date.parse(iso)).open;

describe('business hours: open or closed at an instant', () => {
  it('weekdays and Saturday in the zone\'s own time (Moscow is UTC+3 all year)', () => {
    assert.equal(openAt(office, '2026-12-02T06:00:00Z'), true, 'Wednesday 09:00 Moscow: opens');
    assert.equal(openAt(office, '2026-12-02T05:59:00Z'), false, 'Wednesday 08:59');
    assert.equal(openAt(office, '2026-12-02T14:59:00Z'), true, 'Wednesday 17:59');
    assert.equal(openAt(office, '2026-12-02T15:00:00Z'), false, 'Wednesday 18:00: the end is not included');
    assert.equal(openAt(office, '2026-12-05T08:00:00Z'), true, 'Saturday 11:00');
    assert.equal(openAt(office, '2026-12-05T12:00:00Z'), false, 'Saturday 15:00');
    assert.equal(openAt(office, '2026-12-06T08:00:00Z'), false, 'Sunday: no hours');
    const state = scheduleState(office, Date.parse('2026-12-02T07:30:00Z'));
    assert.deepEqual(state, { open: true, localTime: '2026-12-02 10:30 wed (Europe/Moscow)', reason: 'wed 09:00-18:00' });
    assert.equal(scheduleState(office, Date.parse('2026-12-06T08:00:00Z')).reason, 'closed on sun');
    assert.equal(scheduleState(office, Date.parse('2026-12-02T16:00:00Z')).reason, 'outside wed 09:00-18:00');
  });

  it('public holidays (dates and inclusive ranges) close a working day; openOn opens a Saturday with its own hours', () => {
    assert.equal(openAt(office, '2027-01-04T08:00:00Z'), false, 'Monday 4 January: New Year holidays');
    assert.equal(openAt(office, '2027-01-08T08:00:00Z'), false, 'Friday 8 January: the last day of the range');
    assert.equal(openAt(office, '2027-01-11T08:00:00Z'), true, 'Monday 11 January: back to work');
    assert.equal(openAt(office, '2027-02-23T08:00:00Z'), false, 'Tuesday 23 February');
    assert.equal(scheduleState(office, Date.parse('2027-01-04T08:00:00Z')).reason, 'closedOn 2027-01-01..2027-01-08');
    assert.equal(openAt(office, '2027-11-13T14:00:00Z'), true, 'Saturday 13 November 17:00: a working Saturday (openOn), past the usual 15:00');
    assert.equal(scheduleState(office, Date.parse('2027-11-13T14:00:00Z')).reason, 'sat 09:00-18:00 (openOn 2027-11-13)');
    assert.equal(openAt(office, '2027-11-20T14:00:00Z'), false, 'the next Saturday at 17:00: usual hours');
  });

  it('overnight hours belong to the day they start: its holiday closes the night, the night after a closed day is closed', () => {
    const night = schedule({
      timeZone: 'Europe/Moscow',
      open: [{ days: 'fri-sat', hours: '22:00-06:00' }, { days: 'sun', hours: ['10:00-13:00', '14:00-00:00'] }],
      closedOn: '2026-12-11',
    });
    assert.equal(openAt(night, '2026-12-04T19:30:00Z'), true, 'Friday 22:30');
    assert.equal(openAt(night, '2026-12-05T01:00:00Z'), true, 'Saturday 04:00, Friday\'s night');
    assert.equal(scheduleState(night, Date.parse('2026-12-05T01:00:00Z')).reason, 'fri 22:00-06:00, past midnight');
    assert.equal(openAt(night, '2026-12-05T03:00:00Z'), false, 'Saturday 06:00');
    assert.equal(openAt(night, '2026-12-06T01:00:00Z'), true, 'Sunday 04:00, Saturday\'s night');
    assert.equal(openAt(night, '2026-12-04T01:00:00Z'), false, 'Friday 04:00: Thursday has no night');
    assert.equal(openAt(night, '2026-12-12T01:00:00Z'), false, 'Saturday 04:00 after a closed Friday: the night was Friday\'s');
    assert.equal(openAt(night, '2026-12-12T19:30:00Z'), true, 'Saturday 22:30 after the closed Friday');
    assert.equal(openAt(night, '2026-12-06T10:30:00Z'), false, 'Sunday 13:30: the lunch break');
    assert.equal(openAt(night, '2026-12-06T20:59:00Z'), true, 'Sunday 23:59: "00:00" as the end is midnight');
    assert.equal(openAt(night, '2026-12-06T21:00:00Z'), false, 'Monday 00:00');
  });

  it('follows DST in Europe/Berlin: office hours stay 09:00-18:00 local across the last Sundays of March and October', () => {
    const berlin = schedule({ timeZone: 'Europe/Berlin', open: [{ days: 'mon-fri', hours: '09:00-18:00' }, { days: 'sat', hours: '22:00-06:00' }] });
    // 07:30Z is 08:30 in winter (UTC+1) and 09:30 in summer (UTC+2).
    assert.equal(openAt(berlin, '2027-03-26T07:30:00Z'), false, 'Friday before the change: 08:30 CET');
    assert.equal(openAt(berlin, '2027-03-29T07:30:00Z'), true, 'Monday after it: 09:30 CEST');
    assert.equal(openAt(berlin, '2027-03-29T16:30:00Z'), false, 'Monday 18:30 CEST');
    // The night of the change itself (02:00 CET becomes 03:00 CEST at 01:00Z).
    assert.equal(openAt(berlin, '2027-03-28T03:30:00Z'), true, 'Sunday 05:30 CEST, still Saturday\'s night');
    assert.equal(openAt(berlin, '2027-03-28T04:30:00Z'), false, 'Sunday 06:30 CEST: the night is over (at UTC+1 it would be 05:30)');
    assert.equal(openAt(berlin, '2026-10-23T07:30:00Z'), true, 'Friday before the October change: 09:30 CEST');
    assert.equal(openAt(berlin, '2026-10-26T07:30:00Z'), false, 'Monday after it: 08:30 CET');
    assert.equal(openAt(berlin, '2026-10-26T08:00:00Z'), true, 'Monday 09:00 CET');
    assert.equal(scheduleState(berlin, Date.parse('2026-10-26T08:00:00Z')).localTime, '2026-10-26 09:00 mon (Europe/Berlin)');
  });

  it('a zone far from UTC (Asia/Vladivostok, UTC+10): the local day, not the UTC day, decides', () => {
    const vlad = schedule({ timeZone: 'Asia/Vladivostok', open: [{ days: 'mon-fri', hours: '09:00-18:00' }], closedOn: ['2027-01-01..2027-01-08'] });
    assert.equal(openAt(vlad, '2026-11-29T23:30:00Z'), true, 'Sunday 23:30 UTC is Monday 09:30 in Vladivostok');
    assert.equal(openAt(vlad, '2026-12-04T08:30:00Z'), false, 'Friday 08:30 UTC is Friday 18:30 there');
    assert.equal(openAt(vlad, '2027-01-07T23:30:00Z'), false, 'Friday 8 January 09:30 local: a holiday there (still the 7th in UTC)');
    assert.equal(openAt(vlad, '2027-01-10T23:30:00Z'), true, 'Monday 11 January 09:30 local');
  });

  it('ranges may wrap past Sunday; "00:00-24:00" is the whole day', () => {
    const weekend = schedule({ timeZone: 'UTC', open: [{ days: 'fri-mon', hours: '00:00-24:00' }] });
    assert.deepEqual(weekend.weekly.map((d) => d.length), [1, 0, 0, 0, 1, 1, 1]);
    assert.equal(openAt(weekend, '2026-11-30T23:59:00Z'), true, 'Monday 23:59');
    assert.equal(openAt(weekend, '2026-12-01T00:00:00Z'), false, 'Tuesday 00:00');
  });
});
