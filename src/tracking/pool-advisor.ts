export interface HoldSpan {
  heldFrom: number;
  heldUntil: number;
}

/** How many numbers were held at once within [from, to]: the peak and the time-weighted mean. */
export function holdConcurrency(holds: readonly HoldSpan[], from: number, to: number): { peak: number; mean: number } {
  const edges: [number, number][] = [];
  for (const h of holds) {
    const start = Math.max(h.heldFrom, from);
    const end = Math.min(h.heldUntil, to);
    if (end <= start) continue;
    edges.push([start, 1], [end, -1]);
  }
  // A hold ending at t and another starting at t never overlap: ends sort first.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let peak = 0;
  let area = 0;
  let last = from;
  for (const [at, delta] of edges) {
    area += current * (at - last);
    last = at;
    current += delta;
    peak = Math.max(peak, current);
  }
  return { peak, mean: to > from ? area / (to - from) : 0 };
}

/**
 * What the advisor aims at: under 1% of visits shown the fallback and an estimated 99.7% of
 * calls credited to the right visit. The product promises 99% and targets 99.5%; the estimate
 * is an expectation, and a real week lands a few tenths of a point either side of it
 * (bench/attribution: advice aimed at 99.5% came out at 99.25% in simulation).
 */
export const ADVISOR_AIM = { maxFallbackShare: 0.01, minAccuracy: 0.997 } as const;

export interface AdvisorInput {
  currentSize: number;
  /** The pool's holds in the window the advice is drawn from. */
  holds: readonly HoldSpan[];
  /** When visits found every number held (they got no hold, so their demand is otherwise unseen). */
  unservedAt: readonly number[];
  /** Minutes after its last activity that each of the pool's credited calls came (0: during the visit). */
  callDelaysMinutes: readonly number[];
  holdMinutes: number;
  graceMinutes: number;
}

export interface ReplayOutcome {
  size: number;
  /** Share of visits that would have been shown the fallback number. */
  fallbackShare: number;
  /** Share of holds whose number nobody else took within graceMinutes after the hold ended. */
  protectedShare: number;
  /** Estimated share of calls credited to the right visit. */
  accuracy: number;
}

export interface PoolAdvice {
  recommendedSize: number;
  verdict: 'grow' | 'keep' | 'could shrink' | 'no data';
  aim: typeof ADVISOR_AIM;
  observed: { visitsHeld: number; unserved: number; peakHeld: number; meanHeld: number; medianHoldMinutes: number; calls: number; lateCallBasis: LateCallTail['basis'] };
  atCurrent: ReplayOutcome | null;
  atRecommended: ReplayOutcome | null;
  reasoning: string[];
}

interface Demand {
  at: number;
  duration: number;
}

/**
 * Replays the pool's demand (every visit that held a number, for as long as it held it, plus
 * the visits that found none) against `size` numbers handed out the way the allocator does,
 * free-longest first. A visit shown the fallback loses its call; a visit whose number goes to
 * the next visitor g minutes after its hold ended loses its call if it comes later than that,
 * which `tail` says how likely is. A call within the grace window on an untaken number, and
 * every call during the hold, finds its visit.
 */
export function replayDemand(demands: readonly Demand[], size: number, opts: { holdMinutes: number; graceMinutes: number; tail: (x: number) => number }): ReplayOutcome {
  // free[i] = when number i became free; the allocator takes the smallest one not in the future.
  const heap = new MinHeap(Array.from({ length: size }, () => -Infinity));
  const graceMs = opts.graceMinutes * 60_000;
  let fallback = 0;
  let unprotected = 0;
  let lost = 0;
  for (const d of demands) {
    const freeSince = heap.peek();
    if (freeSince === undefined || freeSince > d.at) {
      fallback++;
      lost++;
      continue;
    }
    if (freeSince > -Infinity) {
      const gap = d.at - freeSince;
      if (gap < graceMs) unprotected++;
      // The previous holder's call is stolen if it comes after this reuse (or after the grace window).
      lost += opts.tail(opts.holdMinutes + Math.min(gap, graceMs) / 60_000);
    }
    heap.replaceTop(d.at + d.duration);
  }
  const served = demands.length - fallback;
  const n = demands.length;
  return {
    size,
    fallbackShare: n === 0 ? 0 : fallback / n,
    protectedShare: served === 0 ? 1 : 1 - unprotected / served,
    accuracy: n === 0 ? 1 : 1 - lost / n,
  };
}

export function meetsAim(o: ReplayOutcome): boolean {
  return o.fallbackShare < ADVISOR_AIM.maxFallbackShare && o.accuracy >= ADVISOR_AIM.minAccuracy;
}

/** The smallest pool that meets the aim on the traffic seen, and why. */
export function advisePoolSize(input: AdvisorInput): PoolAdvice {
  // A call later than hold + grace (a redial days later, credited by caller history) is not
  // something pool size decides: it is left out of the late-call tail.
  const tail = lateCallTail(input.callDelaysMinutes.filter((d) => d <= input.holdMinutes + input.graceMinutes));
  const opts = { holdMinutes: input.holdMinutes, graceMinutes: input.graceMinutes, tail: tail.at };
  const durations = input.holds.map((h) => h.heldUntil - h.heldFrom).sort((a, b) => a - b);
  const median = durations[Math.floor(durations.length / 2)] ?? input.holdMinutes * 60_000;
  const demands: Demand[] = [
    ...input.holds.map((h) => ({ at: h.heldFrom, duration: h.heldUntil - h.heldFrom })),
    ...input.unservedAt.map((at) => ({ at, duration: median })),
  ].sort((a, b) => a.at - b.at);
  const from = demands[0]?.at ?? 0;
  const to = Math.max(from, ...input.holds.map((h) => h.heldUntil));
  const curve = holdConcurrency(input.holds, from, to);
  const observed = {
    visitsHeld: input.holds.length,
    unserved: input.unservedAt.length,
    peakHeld: curve.peak,
    meanHeld: Math.round(curve.mean * 10) / 10,
    medianHoldMinutes: Math.round(median / 6_000) / 10,
    calls: tail.sample,
    lateCallBasis: tail.basis,
  };
  if (demands.length === 0) {
    return { recommendedSize: input.currentSize, verdict: 'no data', aim: ADVISOR_AIM, observed, atCurrent: null, atRecommended: null, reasoning: ['no visit held a number in the window: not enough data to advise'] };
  }
  let lo = 1;
  let hi = demands.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (meetsAim(replayDemand(demands, mid, opts))) hi = mid;
    else lo = mid + 1;
  }
  const atRecommended = replayDemand(demands, lo, opts);
  const atCurrent = replayDemand(demands, input.currentSize, opts);
  const verdict = lo > input.currentSize ? 'grow' : lo < input.currentSize ? 'could shrink' : 'keep';
  const pc = (x: number, d = 1) => `${(x * 100).toFixed(d)}%`;
  const late = `${pc(tail.at(input.holdMinutes), 0)} of calls come more than ${input.holdMinutes} min after the visitor's last activity, ${pc(tail.at(input.holdMinutes + 30), 1)} more than ${input.holdMinutes + 30} min`;
  const reasoning = [
    `${observed.visitsHeld} visits held a number (median ${observed.medianHoldMinutes} min), ${observed.unserved} found none; at most ${observed.peakHeld} were held at once, ${observed.meanHeld} on average.`,
    `Late calls (${tail.basis}, ${tail.sample} calls seen): ${late}; a number handed to the next visitor before such a call steals it.`,
    `Replaying that demand, least recently released number first: with ${input.currentSize} numbers ${pc(atCurrent.fallbackShare)} of visits see the fallback and an estimated ${pc(atCurrent.accuracy, 2)} of calls find their visit.`,
    `${lo} is the smallest size with under ${pc(ADVISOR_AIM.maxFallbackShare)} fallback shows and at least ${pc(ADVISOR_AIM.minAccuracy)} estimated accuracy (${pc(atRecommended.fallbackShare)}, ${pc(atRecommended.accuracy, 2)}; ${pc(atRecommended.protectedShare)} of holds keep their number through the ${input.graceMinutes}-minute grace window).`,
  ];
  return { recommendedSize: lo, verdict, aim: ADVISOR_AIM, observed, atCurrent, atRecommended, reasoning };
}
/**
 * How likely a visit's call is to come more than x minutes after the visit's last activity:
 * what decides whether a number handed to the next visitor x minutes later steals a call.
 *
 * Until a pool has seen enough calls, the advisor assumes the shape calltrack's simulator
 * uses (bench/attribution): 40% of calls come after the visitor left, exponentially with a
 * 12-minute mean, none after an hour. With fewer than `TRUSTED_SAMPLE` calls the observed
 * tail is only allowed to make the estimate more cautious, never less.
 */
export const TRUSTED_SAMPLE = 200;

const PRIOR = { lateShare: 0.4, meanMinutes: 12, maxMinutes: 60 } as const;

export function priorTail(x: number): number {
  if (x <= 0) return 1;
  if (x >= PRIOR.maxMinutes) return 0;
  const cut = Math.exp(-PRIOR.maxMinutes / PRIOR.meanMinutes);
  return (PRIOR.lateShare * (Math.exp(-x / PRIOR.meanMinutes) - cut)) / (1 - cut);
}

export interface LateCallTail {
  /** P(call more than x minutes after the visit's last activity). */
  at(x: number): number;
  sample: number;
  basis: 'observed' | 'observed, at least the prior' | 'prior';
}

/** The tail from observed delays (minutes after the last activity; 0 = during the visit). */
export function lateCallTail(delaysMinutes: readonly number[]): LateCallTail {
  const sorted = [...delaysMinutes].sort((a, b) => a - b);
  const n = sorted.length;
  const observed = (x: number) => {
    // share of delays strictly greater than x (binary search for the first one above x)
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((sorted[mid] ?? 0) <= x) lo = mid + 1;
      else hi = mid;
    }
    return (n - lo) / n;
  };
  if (n >= TRUSTED_SAMPLE) return { at: observed, sample: n, basis: 'observed' };
  if (n === 0) return { at: priorTail, sample: 0, basis: 'prior' };
  return { at: (x) => Math.max(observed(x), priorTail(x)), sample: n, basis: 'observed, at least the prior' };
}

/** A binary min-heap of numbers: the allocator's "free the longest" order in O(log n). */
class MinHeap {
  constructor(private readonly items: number[]) {}

  peek(): number | undefined {
    return this.items[0];
  }

  /** Replaces the smallest item and restores the order. */
  replaceTop(value: number): void {
    const a = this.items;
    a[0] = value;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && (a[l] as number) < (a[m] as number)) m = l;
      if (r < a.length && (a[r] as number) < (a[m] as number)) m = r;
      if (m === i) return;
      [a[i], a[m]] = [a[m] as number, a[i] as number];
      i = m;
    }
  }
}
