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

/** What the advisor aims at: under 1% of visits shown the fallback, 99% of holds kept through the grace window. */
export const ADVISOR_AIM = { maxFallbackShare: 0.01, minProtectedShare: 0.99 } as const;

export interface AdvisorInput {
  currentSize: number;
  /** The pool's holds in the window the advice is drawn from. */
  holds: readonly HoldSpan[];
  /** When visits found every number held (they got no hold, so their demand is otherwise unseen). */
  unservedAt: readonly number[];
  graceMinutes: number;
}

export interface ReplayOutcome {
  size: number;
  /** Share of visits that would have been shown the fallback number. */
  fallbackShare: number;
  /** Share of holds whose number nobody else took within graceMinutes after the hold ended. */
  protectedShare: number;
}

export interface PoolAdvice {
  recommendedSize: number;
  verdict: 'grow' | 'keep' | 'could shrink' | 'no data';
  aim: typeof ADVISOR_AIM;
  observed: { visitsHeld: number; unserved: number; peakHeld: number; meanHeld: number; medianHoldMinutes: number };
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
 * free-longest first, and reports the fallback share and how many holds kept their number
 * through the grace window (a call then still finds its visit).
 */
export function replayDemand(demands: readonly Demand[], size: number, graceMs: number): ReplayOutcome {
  // free[i] = when number i became free; the allocator takes the smallest one not in the future.
  const heap = new MinHeap(Array.from({ length: size }, () => -Infinity));
  let fallback = 0;
  let unprotected = 0;
  for (const d of demands) {
    const freeSince = heap.peek();
    if (freeSince === undefined || freeSince > d.at) {
      fallback++;
      continue;
    }
    if (d.at - freeSince < graceMs) unprotected++;
    heap.replaceTop(d.at + d.duration);
  }
  const served = demands.length - fallback;
  return {
    size,
    fallbackShare: demands.length === 0 ? 0 : fallback / demands.length,
    protectedShare: served === 0 ? 1 : 1 - unprotected / served,
  };
}

export function meetsAim(o: ReplayOutcome): boolean {
  return o.fallbackShare < ADVISOR_AIM.maxFallbackShare && o.protectedShare >= ADVISOR_AIM.minProtectedShare;
}

/** The smallest pool that meets the aim on the traffic seen, and why. */
export function advisePoolSize(input: AdvisorInput): PoolAdvice {
  const graceMs = input.graceMinutes * 60_000;
  const durations = input.holds.map((h) => h.heldUntil - h.heldFrom).sort((a, b) => a - b);
  const median = durations[Math.floor(durations.length / 2)] ?? 15 * 60_000;
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
  };
  if (demands.length === 0) {
    return { recommendedSize: input.currentSize, verdict: 'no data', aim: ADVISOR_AIM, observed, atCurrent: null, atRecommended: null, reasoning: ['no visit held a number in the window: not enough data to advise'] };
  }
  let lo = 1;
  let hi = demands.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (meetsAim(replayDemand(demands, mid, graceMs))) hi = mid;
    else lo = mid + 1;
  }
  const atRecommended = replayDemand(demands, lo, graceMs);
  const atCurrent = replayDemand(demands, input.currentSize, graceMs);
  const verdict = lo > input.currentSize ? 'grow' : lo < input.currentSize ? 'could shrink' : 'keep';
  const pc = (x: number) => `${(x * 100).toFixed(1)}%`;
  const reasoning = [
    `${observed.visitsHeld} visits held a number (median ${observed.medianHoldMinutes} min), ${observed.unserved} found none; at most ${observed.peakHeld} were held at once, ${observed.meanHeld} on average.`,
    `Replaying that demand, least recently released number first: with ${input.currentSize} numbers ${pc(atCurrent.fallbackShare)} of visits see the fallback and ${pc(atCurrent.protectedShare)} of holds keep their number for the ${input.graceMinutes}-minute grace window after it ends.`,
    `${lo} is the smallest size with under ${pc(ADVISOR_AIM.maxFallbackShare)} fallback shows and at least ${pc(ADVISOR_AIM.minProtectedShare)} of holds protected (${pc(atRecommended.fallbackShare)}, ${pc(atRecommended.protectedShare)}): a call inside a hold or its grace window then finds the right visit.`,
  ];
  return { recommendedSize: lo, verdict, aim: ADVISOR_AIM, observed, atCurrent, atRecommended, reasoning };
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
