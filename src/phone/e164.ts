import { parsePhoneNumberFromString, isSupportedCountry, type CountryCode } from 'libphonenumber-js';

export type E164 = string & { readonly __brand: 'E164' };

export type NormaliseResult = { ok: true; number: E164 } | { ok: false; reason: string };

/**
 * Turns a number as people write it (`8 (495) 111-22-33`, `+1 415-555-0100`, `tel:+7...`)
 * into E.164. National formats need a default country: without one they are refused rather
 * than guessed, because a wrong guess would silently route calls to another country.
 */
export function normalisePhoneNumber(input: string, defaultCountry?: CountryCode): NormaliseResult {
  const text = input.trim().replace(/^tel:/i, '');
  if (text === '') return { ok: false, reason: 'is empty, expected a phone number' };
  if (!/^[+\d\s().\-/]+$/.test(text)) {
    return { ok: false, reason: `"${input}" is not a valid phone number (only digits, +, spaces, dots, dashes and brackets)` };
  }
  const international = text.startsWith('+') || text.startsWith('00');
  if (!international && !defaultCountry) {
    return {
      ok: false,
      reason: `"${input}" is in a national format: write it as +<country code>... or set tracking.defaultCountry`,
    };
  }
  const parsed = parsePhoneNumberFromString(text.startsWith('00') ? `+${text.slice(2)}` : text, defaultCountry);
  if (!parsed || !parsed.isValid()) {
    return { ok: false, reason: `"${input}" is not a valid phone number` };
  }
  return { ok: true, number: parsed.number as E164 };
}

/** For the SIP edge: a Request-URI user may carry digits only, or a leading + (RFC 3966 global number). */
export function normaliseDialledNumber(user: string, defaultCountry?: CountryCode): E164 | undefined {
  const result = normalisePhoneNumber(decodeURIComponent(user).replace(/;.*$/, ''), defaultCountry);
  return result.ok ? result.number : undefined;
}

/** National formatting for display (`8 (495) 111-22-33`, `(415) 555-0100`). */
export function formatNational(number: string): string {
  // Every new visit's answer shows a tracking number this way, and libphonenumber's parse and
  // format cost more than the rest of the answer; the numbers shown are the configured few.
  let display = nationalDisplay.get(number);
  if (display === undefined) {
    const parsed = parsePhoneNumberFromString(number);
    display = parsed ? parsed.formatNational() : number;
    if (nationalDisplay.size >= NATIONAL_DISPLAY_MAX) nationalDisplay.clear();
    nationalDisplay.set(number, display);
  }
  return display;
}

const nationalDisplay = new Map<string, string>();
const NATIONAL_DISPLAY_MAX = 50_000;

/**
 * A caller's number for a log line that must not identify them (`log.callerNumbers: masked`):
 * the first three characters (the country code, roughly) and the last two digits stay, so an
 * operator can still tell calls apart and see where a call came from; the rest becomes `*`.
 */
export function maskPhoneNumber(number: string): string {
  if (number.length <= 5) return '*'.repeat(number.length);
  return number.slice(0, 3) + '*'.repeat(number.length - 5) + number.slice(-2);
}

/** A caller's number as a log line shows it under `log.callerNumbers` (the one place that rule lives). */
export function callerForLog(mode: 'full' | 'masked', number: string): string;
export function callerForLog(mode: 'full' | 'masked', number: string | null | undefined): string | null | undefined;
export function callerForLog(mode: 'full' | 'masked', number: string | null | undefined): string | null | undefined {
  return number && mode === 'masked' ? maskPhoneNumber(number) : number;
}

/**
 * `text` with every E.164 number that `source` holds masked, with or without its `+`: a
 * receiver's error text may quote what it was sent (`duplicate contact 79161234567`), and that
 * text goes to the log, where `log.callerNumbers: masked` promises no caller's number.
 */
export function maskNumbersFrom(text: string, source: string): string {
  let out = text;
  for (const number of new Set(source.match(/\+\d{8,15}/g) ?? [])) {
    out = out.replaceAll(number, maskPhoneNumber(number)).replaceAll(number.slice(1), maskPhoneNumber(number.slice(1)));
  }
  return out;
}

export function formatInternational(number: string): string {
  const parsed = parsePhoneNumberFromString(number);
  return parsed ? parsed.formatInternational() : number;
}

export function isCountryCode(code: string): code is CountryCode {
  return isSupportedCountry(code);
}

export type { CountryCode };
