import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const created: string[] = [];

/**
 * A fresh directory under the OS temp dir, removed when the test process exits. Not with
 * node:test's `after()`: called inside a `before` hook, that would delete the directory as
 * soon as the hook ends, under an app that still uses it.
 */
export function tempDir(prefix = 'calltrack-test-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  if (created.length === 0) {
    process.once('exit', () => {
      for (const d of created) rmSync(d, { recursive: true, force: true });
    });
  }
  created.push(dir);
  return dir;
}
