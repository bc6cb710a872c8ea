import { appendFile, mkdir, readdir, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { CallRecord } from './call-record.js';

/**
 * An append-only file of call records that could not be written to the database. One JSON
 * record per line, always the call's full current state, so importing is "upsert the last
 * line per call" and a line written twice does no harm.
 *
 * Import renames the file first (atomic on one filesystem), so calls that keep appending
 * while an import runs start a fresh file instead of racing the reader.
 */
export class CallJournal {
  private pendingFlag: boolean | undefined;

  constructor(readonly file: string) {}

  async append(record: CallRecord): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    await appendFile(this.file, `${JSON.stringify(record)}\n`, 'utf8');
    this.pendingFlag = true;
  }

  /** Whether there may be something to import (cheap; checks the disk once per process). */
  async hasPending(): Promise<boolean> {
    if (this.pendingFlag === undefined) this.pendingFlag = (await this.batchFiles(true)).length > 0;
    return this.pendingFlag;
  }

  /**
   * Moves the live journal aside and returns every batch waiting to be imported, oldest
   * first. A batch whose import failed earlier is still there and comes back.
   */
  async takeBatches(): Promise<Array<{ file: string; records: CallRecord[]; tornLine?: number }>> {
    try {
      await rename(this.file, `${this.file}.importing-${Date.now()}-${process.pid}`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    this.pendingFlag = false;
    const batches: Array<{ file: string; records: CallRecord[]; tornLine?: number }> = [];
    for (const file of await this.batchFiles(false)) {
      const text = await readFile(file, 'utf8');
      const records: CallRecord[] = [];
      const lines = text.split('\n');
      const last = lines.findLastIndex((l) => l.trim() !== '');
      let torn: number | undefined;
      for (const [i, line] of lines.entries()) {
        if (!line.trim()) continue;
        try {
          records.push(JSON.parse(line) as CallRecord);
        } catch {
          // A crash mid-append tears only the last line; the call's earlier state is in the lines
          // before it (or in the database). A bad line anywhere else is damage a person must see.
          if (i !== last) throw new Error(`${file}:${i + 1}: not a JSON call record: fix or delete that line, then restart`);
          torn = i + 1;
        }
      }
      batches.push({ file, records, ...(torn ? { tornLine: torn } : {}) });
    }
    return batches;
  }

  async done(file: string): Promise<void> {
    await unlink(file);
  }

  /** Batches stay pending after a failed import. */
  markPending(): void {
    this.pendingFlag = true;
  }

  private async batchFiles(includeLive: boolean): Promise<string[]> {
    const dir = path.dirname(this.file);
    const base = path.basename(this.file);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const batches = names.filter((n) => n.startsWith(`${base}.importing-`)).sort();
    if (includeLive && names.includes(base)) batches.push(base);
    return batches.map((n) => path.join(dir, n));
  }
}
