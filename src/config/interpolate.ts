import type { ConfigProblem } from '../errors.js';
import { formatPath } from './cross-checks.js';

const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface InterpolationResult {
  value: unknown;
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
  /** Keys dropped because their whole value was an unset `${VAR}`: path (formatPath) → VAR. */
  unset: Map<string, string>;
}

/**
 * Replaces `${VAR}` and `${VAR:-default}` in string values with the environment's values.
 * It runs on the parsed YAML tree, not the raw text, so a secret containing `: ` or `#`
 * cannot change the document's structure.
 *
 * A value that is exactly `${VAR}` with VAR unset is treated as if the key were absent (with a
 * warning), so the example file validates on a machine without secrets; an unset variable in
 * the middle of a longer string would produce a broken value, so that is an error.
 */
export function interpolateEnv(tree: unknown, env: NodeJS.ProcessEnv): InterpolationResult {
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const unset = new Map<string, string>();

  const visit = (node: unknown, path: (string | number)[]): unknown => {
    if (typeof node === 'string') return substitute(node, path);
    if (Array.isArray(node)) return node.map((item, i) => visit(item, [...path, i]));
    if (node && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(node)) {
        const value = visit(child, [...path, key]);
        if (value !== undefined) out[key] = value;
      }
      return out;
    }
    return node;
  };

  const substitute = (text: string, path: (string | number)[]): string | undefined => {
    const whole = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(text);
    if (whole) {
      const name = whole[1] as string;
      const value = env[name];
      if (value === undefined || value === '') {
        warnings.push({ path: formatPath(path), message: `environment variable ${name} is not set; the key is treated as absent` });
        unset.set(formatPath(path), name);
        return undefined;
      }
      return value;
    }
    return text.replace(VAR, (match, name: string, fallback: string | undefined) => {
      const value = env[name];
      if (value !== undefined && value !== '') return value;
      if (fallback !== undefined) return fallback;
      problems.push({ path: formatPath(path), message: `environment variable ${name} is not set (used in "${text}"); set it or write \${${name}:-default}` });
      return match;
    });
  };

  return { value: visit(tree, []), problems, warnings, unset };
}
