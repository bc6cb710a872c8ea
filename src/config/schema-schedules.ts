import { z } from 'zod';
import { MINUTES_PER_DAY, WEEKDAYS, type DateSpan, type HoursWindow, type Schedule } from '../calls/business-hours.js';
import { isTimeZone } from '../exports/time-zone.js';
import { nameField } from './fields.js';

/*
 * `schedules:` (business hours) and the rule tying a number's or pool's `schedule` to them. The
 * text forms (`mon-fri`, "09:00-18:00", "2027-01-01..2027-01-08") are parsed here, once, into the
 * structure calls/business-hours.ts evaluates per call.
 */

const HOURS_HINT = 'write 24-hour "HH:MM-HH:MM" such as "09:00-18:00" ("22:00-06:00" runs past midnight and belongs to the day it starts; "00:00-24:00" is the whole day)';
const DAYS_HINT = `write days as ${WEEKDAYS.join(', ')} or a range such as mon-fri, alone or in a list ([mon-wed, fri])`;
const DATE_HINT = 'write a date "2027-02-23" or an inclusive range "2027-01-01..2027-01-08"';

function parseHours(text: string): HoursWindow | string {
  const m = /^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!m) return `"${text}" is not a time range: ${HOURS_HINT}`;
  const [h1, m1, h2, m2] = m.slice(1).map(Number) as [number, number, number, number];
  if (m1 > 59 || m2 > 59 || h1 > 23 || h2 > 24 || (h2 === 24 && m2 !== 0)) return `"${text}" is not a time range: ${HOURS_HINT}`;
  const start = h1 * 60 + m1;
  // "18:00-00:00" means until midnight, as "18:00-24:00" does.
  const end = h2 * 60 + m2 === 0 ? MINUTES_PER_DAY : h2 * 60 + m2;
  if (start === end || (start === 0 && h2 * 60 + m2 === 0)) return `"${text}" is empty (it starts when it ends): for the whole day write "00:00-24:00"`;
  return { start, end, text: text.trim() };
}

/**
 * One text or a list of them, each parsed by `parse` (a value, or the problem as text); a problem
 * is reported at the item's own path, so the admin sees which entry of a list is wrong.
 */
function oneOrMany<T>(parse: (text: string) => T | string, list: z.ZodType<string[]>, error: string) {
  return z.union([z.string(), list], { error }).transform((value, ctx): T[] => {
    const items = typeof value === 'string' ? [value] : value;
    const out: T[] = [];
    items.forEach((item, i) => {
      const parsed = parse(item);
      if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed, path: typeof value === 'string' ? [] : [i] });
      else out.push(parsed);
    });
    return out;
  });
}

const hoursList = oneOrMany(parseHours, z.array(z.string()).min(1, 'needs at least one time range'), `expected a time range in quotes or a list of them: ${HOURS_HINT}`);

const dayList = z.union([z.string(), z.array(z.string())], { error: DAYS_HINT }).transform((value, ctx): number[] => {
  const items = typeof value === 'string' ? [value] : value;
  if (items.length === 0) ctx.addIssue({ code: 'custom', message: `is empty: ${DAYS_HINT}` });
  const days: number[] = [];
  items.forEach((item, i) => {
    const at = typeof value === 'string' ? [] : [i];
    const [a = '', b, ...rest] = item.trim().toLowerCase().split(/\s*-\s*/);
    const from = WEEKDAYS.indexOf(a as (typeof WEEKDAYS)[number]);
    const to = b === undefined ? from : WEEKDAYS.indexOf(b as (typeof WEEKDAYS)[number]);
    if (from < 0 || to < 0 || rest.length > 0) return ctx.addIssue({ code: 'custom', message: `"${item}" is not a day: ${DAYS_HINT}`, path: at });
    // A range may wrap past Sunday (fri-mon): the week is a cycle.
    for (let d = from; ; d = (d + 1) % 7) {
      if (days.includes(d)) ctx.addIssue({ code: 'custom', message: `names ${WEEKDAYS[d]} twice: list each day once`, path: at });
      else days.push(d);
      if (d === to) break;
    }
  });
  return days;
});

function parseDateSpan(text: string): DateSpan | string {
  const [from = '', to = from, ...rest] = text.trim().split(/\s*\.\.\s*/);
  if (rest.length > 0 || !isDate(from) || !isDate(to)) return `"${text}" is not a date: ${DATE_HINT}`;
  if (to < from) return `"${text}" ends before it starts: write the earlier date first`;
  return { from, to, text: text.trim() };
}

function isDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

const dateList = oneOrMany(parseDateSpan, z.array(z.string()), DATE_HINT);

const openEntry = z.strictObject({ days: dayList, hours: hoursList });

const schedule = z
  .strictObject({
    timeZone: z.string().refine(isTimeZone, 'expected an IANA time zone such as "Europe/Moscow" or "Asia/Vladivostok" (the business\'s own clock)'),
    open: z.array(openEntry).min(1, 'needs at least one { days, hours } entry: a schedule that never opens would send every call after hours'),
    closedOn: dateList.default([]),
    openOn: z.array(z.strictObject({ dates: dateList, hours: hoursList })).default([]),
  })
  .transform((s, ctx): Schedule => {
    const weekly: HoursWindow[][] = WEEKDAYS.map(() => []);
    const owner: { entry: number; w: HoursWindow; day: number; from: number; to: number }[] = [];
    s.open.forEach((entry, i) => {
      for (const day of entry.days) {
        for (const w of entry.hours) {
          // Minutes of the week; a night past Sunday wraps to Monday morning.
          const from = day * MINUTES_PER_DAY + w.start;
          const to = day * MINUTES_PER_DAY + (w.end <= w.start ? w.end + MINUTES_PER_DAY : w.end);
          const pieces = to > 7 * MINUTES_PER_DAY ? [[from, 7 * MINUTES_PER_DAY], [0, to - 7 * MINUTES_PER_DAY]] : [[from, to]];
          for (const [a = 0, b = 0] of pieces) {
            const clash = owner.find((o) => a < o.to && o.from < b);
            if (clash) {
              const where = clash.entry === i ? 'another range of this entry' : `open[${clash.entry}]`;
              ctx.addIssue({ code: 'custom', path: ['open', i, 'hours'], message: `${WEEKDAYS[day]} ${w.text} overlaps ${where} (${WEEKDAYS[clash.day]} ${clash.w.text}): hours may not overlap; merge them into one range` });
              return;
            }
          }
          for (const [a = 0, b = 0] of pieces) owner.push({ entry: i, w, day, from: a, to: b });
          weekly[day]?.push(w);
        }
      }
    });
    s.openOn.forEach((special, i) => {
      special.dates.forEach((span, j) => {
        const closed = s.closedOn.find((c) => span.from <= c.to && c.from <= span.to);
        if (closed) ctx.addIssue({ code: 'custom', path: ['openOn', i, 'dates', j], message: `${span.text} is also in closedOn (${closed.text}): a date is either open or closed` });
      });
    });
    for (const day of weekly) day.sort((a, b) => a.start - b.start);
    return { timeZone: s.timeZone, weekly, closedOn: s.closedOn, openOn: s.openOn };
  });

/** `schedules: { office: {...} }`: business hours by name, for numbers' and pools' `schedule`. */
export const schedulesSection = z.record(z.string(), schedule).superRefine((map, ctx) => {
  // Checked here, not as the record's key schema: that reports only "Invalid key in record".
  for (const name of Object.keys(map)) {
    const result = nameField.safeParse(name);
    if (!result.success) ctx.addIssue({ code: 'custom', path: [name], message: `"${name}" as a schedule name: ${result.error.issues[0]?.message ?? 'invalid'}` });
  }
});

interface Scheduled {
  schedule?: string | undefined;
  afterHoursForwardTo?: string[] | undefined;
}

interface CheckedShape {
  schedules: Record<string, unknown>;
  numbers: Scheduled[];
  pools: Scheduled[];
}

/** A number or pool names a schedule that exists, and has both halves: the schedule and where calls go when it is closed. */
export function checkScheduleReferences(cfg: CheckedShape, ctx: z.core.$RefinementCtx<CheckedShape>): void {
  const names = Object.keys(cfg.schedules);
  const check = (o: Scheduled, at: (string | number)[]) => {
    if (o.schedule !== undefined && !Object.hasOwn(cfg.schedules, o.schedule)) {
      const known = names.length > 0 ? `schedules has ${names.map((n) => `"${n}"`).join(', ')}` : 'the file has no schedules: section';
      ctx.addIssue({ code: 'custom', path: [...at, 'schedule'], message: `"${o.schedule}" is not a schedule (${known}): define it under schedules or fix the name` });
    }
    if (o.schedule !== undefined && o.afterHoursForwardTo === undefined) {
      ctx.addIssue({ code: 'custom', path: [...at, 'schedule'], message: 'needs afterHoursForwardTo: the number (or failover list) that takes calls while the schedule is closed' });
    }
    if (o.schedule === undefined && o.afterHoursForwardTo !== undefined) {
      ctx.addIssue({ code: 'custom', path: [...at, 'afterHoursForwardTo'], message: 'applies only with a schedule: add schedule: <name from schedules> (e.g. office) or remove afterHoursForwardTo' });
    }
  };
  cfg.numbers.forEach((n, i) => check(n, ['numbers', i]));
  cfg.pools.forEach((p, i) => check(p, ['pools', i]));
}
