import type { CalltrackConfig } from '../config/schema.js';

export type NumberKind = 'static' | 'pool' | 'fallback';

/** A tracking number as configuration defines it (what sync writes). */
export interface NumberDefinition {
  number: string;
  kind: NumberKind;
  poolName: string | null;
  sourceName: string | null;
  sourceMedium: string | null;
  sourceCampaign: string | null;
  sourceTerm: string | null;
  sourceContent: string | null;
  forwardTo: string[];
}

/** A tracking number as stored, with its state. */
export interface TrackingNumber extends NumberDefinition {
  id: number;
  active: boolean;
  holdVisitId: string | null;
  holdUntil: number | null;
  freeSince: number | null;
  createdAt: number;
  updatedAt: number;
  deactivatedAt: number | null;
}

/** Every number the configuration names, in file order. */
export function definitionsFromConfig(cfg: Pick<CalltrackConfig, 'numbers' | 'pools'>): NumberDefinition[] {
  const defs: NumberDefinition[] = cfg.numbers.map((n) => ({
    number: n.number,
    kind: 'static',
    poolName: null,
    sourceName: n.source.name,
    sourceMedium: n.source.medium ?? null,
    sourceCampaign: n.source.campaign ?? null,
    sourceTerm: n.source.term ?? null,
    sourceContent: n.source.content ?? null,
    forwardTo: n.forwardTo,
  }));
  for (const pool of cfg.pools) {
    const base = {
      poolName: pool.name,
      sourceName: null,
      sourceMedium: null,
      sourceCampaign: null,
      sourceTerm: null,
      sourceContent: null,
      forwardTo: pool.forwardTo,
    };
    for (const number of pool.numbers) defs.push({ ...base, number, kind: 'pool' });
    if (pool.fallbackNumber) defs.push({ ...base, number: pool.fallbackNumber, kind: 'fallback' });
  }
  return defs;
}

export const DEFINITION_FIELDS = [
  'kind',
  'poolName',
  'sourceName',
  'sourceMedium',
  'sourceCampaign',
  'sourceTerm',
  'sourceContent',
  'forwardTo',
] as const satisfies readonly (keyof NumberDefinition)[];

/** The fields whose values differ, as {field: value} pairs for the change history. */
export function diffDefinitions(
  stored: NumberDefinition,
  wanted: NumberDefinition,
): { before: Partial<NumberDefinition>; after: Partial<NumberDefinition> } | null {
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  for (const field of DEFINITION_FIELDS) {
    if (JSON.stringify(stored[field]) !== JSON.stringify(wanted[field])) {
      before[field] = stored[field];
      after[field] = wanted[field];
    }
  }
  return Object.keys(after).length === 0 ? null : { before, after };
}
