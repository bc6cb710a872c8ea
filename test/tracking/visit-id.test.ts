import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { timeOrderedUuid } from '../../src/tracking/visit-id.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('visit ids (UUIDv7)', () => {
  it('are RFC 9562 version 7 UUIDs carrying their creation time in the first 48 bits', () => {
    const at = Date.UTC(2026, 11, 3, 8, 0, 0, 123);
    const id = timeOrderedUuid(at);
    assert.match(id, V7);
    assert.equal(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16), at);
  });

  it('sort in creation order (what keeps the visit-keyed indexes append-only) and never repeat', () => {
    const start = Date.UTC(2026, 0, 1);
    const ids = Array.from({ length: 1000 }, (_, i) => timeOrderedUuid(start + i * 7));
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(Array.from({ length: 10_000 }, () => timeOrderedUuid(start))).size, 10_000);
  });
});
