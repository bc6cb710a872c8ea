import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigText } from '../../src/config/load.js';
import { ConfigError, type ConfigProblem } from '../../src/errors.js';

function problemsOf(yaml: string): ConfigProblem[] {
  try {
    parseConfigText(yaml, 'test.yaml', {});
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('expected the configuration to be rejected');
}

/** The one problem at exactly `path` (line number aside). */
function problemAt(problems: ConfigProblem[], path: string): string {
  const found = problems.filter((p) => p.path.replace(/ \(line \d+\)$/, '') === path);
  assert.equal(found.length, 1, `expected one problem at ${path}; got:\n${problems.map((p) => `${p.path}: ${p.message}`).join('\n')}`);
  return found[0]!.message;
}

const number = (extra: string) => `numbers:\n  - { number: "+74950000001", forwardTo: "+74951112233", source: { name: Radio }${extra} }\n`;
const office = 'schedules:\n  office:\n    timeZone: Europe/Moscow\n    open: [{ days: mon-fri, hours: "09:00-18:00" }]\n';

describe('configuration: schedules and after-hours forwarding', () => {
  it('accepts a schedule on a number and a pool, with afterHoursForwardTo as one number or a list', () => {
    const { config } = parseConfigText(
      `${office}${number(', schedule: office, afterHoursForwardTo: "+7 916 111-22-33"')}` +
        'pools: [{ name: ads, numbers: ["+74950000101"], forwardTo: "+74951112233", onExhausted: reuse-oldest, schedule: office, afterHoursForwardTo: ["+79161112233", "+79162223344"] }]\n',
      'ok.yaml',
      {},
    );
    assert.deepEqual(config.numbers[0]?.afterHoursForwardTo, ['+79161112233']);
    assert.deepEqual(config.pools[0]?.afterHoursForwardTo, ['+79161112233', '+79162223344']);
    assert.equal(config.schedules.office?.timeZone, 'Europe/Moscow');
    assert.deepEqual(config.schedules.office?.weekly.map((d) => d.map((w) => w.text)), [['09:00-18:00'], ['09:00-18:00'], ['09:00-18:00'], ['09:00-18:00'], ['09:00-18:00'], [], []]);
  });

  it('refuses an unknown schedule name, and a schedule without an after-hours target or the reverse', () => {
    const problems = problemsOf(
      `${office}${number(', schedule: offce, afterHoursForwardTo: "+79161112233"')}` +
        'pools:\n' +
        '  - { name: a, numbers: ["+74950000101"], forwardTo: "+74951112233", onExhausted: reuse-oldest, schedule: office }\n' +
        '  - { name: b, numbers: ["+74950000102"], forwardTo: "+74951112233", onExhausted: reuse-oldest, afterHoursForwardTo: "+79161112233" }\n',
    );
    assert.match(problemAt(problems, 'numbers[0].schedule'), /"offce" is not a schedule \(schedules has "office"\): define it under schedules or fix the name/);
    assert.match(problemAt(problems, 'pools[0].schedule'), /needs afterHoursForwardTo: the number \(or failover list\) that takes calls while the schedule is closed/);
    assert.match(problemAt(problems, 'pools[1].afterHoursForwardTo'), /applies only with a schedule: add schedule: <name from schedules>/);
    assert.equal(problems.length, 3);
    assert.match(problemAt(problemsOf(number(', schedule: office, afterHoursForwardTo: "+79161112233"')), 'numbers[0].schedule'), /the file has no schedules: section/);
    assert.match(problemAt(problemsOf(`${office}${number(', schedule: office, afterHoursForwardTo: "12"')}`), 'numbers[0].afterHoursForwardTo'), /"12" is in a national format/);
  });

  it('refuses an unknown time zone, malformed hours and days, with the path and how to write them', () => {
    const problems = problemsOf(
      [
        'schedules:',
        '  office:',
        '    timeZone: Europe/Moskow',
        '    open:',
        '      - { days: mon-fri, hours: "9-18" }',
        '      - { days: [sat, sun], hours: ["10:00-25:00", "12:00-12:00"] }',
        '      - { days: [mon-frii], hours: "10:00-12:00" }',
        '      - { days: [], hours: "10:00-12:00" }',
        '      - { days: [mon-wed, tue], hours: "19:00-20:00" }',
        '    closedOn: ["2027-02-30", "2027-01-08..2027-01-01", "2027-01-01..2027-01-08"]',
      ].join('\n'),
    );
    assert.match(problemAt(problems, 'schedules.office.timeZone'), /expected an IANA time zone such as "Europe\/Moscow"/);
    assert.match(problemAt(problems, 'schedules.office.open[0].hours'), /"9-18" is not a time range: write 24-hour "HH:MM-HH:MM" such as "09:00-18:00"/);
    assert.match(problemAt(problems, 'schedules.office.open[1].hours[0]'), /"10:00-25:00" is not a time range/);
    assert.match(problemAt(problems, 'schedules.office.open[1].hours[1]'), /"12:00-12:00" is empty .*"00:00-24:00"/);
    assert.match(problemAt(problems, 'schedules.office.open[2].days[0]'), /"mon-frii" is not a day: write days as mon, tue, .* or a range such as mon-fri/);
    assert.match(problemAt(problems, 'schedules.office.open[3].days'), /is empty: write days as/);
    assert.match(problemAt(problems, 'schedules.office.open[4].days[1]'), /names tue twice/);
    assert.match(problemAt(problems, 'schedules.office.closedOn[0]'), /"2027-02-30" is not a date: write a date "2027-02-23" or an inclusive range/);
    assert.match(problemAt(problems, 'schedules.office.closedOn[1]'), /ends before it starts/);
    assert.equal(problems.length, 9);
  });

  it('refuses overlapping hours on a day (overnight ones included), a schedule that never opens, and a date both open and closed', () => {
    const problems = problemsOf(
      [
        'schedules:',
        '  office:',
        '    timeZone: Europe/Moscow',
        '    open:',
        '      - { days: mon-fri, hours: ["09:00-13:00", "14:00-18:00"] }',
        '      - { days: wed, hours: "17:00-20:00" }',
        '  night:',
        '    timeZone: UTC',
        '    open:',
        '      - { days: sun, hours: "22:00-06:00" }',
        '      - { days: mon, hours: "05:00-09:00" }',
        '  never:',
        '    timeZone: UTC',
        '    open: []',
        '  saturday:',
        '    timeZone: UTC',
        '    open: [{ days: mon-fri, hours: "09:00-18:00" }]',
        '    closedOn: "2027-11-01..2027-11-30"',
        '    openOn: [{ dates: ["2027-10-30", "2027-11-13"], hours: "10:00-14:00" }]',
      ].join('\n'),
    );
    assert.match(problemAt(problems, 'schedules.office.open[1].hours'), /wed 17:00-20:00 overlaps open\[0\] \(wed 14:00-18:00\): hours may not overlap; merge them into one range/);
    assert.match(problemAt(problems, 'schedules.night.open[1].hours'), /mon 05:00-09:00 overlaps open\[0\] \(sun 22:00-06:00\)/);
    assert.match(problemAt(problems, 'schedules.never.open'), /needs at least one \{ days, hours \} entry/);
    assert.match(problemAt(problems, 'schedules.saturday.openOn[0].dates[1]'), /2027-11-13 is also in closedOn \(2027-11-01..2027-11-30\): a date is either open or closed/);
    assert.equal(problems.length, 4);
  });

  it('refuses a schedule name that is not a plain name, and unknown keys in a schedule', () => {
    const problems = problemsOf('schedules:\n  "office hours":\n    timeZone: UTC\n    open: [{ days: mon, hours: "09:00-18:00", note: x }]\n');
    assert.ok(problems.some((p) => p.path.startsWith('schedules') && /"office hours" as a schedule name: expected a name of letters/.test(p.message)), JSON.stringify(problems));
    assert.ok(problems.some((p) => /unknown key "note"/.test(p.message)), JSON.stringify(problems));
  });
});
