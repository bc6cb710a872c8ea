/**
 * Business hours: whether a schedule is open at an instant. Pure (schedule + epoch ms → answer),
 * so the SIP route and `calltrack attribute` compute the same thing. Local wall-clock time comes
 * from TimeZone (the exports' zone clock: Intl's offset for the schedule's IANA zone, with its DST
 * history, cached per quarter hour). Hours are wall-clock hours, so "09:00-18:00" stays 09:00-18:00
 * local on both sides of a DST change.
 */
import { TimeZone } from '../exports/time-zone.js';

/** Monday is 0, Sunday 6 (ISO order, as the config's `mon-fri` reads). */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/**
 * One opening, in minutes from local midnight. `end <= start` runs past midnight ("22:00-06:00")
 * and belongs to the day it starts: a holiday closes its night too, and the night after it is
 * the next day's.
 */
export interface HoursWindow {
  start: number;
  end: number;
  text: string;
}

/** Calendar dates `from`..`to` inclusive, as YYYY-MM-DD (which compare as strings). */
export interface DateSpan {
  from: string;
  to: string;
  text: string;
}

export interface Schedule {
  timeZone: string;
  /** The usual week: index 0 (Monday) to 6 (Sunday); an empty list is a closed day. */
  weekly: HoursWindow[][];
  /** Closed all day (public holidays), whatever the weekday says. */
  closedOn: DateSpan[];
  /** Dates with their own hours instead of the weekday's (a working Saturday). */
  openOn: { dates: DateSpan[]; hours: HoursWindow[] }[];
}

export interface ScheduleState {
  open: boolean;
  /** The instant as the schedule's clock shows it, e.g. "2027-01-05 10:30 tue (Europe/Moscow)". */
  localTime: string;
  /** Which rule decided, for the operator: "tue 09:00-18:00", "closedOn 2027-01-01..2027-01-08". */
  reason: string;
}

export const MINUTES_PER_DAY = 24 * 60;

export function scheduleState(schedule: Schedule, at: number): ScheduleState {
  const { date, minute } = localClock(schedule.timeZone, at);
  const day = weekdayOf(date);
  const localTime = `${date} ${hhmm(minute)} ${WEEKDAYS[day]} (${schedule.timeZone})`;
  const today = hoursOn(schedule, date);
  for (const w of today.hours) {
    if (minute >= w.start && (w.end <= w.start || minute < w.end)) {
      return { open: true, localTime, reason: `${WEEKDAYS[day]} ${w.text}${today.rule ? ` (${today.rule})` : ''}` };
    }
  }
  const yesterday = previousDate(date);
  const before = hoursOn(schedule, yesterday);
  for (const w of before.hours) {
    if (w.end <= w.start && minute < w.end) {
      return { open: true, localTime, reason: `${WEEKDAYS[weekdayOf(yesterday)]} ${w.text}, past midnight${before.rule ? ` (${before.rule})` : ''}` };
    }
  }
  if (today.closedBy) return { open: false, localTime, reason: `closedOn ${today.closedBy}` };
  const hours = today.hours.map((w) => w.text).join(', ');
  return { open: false, localTime, reason: hours ? `outside ${WEEKDAYS[day]} ${hours}${today.rule ? ` (${today.rule})` : ''}` : `closed on ${WEEKDAYS[day]}` };
}

/** The hours a date has: openOn first (it names the date itself), then closedOn, then the week. */
function hoursOn(schedule: Schedule, date: string): { hours: HoursWindow[]; rule?: string; closedBy?: string } {
  const inSpan = (s: DateSpan) => s.from <= date && date <= s.to;
  for (const special of schedule.openOn) {
    const span = special.dates.find(inSpan);
    if (span) return { hours: special.hours, rule: `openOn ${span.text}` };
  }
  const closed = schedule.closedOn.find(inSpan);
  if (closed) return { hours: [], closedBy: closed.text };
  return { hours: schedule.weekly[weekdayOf(date)] ?? [] };
}

const zones = new Map<string, TimeZone>();

/** The local calendar date and minute of the day at `at` in `timeZone` (TimeZone caches its offsets). */
function localClock(timeZone: string, at: number): { date: string; minute: number } {
  let zone = zones.get(timeZone);
  if (!zone) {
    zone = TimeZone.of(timeZone);
    zones.set(timeZone, zone);
  }
  const wall = zone.formatWall(at); // "2027-01-05 10:30:00"
  return { date: wall.slice(0, 10), minute: Number(wall.slice(11, 13)) * 60 + Number(wall.slice(14, 16)) };
}

/** Weekday of a calendar date (the date alone, no zone: noon UTC of it has the same weekday). */
function weekdayOf(date: string): number {
  return (new Date(`${date}T12:00:00Z`).getUTCDay() + 6) % 7;
}

function previousDate(date: string): string {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

function hhmm(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}
