import { z } from 'zod';
import { isTimeZone } from '../exports/time-zone.js';
import { httpUrlField, nameField } from './fields.js';

/*
 * The configuration sections about where calls go once they are recorded (webhooks, analytics,
 * exports) and the log: none depends on the default country, so they are built once here and
 * composed by buildConfigSchema (schema.ts).
 */

export const webhook = z.strictObject({
  name: nameField.optional(),
  url: httpUrlField,
  secret: z.string().min(16, 'must be at least 16 characters: it signs every delivery'),
  events: z.array(z.enum(['call.started', 'call.answered', 'call.completed', 'call.missed'])).min(1).optional(),
  /** Put a signed recording link (no token needed) valid this many days in call.completed. */
  recordingLinkDays: z.number().int().min(1).max(90).optional(),
});

export const analytics = z.strictObject({
  ga4: z
    .strictObject({
      measurementId: z.string().regex(/^G-[A-Z0-9]+$/, 'expected a GA4 measurement id such as "G-ABC123XYZ"'),
      apiSecret: z.string().min(1),
      endpoint: httpUrlField.optional(),
    })
    .optional(),
  // Yandex Metrica offline calls (integrations/metrica.ts): each finished call with a ClientID is uploaded.
  metrica: z
    .strictObject({
      // The counter (tag) number as Metrica shows it; YAML may give it as a number or a string.
      counterId: z
        .union([z.number().int().positive(), z.string().regex(/^[1-9][0-9]*$/)], { error: 'expected a Metrica counter number such as 12345678' })
        .transform(String),
      // An OAuth token with metrika:write; write it as ${METRICA_TOKEN}, never in the file.
      token: z.string().min(1),
      // The API's base URL (tests point it at a local receiver).
      endpoint: httpUrlField.optional(),
    })
    .optional(),
});

export const exportsSection = z.strictObject({
  timeZone: z
    .string()
    .refine(isTimeZone, 'expected an IANA time zone such as "Europe/Moscow" or "UTC"')
    .default('UTC'),
  // Two Google Ads conversion actions, one per export format: each format asks for its own name
  // when it runs, so a site that uploads only one kind sets only that name.
  googleAds: z
    .strictObject({
      // For --format google-ads: an Import action for conversions from calls (through a Google forwarding number).
      conversionName: z.string().min(1, 'is empty: use the conversion action name exactly as in Google Ads').optional(),
      // For --format google-ads-clicks: an Import action for conversions from clicks (matched by the visit's gclid).
      clickConversionName: z.string().min(1, 'is empty: use the conversion action name exactly as in Google Ads').optional(),
      // --format google-ads-clicks: the click conversion action's click-through conversion window in
      // days; calls later than that after the click are left out (Google would reject them). Default 90.
      clickWindowDays: z
        .number()
        .int()
        .min(1, 'expected a whole number of days from 1 to 90: the click-through conversion window of the conversion action')
        .max(90, "expected a whole number of days from 1 to 90: Google's longest click-through conversion window is 90 days")
        .optional(),
      conversionValue: z.number().min(0).optional(),
      currency: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 currency code such as "RUB", "USD" or "EUR"').optional(),
    })
    .refine((ads) => ads.conversionName !== undefined || ads.clickConversionName !== undefined, {
      message: 'names no conversion action: set conversionName (for --format google-ads), clickConversionName (for --format google-ads-clicks) or both',
    })
    .optional(),
});

export const log = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // masked: the INVITE line shows a caller as +79*******67 (logs outlive `calls forget`).
  callerNumbers: z.enum(['full', 'masked']).default('full'),
});
