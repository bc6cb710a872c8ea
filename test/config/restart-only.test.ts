import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { z } from 'zod';
import { LIVE_ON_RELOAD, RESTART_ONLY, reloadChanges } from '../../src/config/restart-only.js';
import { buildConfigSchema } from '../../src/config/schema.js';
import { makeConfig, sampleConfigDoc } from '../support/config.js';

/** The object schema under defaults, optionals and preprocessing, if there is one. */
function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  let node = schema;
  for (;;) {
    const def = node.def as { type: string; innerType?: z.ZodType; out?: z.ZodType; shape?: Record<string, z.ZodType> };
    if (def.type === 'object') return def.shape;
    const inner = def.innerType ?? (def.type === 'pipe' ? def.out : undefined);
    if (!inner) return undefined;
    node = inner;
  }
}

/** Every setting path down to the first classified one; unclassified leaves come back as problems. */
function unclassified(shape: Record<string, z.ZodType>, prefix: string, classified: Set<string>): string[] {
  return Object.entries(shape).flatMap(([key, schema]) => {
    const p = prefix ? `${prefix}.${key}` : key;
    if (classified.has(p)) return [];
    const inner = objectShape(schema);
    return inner ? unclassified(inner, p, classified) : [p];
  });
}

describe('which settings a reload applies', () => {
  const schema = buildConfigSchema(undefined);
  const all = [...RESTART_ONLY, ...LIVE_ON_RELOAD] as string[];

  it('classifies every setting of the schema as live or restart-only, so a new one cannot slip in unsaid', () => {
    assert.deepEqual(unclassified(schema.shape, '', new Set(all)), []);
    // The walk itself finds what it should: take a section away and it is reported.
    assert.deepEqual(unclassified(schema.shape, '', new Set(all.filter((p) => p !== 'sip.journalFile' && p !== 'log'))), ['sip.journalFile', 'log.level', 'log.callerNumbers']);
  });

  it('names only paths the schema has, each once, none inside another', () => {
    for (const p of all) {
      const parts = p.split('.');
      let shape: Record<string, z.ZodType> | undefined = schema.shape;
      for (const part of parts) {
        const child: z.ZodType | undefined = shape?.[part];
        assert.ok(child, `${p} is not a setting of the schema`);
        shape = objectShape(child);
      }
    }
    assert.equal(new Set(all).size, all.length, 'a path is listed twice');
    for (const a of all) for (const b of all) assert.ok(a === b || !b.startsWith(`${a}.`), `${b} is inside ${a}`);
  });

  it('compares by value: an identical file re-read changes nothing', () => {
    const doc = sampleConfigDoc('/tmp/x.sqlite');
    assert.deepEqual(reloadChanges(makeConfig(doc), makeConfig(doc)), { applied: [], needsRestart: [] });
    const withMedia = makeConfig({ ...doc, media: { freeswitch: { host: '127.0.0.1' } } });
    assert.deepEqual(reloadChanges(makeConfig(doc), withMedia), { applied: [], needsRestart: ['media.freeswitch'] });
  });
});
