/**
 * A small minifier for the snippet, enough to keep it far below its 4 KB (gzipped) budget
 * without a build tool. It works on source written for it: every comment on a line of its own,
 * no template literals, no division (so a `/` after an operator or bracket starts a regular
 * expression). Line breaks are kept, so automatic semicolon insertion sees what the author saw.
 * What it removes: comment lines, indentation and spaces that separate no two words.
 */
export function minifyScript(source: string): string {
  const code = stripComments(source);
  if (code.includes('`')) throw new Error('snippet source: template literals are not supported by the minifier');
  return code
    .split('\n')
    .map(squeezeLine)
    .filter((l) => l !== '')
    .join('\n');
}

const WORD = /[A-Za-z0-9_$]/;
// After these a `/` begins a regular expression literal, never a division.
const BEFORE_REGEX = '(,=:[!&|?{};+-*%<>~^';

function squeezeLine(line: string): string {
  let out = '';
  let i = 0;
  while (i < line.length) {
    const ch = line.charAt(i);
    if (ch === "'" || ch === '"') {
      const end = skipQuoted(line, i, ch);
      out += line.slice(i, end);
      i = end;
    } else if (ch === '/' && startsRegex(out)) {
      const end = skipRegex(line, i);
      out += line.slice(i, end);
      i = end;
    } else if (ch === ' ' || ch === '\t') {
      while (line.charAt(i) === ' ' || line.charAt(i) === '\t') i++;
      const prev = out.charAt(out.length - 1);
      const next = line.charAt(i);
      const keep = (WORD.test(prev) && WORD.test(next)) || ((prev === '+' || prev === '-') && prev === next);
      if (keep && out !== '') out += ' ';
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

function startsRegex(out: string): boolean {
  const trimmed = out.trimEnd();
  if (trimmed === '' || /\breturn$/.test(trimmed)) return true;
  return BEFORE_REGEX.includes(trimmed.charAt(trimmed.length - 1));
}

function skipQuoted(line: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < line.length && line.charAt(i) !== quote) i += line.charAt(i) === '\\' ? 2 : 1;
  if (i >= line.length) throw new Error(`snippet source: unterminated string in: ${line}`);
  return i + 1;
}

function skipRegex(line: string, start: number): number {
  let i = start + 1;
  let inClass = false;
  while (i < line.length) {
    const c = line.charAt(i);
    if (c === '/' && !inClass) break;
    if (c === '[') inClass = true;
    if (c === ']') inClass = false;
    i += c === '\\' ? 2 : 1;
  }
  if (i >= line.length) throw new Error(`snippet source: unterminated regular expression in: ${line}`);
  i++;
  while (/[a-z]/.test(line.charAt(i))) i++;
  return i;
}

/**
 * Drops whole-line comments and indentation. The snippet's source keeps every comment on a
 * line of its own (and no multi-line strings), which is what makes this safe without a parser.
 */
export function stripComments(source: string): string {
  const out: string[] = [];
  let inBlock = false;
  for (const raw of source.split('\n')) {
    const line = raw.trim();
    if (inBlock) {
      if (line.endsWith('*/')) inBlock = false;
      continue;
    }
    if (line.startsWith('/*')) {
      inBlock = !line.endsWith('*/');
      continue;
    }
    if (line === '' || line.startsWith('//')) continue;
    out.push(line);
  }
  return out.join('\n');
}
