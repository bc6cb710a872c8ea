import { SeededRandom } from './random.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** What a day of website traffic looks like; `DEFAULT_PROFILE` is the one BENCHMARKS.md reports. */
export interface TrafficProfile {
  seed: number;
  days: number;
  /** Visits per day, returning visits included, bots excluded. */
  visitsPerDay: number;
  /** Relative arrivals per hour of the day (UTC), 24 values. */
  hourlyWeights: readonly number[];
  /** Visit length (first to last page view) is log-normal: this median, this sigma. */
  visitMedianMinutes: number;
  visitSigma: number;
  maxVisitMinutes: number;
  /** Mean minutes between page views (each one pings the visit). */
  pageGapMeanMinutes: number;
  /** Share of visits whose page-hide beacon (release) reaches the server. */
  releaseShare: number;
  /** Crawler requests on top of visitsPerDay, as a share of it. */
  botShare: number;
  /** Chance that a visitor comes back (with the same visitor id), and the mean gap. */
  returnShare: number;
  returnGapMeanHours: number;
  /** Per campaign: the share of visits that call (organic and direct use the last value). */
  campaignCallRates: readonly number[];
  /** Share of a visit's calls placed while the page is open; the rest come after leaving. */
  callDuringVisitShare: number;
  lateCallMeanMinutes: number;
  lateCallMaxMinutes: number;
  /** Share of callers who later redial the number from their phone's call log. */
  redialShare: number;
  /** What-if calls per human visit (see SimEvent 'probe'): more of them, less sampling noise. */
  probesPerVisit: number;
}

export const DEFAULT_PROFILE: TrafficProfile = {
  seed: 20261123,
  days: 1,
  visitsPerDay: 1500,
  // Quiet nights, a late-morning peak, a second smaller one in the evening.
  hourlyWeights: [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 3.5, 4.5, 5, 5.2, 5, 4.6, 4.4, 4.2, 4, 3.8, 3.6, 3.8, 4, 3.5, 2.5, 1.6],
  visitMedianMinutes: 3,
  visitSigma: 1,
  maxVisitMinutes: 180,
  pageGapMeanMinutes: 2.5,
  releaseShare: 0.7,
  botShare: 0.05,
  returnShare: 0.2,
  returnGapMeanHours: 18,
  campaignCallRates: [0.01, 0.03, 0.05, 0.08, 0.1, 0.04],
  callDuringVisitShare: 0.6,
  lateCallMeanMinutes: 12,
  lateCallMaxMinutes: 60,
  redialShare: 0.1,
  probesPerVisit: 2,
};

export interface SimVisit {
  index: number;
  visitor: number;
  bot: boolean;
  start: number;
  leave: number;
  /** Index into campaignCallRates, or null for a direct / organic visit. */
  campaign: number | null;
}

export type SimEvent =
  | { at: number; kind: 'visit'; visit: number }
  | { at: number; kind: 'ping'; visit: number; page: number }
  | { at: number; kind: 'release'; visit: number }
  /** A call from the person behind `visit`, dialling the number that visit shows. */
  | { at: number; kind: 'call'; id: number; visit: number; caller: string }
  /** The caller of call `of` dials the same number again from the call log. */
  | { at: number; kind: 'redial'; id: number; of: number; caller: string }
  /**
   * A what-if call (attribution's `explain`, which changes nothing) at a time drawn like a real
   * call's: every human visit gets one, so accuracy is measured on thousands of calls while
   * only the real ones (1-10% of visits) extend holds and build caller history.
   */
  | { at: number; kind: 'probe'; visit: number; caller: string };

export interface Traffic {
  profile: TrafficProfile;
  start: number;
  end: number;
  visits: SimVisit[];
  /** In time order (ties in generation order). */
  events: SimEvent[];
}

/** Generates the visits, page views and calls of `profile.days` days, deterministically. */
export function generateTraffic(profile: TrafficProfile, start = Date.UTC(2026, 0, 5)): Traffic {
  const rnd = new SeededRandom(profile.seed);
  const end = start + profile.days * DAY;
  const visits: SimVisit[] = [];
  const events: (SimEvent & { seq: number })[] = [];
  let seq = 0;
  let callId = 0;
  const push = (e: SimEvent) => events.push({ ...e, seq: seq++ });

  const arrival = (day: number) => start + day * DAY + rnd.weighted(profile.hourlyWeights) * HOUR + rnd.next() * HOUR;
  const firstVisits = Math.round(profile.visitsPerDay * (1 - profile.returnShare));
  const pending: { at: number; visitor: number; bot: boolean; returning: boolean }[] = [];
  let visitors = 0;
  for (let day = 0; day < profile.days; day++) {
    for (let i = 0; i < firstVisits; i++) pending.push({ at: arrival(day), visitor: visitors++, bot: false, returning: false });
    for (let i = 0; i < Math.round(profile.visitsPerDay * profile.botShare); i++) pending.push({ at: arrival(day), visitor: visitors++, bot: true, returning: false });
  }
  pending.sort((a, b) => a.at - b.at);

  const campaignCount = profile.campaignCallRates.length - 1;
  for (let i = 0; i < pending.length; i++) {
    const p = pending[i];
    if (!p || p.at >= end) continue;
    const index = visits.length;
    const length = p.bot ? 0 : Math.min(profile.maxVisitMinutes, rnd.logNormal(profile.visitMedianMinutes, profile.visitSigma)) * MIN;
    const paid = p.returning ? rnd.chance(0.5) : rnd.chance(0.7);
    const visit: SimVisit = { index, visitor: p.visitor, bot: p.bot, start: p.at, leave: p.at + length, campaign: paid ? rnd.int(0, campaignCount - 1) : null };
    visits.push(visit);
    push({ at: visit.start, kind: 'visit', visit: index });
    if (p.bot) continue;

    let page = 1;
    for (let t = visit.start + rnd.exponential(profile.pageGapMeanMinutes) * MIN; t < visit.leave; t += rnd.exponential(profile.pageGapMeanMinutes) * MIN) {
      push({ at: t, kind: 'ping', visit: index, page: page++ });
    }
    if (length > 0) push({ at: visit.leave, kind: 'ping', visit: index, page: page++ });
    if (rnd.chance(profile.releaseShare)) push({ at: visit.leave + 1000, kind: 'release', visit: index });

    const callTime = () =>
      rnd.chance(profile.callDuringVisitShare)
        ? visit.start + rnd.next() * length + 1000
        : visit.leave + Math.min(profile.lateCallMaxMinutes * MIN, rnd.exponential(profile.lateCallMeanMinutes) * MIN + 2000);
    const caller = phoneOf(p.visitor);
    for (let k = 0; k < profile.probesPerVisit; k++) push({ at: callTime(), kind: 'probe', visit: index, caller });
    const rate = profile.campaignCallRates[visit.campaign ?? campaignCount] ?? 0;
    if (rnd.chance(rate)) {
      const at = callTime();
      const id = callId++;
      push({ at, kind: 'call', id, visit: index, caller });
      if (rnd.chance(profile.redialShare)) {
        push({ at: at + rnd.between(1, 72) * HOUR, kind: 'redial', id: callId++, of: id, caller });
      }
    }
    if (rnd.chance(profile.returnShare)) {
      const at = visit.leave + Math.max(10 * MIN, rnd.exponential(profile.returnGapMeanHours) * HOUR);
      if (at < end) insertSorted(pending, i + 1, { at, visitor: p.visitor, bot: false, returning: true });
    }
  }
  events.sort((a, b) => a.at - b.at || a.seq - b.seq);
  return { profile, start, end, visits, events: events.filter((e) => e.at < end + 2 * HOUR).map(({ seq: _seq, ...e }) => e as SimEvent) };
}

/** A visitor's own phone: the caller id their calls carry. */
function phoneOf(visitor: number): string {
  return `+7916${String(1_000_000 + visitor).slice(-7)}`;
}

function insertSorted<T extends { at: number }>(list: T[], from: number, item: T): void {
  let lo = from;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((list[mid]?.at ?? Infinity) <= item.at) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, item);
}
