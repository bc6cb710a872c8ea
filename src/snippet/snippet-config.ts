import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { CalltrackConfig } from '../config/schema.js';

/**
 * What the browser snippet is told when it is served. Numbers travel as E.164 digits without
 * the `+`: the snippet compares digit strings, so it needs no phone library of its own.
 */
export interface SnippetClientConfig {
  /** Base URL of the visit API, without a trailing slash. */
  api: string;
  /** Country calling codes of every configured number, longest first: where a national number starts. */
  cc: string[];
  /** Site numbers swapped for every visit (`snippet.siteNumbers`). */
  site: string[];
  /** Per pool: its own site numbers, and whether it shows numbers only on click. */
  pools: Record<string, { site: string[]; reveal: boolean }>;
  /** Some pool reveals on click: the snippet asks `GET /v1/visits/preview` before taking a number. */
  reveal: boolean;
  label: string;
  /**
   * The GA4 measurement id without `G-`, when `analytics.ga4` is configured: the snippet reads the
   * GA4 session id from gtag's `_ga_<this>` cookie. Without it there is no GA4 event to carry one.
   */
  ga?: string;
}

const digits = (e164: string) => e164.replace(/^\+/, '');

export function snippetClientConfig(cfg: CalltrackConfig, api: string): SnippetClientConfig {
  const all = [
    ...cfg.snippet.siteNumbers,
    ...cfg.numbers.map((n) => n.number),
    ...cfg.pools.flatMap((p) => [...p.numbers, ...p.siteNumbers, ...(p.fallbackNumber ? [p.fallbackNumber] : [])]),
  ];
  const cc = new Set<string>();
  for (const n of all) {
    const code = parsePhoneNumberFromString(n)?.countryCallingCode;
    if (code) cc.add(code);
  }
  const pools: SnippetClientConfig['pools'] = {};
  for (const p of cfg.pools) pools[p.name] = { site: p.siteNumbers.map(digits), reveal: p.reveal === 'click' };
  return {
    api: api.replace(/\/+$/, ''),
    cc: [...cc].sort((a, b) => b.length - a.length),
    site: cfg.snippet.siteNumbers.map(digits),
    pools,
    reveal: cfg.pools.some((p) => p.reveal === 'click'),
    label: cfg.snippet.revealLabel,
    ...(cfg.analytics.ga4 ? { ga: cfg.analytics.ga4.measurementId.replace(/^G-/, '') } : {}),
  };
}
