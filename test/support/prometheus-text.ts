/**
 * Enough of the Prometheus text format (version 0.0.4) for tests to read values back: one sample
 * a line, `name{label="value",...} number`, `#` lines skipped. prom-client has no parser.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (m[2] ?? '').matchAll(LABEL)) {
      if (key !== undefined) labels[key] = (raw ?? '').replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: m[1] ?? '', labels, value: Number(m[3]) });
  }
  return samples;
}

/** A scrape's samples, looked up by name and (all of) their labels. */
export class Scrape {
  readonly samples: Sample[];

  constructor(text: string) {
    this.samples = parsePrometheusText(text);
  }

  /** The value of the one sample with exactly these labels; undefined when there is none. */
  value(name: string, labels: Record<string, string> = {}): number | undefined {
    const want = Object.entries(labels);
    const found = this.samples.filter(
      (s) => s.name === name && Object.keys(s.labels).length === want.length && want.every(([k, v]) => s.labels[k] === v),
    );
    if (found.length > 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
    return found[0]?.value;
  }

  /** Whether any sample of `name` was served. */
  has(name: string): boolean {
    return this.samples.some((s) => s.name === name);
  }
}
