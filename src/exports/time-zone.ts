import { DAY_MS } from '../clock.js';
import { InvalidInputError } from '../errors.js';

/**
 * Times in an IANA zone (`Europe/Moscow`) through Intl, fast enough for a million-row export.
 *
 * Intl's formatToParts costs microseconds per call; an export formats three times per row. The
 * zone's UTC offset only changes at transitions, and every transition since 1900 falls on a
 * quarter hour of UTC, so the offset is computed once per 15-minute bucket and cached; the
 * local wall time is then plain arithmetic. The date part (`2026-11-23`) of the last local day
 * written is kept too: an export's rows come in time order, so nearly every time shares it.
 */
/** Whether Intl knows `name` as a time zone (the config's check and TimeZone.of's). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export class TimeZone {
  private readonly parts: Intl.DateTimeFormat;
  private readonly offsets = new Map<number, number>();
  private lastBucket = Number.NaN;
  private lastOffset = 0;
  private dayStart = Number.NaN;
  private dayText = '';

  private constructor(readonly name: string) {
    this.parts = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
  }

  /** `UTC`, `Europe/Moscow`, `America/New_York`...; an unknown name is a clear input error. */
  static of(name: string): TimeZone {
    if (!isTimeZone(name)) {
      throw new InvalidInputError(`unknown time zone "${name}": use an IANA name such as "Europe/Moscow", "America/New_York" or "UTC"`, {
        field: 'tz',
      });
    }
    return new TimeZone(name);
  }

  /** Minutes east of UTC at instant `ms` (Moscow: 180). */
  offsetMinutes(ms: number): number {
    const bucket = Math.floor(ms / 900_000);
    if (bucket === this.lastBucket) return this.lastOffset;
    let offset = this.offsets.get(bucket);
    if (offset === undefined) {
      offset = this.computeOffset(bucket * 900_000);
      if (this.offsets.size > 100_000) this.offsets.clear();
      this.offsets.set(bucket, offset);
    }
    this.lastBucket = bucket;
    this.lastOffset = offset;
    return offset;
  }

  /** `2026-11-23T15:04:05+03:00` (seconds precision; `Z` is never used, the offset always is). */
  formatIso(ms: number): string {
    const offset = this.offsetMinutes(ms);
    const sign = offset < 0 ? '-' : '+';
    const abs = Math.abs(offset);
    return `${this.wallTime(ms, offset, 'T')}${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
  }

  /** `2026-11-23 15:04:05` in this zone, without offset (ad platforms take the zone separately). */
  formatWall(ms: number): string {
    return this.wallTime(ms, this.offsetMinutes(ms), ' ');
  }

  private wallTime(ms: number, offset: number, sep: string): string {
    const local = Math.floor(ms / 1000) * 1000 + offset * 60_000;
    if (!(local >= this.dayStart && local < this.dayStart + DAY_MS)) {
      this.dayStart = Math.floor(local / DAY_MS) * DAY_MS;
      const d = new Date(this.dayStart);
      this.dayText = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
    }
    const secondOfDay = (local - this.dayStart) / 1000;
    const hour = Math.floor(secondOfDay / 3600);
    const minute = Math.floor(secondOfDay / 60) % 60;
    return `${this.dayText}${sep}${pad2(hour)}:${pad2(minute)}:${pad2(secondOfDay % 60)}`;
  }

  /** The instant of a local wall time in this zone (for `--from 2026-11-01`: midnight there). */
  instantOf(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
    const wall = Date.UTC(year, month - 1, day, hour, minute, second);
    // Two passes settle the offset, also next to a transition.
    let guess = wall - this.offsetMinutes(wall) * 60_000;
    guess = wall - this.offsetMinutes(guess) * 60_000;
    return guess;
  }

  private computeOffset(ms: number): number {
    const p: Record<string, number> = {};
    for (const part of this.parts.formatToParts(new Date(ms))) {
      if (part.type !== 'literal') p[part.type] = Number(part.value);
    }
    const asUtc = Date.UTC(p.year ?? 1970, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0, p.second ?? 0);
    return Math.round((asUtc - ms) / 60_000);
  }
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const LOCAL_DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * A time bound as people type it: `2026-11-01` (midnight in `zone`), `2026-11-01 09:30` (wall
 * time in `zone`), an ISO time with offset or `Z`, or epoch milliseconds. For an `end` bound a
 * bare date means the end of that day, so `--from 2026-11-01 --to 2026-11-30` covers November.
 */
export function parseTimeBound(text: string, zone: TimeZone, which: 'start' | 'end', field: string): number {
  const value = text.trim();
  const date = DATE_ONLY.exec(value);
  if (date) {
    const [y, m, d] = [Number(date[1]), Number(date[2]), Number(date[3])];
    checkCalendar(y, m, d, text, field);
    return which === 'start' ? zone.instantOf(y, m, d) : zone.instantOf(y, m, d + 1);
  }
  const local = LOCAL_DATETIME.exec(value);
  if (local) {
    const [y, m, d] = [Number(local[1]), Number(local[2]), Number(local[3])];
    checkCalendar(y, m, d, text, field);
    return zone.instantOf(y, m, d, Number(local[4]), Number(local[5]), Number(local[6] ?? 0));
  }
  if (/^\d{12,14}$/.test(value)) return Number(value);
  if (/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(value)) {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new InvalidInputError(
    `${field}: "${text}" is not a date or time; use 2026-11-01, "2026-11-01 09:30" (in the chosen time zone) or 2026-11-01T09:30:00+03:00`,
    { field },
  );
}

function checkCalendar(y: number, m: number, d: number, text: string, field: string): void {
  const probe = new Date(Date.UTC(y, m - 1, d));
  if (probe.getUTCMonth() !== m - 1 || probe.getUTCDate() !== d) {
    throw new InvalidInputError(`${field}: "${text}" is not a calendar date`, { field });
  }
}
