import { DAY_MS } from '../clock.js';
import { isTargetCall } from '../calls/target-call.js';
import { InvalidInputError } from '../errors.js';
import { neutraliseCell } from './cell-safety.js';
import type { ExportFormat, FormatOptions } from './export-formats.js';
import type { ExportRow } from './export-row.js';

/*
 * Google Ads offline conversions come in two kinds, and Google matches each only to its own:
 *
 * - call conversions (`google-ads`), keyed by the caller's number and the call's start, match only
 *   calls that went through a Google forwarding number (call assets, call ads). The Google Ads API
 *   says a call "cannot be uploaded as a conversion if there is no Google forwarding number
 *   attached to the call": every other row is ignored.
 * - click conversions (`google-ads-clicks`), keyed by the GCLID of the ad click, match a call
 *   calltrack credits to a visit that came from a Google ad (auto-tagging puts `gclid` in the
 *   landing URL). That is calltrack's dynamic numbers: the visitor clicked an ad, saw a pool
 *   number on the site and called it.
 */

/**
 * A click counts for a conversion within the conversion action's click-through conversion window,
 * 90 days at most; Google rejects an older click (EXPIRED_EVENT), so the file leaves such calls
 * out. The window is the action's own setting (`exports.googleAds.clickWindowDays`, Google's
 * maximum by default): a row between a shorter window and 90 days would only come back as an
 * error in Google Ads' upload report.
 */
export const MAX_CLICK_WINDOW_DAYS = 90;

/** A GCLID as Google writes it: base64url characters only. */
const GCLID = /^[A-Za-z0-9_-]+$/;

const text = (value: string, raw: boolean) => (raw ? value : neutraliseCell(value));

type GoogleAds = FormatOptions['googleAds'];

function conversionName(name: 'conversionName' | 'clickConversionName', format: string, kind: string, ads: GoogleAds): string {
  const value = ads?.[name];
  if (value === undefined) {
    throw new InvalidInputError(
      `format ${format} needs exports.googleAds.${name} in the configuration: the name of your Google Ads conversion action ` +
        `for ${kind}, exactly as in Google Ads`,
      { field: 'format' },
    );
  }
  return value;
}

/** The value of a target call: its deal value when the CRM set one, else the configured value, else empty. */
function conversionValue(call: ExportRow, ads: GoogleAds): string {
  const value = call.dealValue ?? ads?.conversionValue;
  return value === undefined ? '' : String(value);
}

/**
 * Offline call conversions: a `Parameters:TimeZone=` row, the header, then target calls with a
 * caller number. Times are wall times in the export's zone, as that row declares; the conversion
 * time is the call's end (a call becomes a target call, a lead, by lasting long enough).
 */
export function googleAdsCallsFormat(opts: FormatOptions): ExportFormat {
  const name = conversionName('conversionName', 'google-ads', 'conversions from calls (an Import action, UPLOAD_CALLS)', opts.googleAds);
  const currency = opts.googleAds?.currency ?? '';
  return {
    name: 'google-ads',
    preamble: [[`Parameters:TimeZone=${opts.zone.name}`]],
    header: ["Caller's Phone Number", 'Call Start Time', 'Conversion Name', 'Conversion Time', 'Conversion Value', 'Conversion Currency'],
    readsVisitStart: false,
    row(call) {
      if (!call.callerNumber || call.endedAt === null || !isTargetCall(call, opts.rules)) return null;
      return [
        call.callerNumber,
        opts.zone.formatWall(call.startedAt),
        text(name, opts.raw),
        opts.zone.formatWall(call.endedAt),
        conversionValue(call, opts.googleAds),
        currency,
      ];
    },
  };
}

/**
 * Offline click conversions ("Import conversions from ad clicks"): a `Parameters:TimeZone=` row,
 * the header Google's template starts with `Google Click ID`, then one row per finished target
 * call whose visit came with a gclid and began (the click) within the action's click-through window
 * before the conversion. The conversion time is the call's end, as in the call format, so a period exported
 * twice gives the same rows, and Google ignores a conversion with the same GCLID, name and time.
 */
export function googleAdsClicksFormat(opts: FormatOptions): ExportFormat {
  const name = conversionName('clickConversionName', 'google-ads-clicks', 'conversions from clicks (an Import action, UPLOAD_CLICKS)', opts.googleAds);
  const currency = opts.googleAds?.currency ?? '';
  const windowMs = (opts.googleAds?.clickWindowDays ?? MAX_CLICK_WINDOW_DAYS) * DAY_MS;
  return {
    name: 'google-ads-clicks',
    preamble: [[`Parameters:TimeZone=${opts.zone.name}`]],
    // No consent column: calltrack does not know what the caller agreed to, and the template's
    // consent column could not be checked against Google's documentation (README "Consent (EEA)").
    header: ['Google Click ID', 'Conversion Name', 'Conversion Time', 'Conversion Value', 'Conversion Currency'],
    readsVisitStart: true,
    row(call) {
      // An erased call is not sent keyed by the person's ad click (see metricaCallRow).
      if (!call.gclid || call.endedAt === null || call.identityErasedAt !== null || !isTargetCall(call, opts.rules)) return null;
      // A visit whose row is gone has no start to check: the row goes to Google, which judges the click itself.
      if (call.visitStartedAt !== null && call.endedAt - call.visitStartedAt > windowMs) return null;
      return [
        // A GCLID (base64url) must reach Google unchanged and holds no formula a spreadsheet could run
        // (at worst a leading `-` shows as an error); anything else is guarded like other text.
        GCLID.test(call.gclid) ? call.gclid : text(call.gclid, opts.raw),
        text(name, opts.raw),
        opts.zone.formatWall(call.endedAt),
        conversionValue(call, opts.googleAds),
        currency,
      ];
    },
  };
}
