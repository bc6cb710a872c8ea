import { InvalidInputError } from '../errors.js';

/**
 * Spreadsheets (Excel, LibreOffice, Google Sheets) run a cell that starts with `=`, `+`, `-` or
 * `@` as a formula, and some also after a leading tab or carriage return ("CSV injection").
 * A caller's number, a referrer or a UTM tag comes from strangers, so such text cells get a
 * leading single quote, which every spreadsheet shows as text.
 *
 * Phone numbers: E.164 numbers start with `+`, so `+74951112233` is written `'+74951112233`;
 * otherwise a spreadsheet would read it as the formula `=74951112233`, drop the `+` and show
 * `7.5E+10`. The number stays readable and searchable; a program that wants the bare value
 * strips one leading `'` (or the export runs with `--raw`).
 *
 * Only text is touched: numeric cells (talk seconds) and times this code formats never start
 * with those characters.
 */
export function neutraliseCell(value: string): string {
  return isFormulaLike(value) ? `'${value}` : value;
}

/**
 * `=` `+` `-` `@`, tab or CR first. Char codes, not a regular expression: this runs for most
 * cells of a million-row export, where the expression cost several times more.
 */
export function isFormulaLike(value: string): boolean {
  const c = value.charCodeAt(0);
  return c === 61 || c === 43 || c === 45 || c === 64 || c === 9 || c === 13;
}

/** A delimiter as users type it: `,` `;` `|`, or the words `tab` / `\t`. */
export function parseDelimiter(text: string | undefined): string {
  if (text === undefined || text === '') return ',';
  const value = text === 'tab' || text === '\\t' ? '\t' : text;
  if (value.length !== 1 || NOT_DELIMITERS.includes(value)) return invalidDelimiter(text);
  return value;
}

// Quotes and line breaks are CSV's own; `-`, `\` and `]` break the character class d3-dsv builds
// from the delimiter to decide which cells to quote (it would throw or quote wrongly).
const NOT_DELIMITERS = ['"', "'", '\n', '\r', '-', '\\', ']'];

function invalidDelimiter(text: string): never {
  throw new InvalidInputError(
    `delimiter: "${text}" must be one character such as "," or ";" (or "tab"), and not a quote, a line break, "-", "\\" or "]"`,
    { field: 'delimiter' },
  );
}
