import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { isCountryCode } from '../phone/e164.js';
import { formatPath } from './cross-checks.js';
import { interpolateEnv } from './interpolate.js';
import { buildConfigSchema, type CalltrackConfig } from './schema.js';

export const DEFAULT_CONFIG_PATH = 'config/calltrack.yaml';

export interface LoadedConfig {
  config: CalltrackConfig;
  /** Absolute path of the file it came from. */
  file: string;
  /** Non-fatal findings (unset environment variables) to show the admin. */
  warnings: ConfigProblem[];
}

/** `-c/--config`, then `CALLTRACK_CONFIG`, then the default path. */
export function resolveConfigPath(cliPath: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(cliPath ?? env.CALLTRACK_CONFIG ?? DEFAULT_CONFIG_PATH);
}

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  if (!existsSync(file)) {
    throw new ConfigError(file, [
      { path: '', message: `config file not found; copy config/calltrack.example.yaml to ${DEFAULT_CONFIG_PATH} or pass -c FILE` },
    ]);
  }
  return parseConfigText(readFileSync(file, 'utf8'), file, env);
}

/**
 * Parses and validates a configuration. Every problem is collected and reported at once,
 * each with its YAML path and line, so an admin fixes the file in one pass.
 */
export function parseConfigText(text: string, file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        const where = pos ? `line ${pos.line}, column ${pos.col}` : 'YAML';
        const text = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
        return { path: '', message: `YAML syntax error at ${where}: ${text}` };
      }),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(file, [{ path: '', message: 'expected a mapping of sections (database, http, sip, ...) at the top level' }]);
  }

  const interpolated = interpolateEnv(raw, env);
  const country = readDefaultCountry(interpolated.value);
  const result = buildConfigSchema(country).safeParse(interpolated.value);
  const problems = [...interpolated.problems];
  if (!result.success) problems.push(...result.error.issues.flatMap((issue) => describeIssue(issue, doc, lineCounter, interpolated.unset)));
  if (problems.length > 0 || !result.success) throw new ConfigError(file, dedupe(problems));
  return { config: result.data, file, warnings: interpolated.warnings };
}

function readDefaultCountry(tree: unknown) {
  const tracking = (tree as { tracking?: { defaultCountry?: unknown } }).tracking;
  const code = tracking?.defaultCountry;
  return typeof code === 'string' && isCountryCode(code) ? code : undefined;
}

function describeIssue(issue: z.core.$ZodIssue, doc: Document, lines: LineCounter, unset: ReadonlyMap<string, string>): ConfigProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const keyPath = [...issue.path, key];
      return locate(keyPath, `unknown key "${key}": check the spelling against config/calltrack.example.yaml`, doc, lines);
    });
  }
  let message = issue.message;
  if (issue.code === 'invalid_type') {
    const actual = valueAt(doc, issue.path);
    const unsetVar = unset.get(formatPath(issue.path));
    if (unsetVar !== undefined) {
      // The file has the key, but as an unset `${VAR}` it counts as absent: the raw text is not the problem.
      message = `is required, but environment variable ${unsetVar} is not set: set it (or write the value in the file)`;
    } else {
      message = actual === undefined ? `is required (expected ${issue.expected})` : `expected ${issue.expected}, got ${describeValue(actual)}`;
    }
  } else if (issue.code === 'invalid_value') {
    message = `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(valueAt(doc, issue.path))}`;
  }
  return [locate(issue.path, message, doc, lines)];
}

function locate(p: readonly PropertyKey[], message: string, doc: Document, lines: LineCounter): ConfigProblem {
  const node = doc.getIn(p as unknown[], true) as { range?: [number, number, number] } | undefined;
  const offset = node?.range?.[0];
  const where = offset === undefined ? '' : ` (line ${lines.linePos(offset).line})`;
  return { path: formatPath(p) + where, message };
}

function valueAt(doc: Document, p: readonly PropertyKey[]): unknown {
  const v = doc.getIn(p as unknown[]);
  return v && typeof v === 'object' && 'toJSON' in v ? (v as { toJSON(): unknown }).toJSON() : v;
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'an empty value';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
