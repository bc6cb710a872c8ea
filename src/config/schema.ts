import { z } from 'zod';
import type { CountryCode } from '../phone/e164.js';
import { isCountryCode } from '../phone/e164.js';
import {
  forwardField,
  hostField,
  httpUrlField,
  ipOrCidrField,
  nameField,
  originField,
  phoneField,
  portField,
} from './fields.js';
import { checkCrossReferences } from './cross-checks.js';
import { registerSchema } from './schema-register.js';
import { analytics, exportsSection, log, webhook } from './schema-outputs.js';
import { checkScheduleReferences, schedulesSection } from './schema-schedules.js';
import { checkSnippetNumbers } from './snippet-checks.js';

/**
 * The shortest visit retention allowed: `pools status` and the pool-size advisor read the last 7
 * days of holds, which are deleted with their visits.
 */
export const MIN_VISIT_RETENTION_DAYS = 8;

/**
 * The one configuration schema. Every object is strict: a misspelt key is an error, never
 * silently ignored. Sections that are left out take the defaults documented in
 * config/calltrack.example.yaml. Phone-number fields depend on `tracking.defaultCountry`,
 * so the schema is built for that country (read first, leniently, by the loader).
 */
export function buildConfigSchema(defaultCountry: CountryCode | undefined) {
  const phone = phoneField(defaultCountry);
  const forwardTo = forwardField(defaultCountry);
  const strings = z.array(z.string().min(1)).min(1, 'needs at least one value');

  const sqlite = z.strictObject({
    client: z.literal('sqlite3'),
    filename: z.string().min(1).default('data/calltrack.sqlite'),
    busyTimeoutMs: z.number().int().min(0).default(5000),
  });
  const postgres = z.strictObject({
    client: z.literal('pg'),
    connection: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// connection URL'),
    pool: z.strictObject({ min: z.number().int().min(0).default(0), max: z.number().int().min(1).default(10) }).prefault({}),
  });
  const database = z.preprocess(
    (v) => (v && typeof v === 'object' && !('client' in v) ? { client: 'sqlite3', ...v } : v),
    z.discriminatedUnion('client', [sqlite, postgres], { error: 'client: expected "sqlite3" or "pg"' }),
  );

  const http = z.strictObject({
    host: hostField.default('0.0.0.0'),
    port: z.number().int().min(0, 'expected a port 1-65535 (0 = any free port)').max(65535).default(8080),
    publicUrl: httpUrlField.optional(),
    corsOrigins: z.array(originField).default([]),
    adminToken: z.string().min(16, 'must be at least 16 characters (use a long random string)').optional(),
    bodyLimitBytes: z.number().int().min(1024).max(1048576).default(16384),
    trustProxy: z.boolean().default(false),
    // Per client IP, on POST /v1/visits: past `max` new visits in `windowSeconds`, a visit is
    // shown the fallback number (never an error page), so one address cannot drain a pool.
    rateLimit: z
      .strictObject({
        max: z.number().int().min(1).default(30),
        windowSeconds: z.number().int().min(1).max(86400).default(60),
      })
      .prefault({}),
  });

  const trunk = z.strictObject({
    name: nameField,
    allow: z.array(ipOrCidrField).min(1, 'needs at least one address: only these may send INVITEs'),
    outbound: z
      .string()
      .regex(/^sips?:/, 'expected a SIP URI template such as "sip:{number}@pbx.example.com:5060"')
      .refine(
        (s) => s.includes('{number}') || s.includes('{digits}'),
        'must contain {number} (the E.164 number to call, with +) or {digits} (the same without +)',
      ),
    auth: z.strictObject({ username: z.string().min(1), password: z.string().min(1) }).optional(),
    // Providers that deliver calls only to a registered account (src/sip/registrar.ts).
    register: registerSchema(phone).optional(),
  });

  const sip = z.strictObject({
    drachtio: z
      .strictObject({ host: hostField.default('127.0.0.1'), port: portField.default(9022), secret: z.string().min(1).default('cymru') })
      .prefault({}),
    trunks: z.array(trunk).default([]),
    ringTimeoutSeconds: z.number().int().min(5).max(600).default(40),
    unknownNumber: z
      .union([z.literal('reject'), z.strictObject({ forwardTo: phone })], {
        error: 'expected "reject" or { forwardTo: "<number>" }',
      })
      .default('reject'),
    // Each X-Calltrack-* header on the forwarded INVITE can be switched off (a PBX that
    // rejects unknown headers, or a privacy policy about visit ids).
    headers: z
      .strictObject({
        callId: z.boolean().default(true),
        source: z.boolean().default(true),
        medium: z.boolean().default(true),
        campaign: z.boolean().default(true),
        term: z.boolean().default(true),
        visitId: z.boolean().default(true),
        gaClientId: z.boolean().default(true),
        gaSessionId: z.boolean().default(true),
        firstCall: z.boolean().default(true),
        afterHours: z.boolean().default(true),
      })
      .prefault({}),
    displayNameTag: z.boolean().default(false),
    assertIdentity: z.boolean().default(true),
    shutdownGraceSeconds: z.number().int().min(0).max(600).default(20),
    journalFile: z.string().min(1).default('data/calls-journal.jsonl'),
  });

  // A prompt file as FreeSWITCH sees it: absolute, or relative to FreeSWITCH's sounds directory.
  const promptFile = z.string().min(1, 'is empty: give a sound file path as FreeSWITCH sees it (e.g. /usr/local/freeswitch/sounds/whisper.wav)');
  /** Per-number / per-pool media behaviour; anything left out follows media.recording. */
  const mediaOptions = {
    record: z.boolean().optional(),
    whisper: promptFile.optional(),
    recordingNotice: promptFile.optional(),
  };
  /** Per-number / per-pool business hours: a name from `schedules` and where calls go while it is closed. */
  const afterHours = { schedule: nameField.optional(), afterHoursForwardTo: forwardTo.optional() };

  const media = z.strictObject({
    freeswitch: z
      .strictObject({
        host: hostField.default('127.0.0.1'),
        port: portField.default(8021),
        secret: z.string().min(1).default('ClueCon'),
        profile: z.string().min(1).default('drachtio_mrf'),
        listenAddress: hostField.default('0.0.0.0'),
        listenPort: z.number().int().min(0).max(65535).default(8085),
        advertisedAddress: hostField.optional(),
        advertisedPort: portField.optional(),
      })
      .optional(),
    timeoutMs: z.number().int().min(200).max(30000).default(3000),
    promptTimeoutSeconds: z.number().int().min(1).max(600).default(30),
    // What a caller hears while the target rings, when they already have FreeSWITCH's media
    // (after a recording notice): a FreeSWITCH tone_stream or sound file. Default: Europe's 425 Hz.
    ringback: z
      .string()
      .regex(/^(tone_stream:\/\/\S+|\/\S+|[\w$][^\s:]*)$/, 'expected a FreeSWITCH tone_stream://... or a sound file path, e.g. "tone_stream://%(2000,4000,440,480);loop=-1" (US)')
      .default('tone_stream://%(1000,4000,425);loop=-1'),
    reconnectMaxDelaySeconds: z.number().int().min(1).max(600).default(30),
    recording: z
      .strictObject({
        enabled: z.boolean().default(false),
        dir: z.string().min(1).default('data/recordings'),
        freeswitchDir: z.string().regex(/^\//, 'must be an absolute path: FreeSWITCH silently writes nothing for a relative one').optional(),
        stereo: z.boolean().default(true),
        retentionDays: z.number().int().min(1).default(90),
        minSeconds: z.number().min(0).default(0),
      })
      .prefault({}),
  });

  const tracking = z.strictObject({
    defaultCountry: z
      .string()
      .refine(isCountryCode, 'expected a two-letter ISO country code such as "RU", "US" or "GB"')
      .optional(),
    targetCallSeconds: z.number().int().min(0).default(30),
    repeatCallDays: z.number().int().min(0).default(30),
    targetRequiresFirstCall: z.boolean().default(false),
    // 60, not 10: callers ring up to an hour after leaving, and a number freed free-longest-first
    // is rarely reused that soon (bench/attribution, BENCHMARKS.md: 95.5% accuracy at 10 min,
    // 100% at 60 min on the same pool).
    graceMinutes: z.number().int().min(0).max(1440).default(60),
    // No default: how long visitor data (IP address, user agent) may be kept is the operator's
    // decision; unset, `calltrack visits prune` needs --days.
    visitRetentionDays: z
      .number()
      .int()
      .min(MIN_VISIT_RETENTION_DAYS, `must be at least ${MIN_VISIT_RETENTION_DAYS}: pools status and the pool-size advisor read the last 7 days of holds`)
      .optional(),
    // No default, as visitRetentionDays: `calltrack calls anonymise` erases callers' numbers after it.
    callerRetentionDays: z.number().int().min(1).optional(),
  }).superRefine((t, ctx) => {
    if (t.callerRetentionDays !== undefined && t.callerRetentionDays < t.repeatCallDays) {
      ctx.addIssue({
        code: 'custom',
        path: ['callerRetentionDays'],
        message: `must be at least repeatCallDays (${t.repeatCallDays}): a repeat caller is recognised by the number of their earlier calls`,
      });
    }
  });

  const source = z.strictObject({
    name: z.string().min(1, 'is empty: name the source (e.g. "Radio Europa Plus")'),
    medium: z.string().min(1).optional(),
    channel: z.string().min(1).optional(),
    campaign: z.string().min(1).optional(),
    term: z.string().min(1).optional(),
    content: z.string().min(1).optional(),
  }).transform(({ channel, ...rest }, ctx) => {
    if (channel && rest.medium && channel !== rest.medium) {
      ctx.addIssue({ code: 'custom', path: ['channel'], message: 'channel is another name for medium: give one of them' });
    }
    return { ...rest, medium: rest.medium ?? channel };
  });

  const staticNumber = z.strictObject({ number: phone, forwardTo, ...afterHours, source, ...mediaOptions });

  const pool = z.strictObject({
    name: nameField,
    numbers: z.array(phone).min(1, 'needs at least one number'),
    forwardTo,
    ...afterHours,
    holdMinutes: z.number().int().min(1).max(1440).default(15),
    fallbackNumber: phone.optional(),
    onExhausted: z.enum(['fallback', 'reuse-oldest']).default('fallback'),
    ...mediaOptions,
    // The numbers the website itself shows for this pool's visits; the snippet swaps them.
    siteNumbers: z.array(phone).default([]),
    // click: numbers show masked until the visitor asks for them; only that click takes a number.
    reveal: z.enum(['off', 'click']).default('off'),
    match: z
      .strictObject({
        host: strings.optional(),
        source: strings.optional(),
        medium: strings.optional(),
        campaign: strings.optional(),
        term: strings.optional(),
        path: strings.optional(),
        region: strings.optional(),
      })
      .optional(),
  });

  const snippet = z.strictObject({
    // The site's own numbers, swapped on every page whatever pool the visit gets.
    siteNumbers: z.array(phone).default([]),
    revealLabel: z.string().min(1).max(60).default('Show number'),
  });

  return z
    .strictObject({
      database: database.prefault({ client: 'sqlite3' }),
      http: http.prefault({}),
      sip: sip.prefault({}),
      media: media.prefault({}),
      tracking: tracking.prefault({}),
      schedules: schedulesSection.default({}),
      numbers: z.array(staticNumber).default([]),
      pools: z.array(pool).default([]),
      webhooks: z.array(webhook).default([]),
      analytics: analytics.prefault({}),
      snippet: snippet.prefault({}),
      exports: exportsSection.prefault({}),
      log: log.prefault({}),
    })
    .superRefine(checkCrossReferences)
    .superRefine(checkSnippetNumbers)
    .superRefine(checkScheduleReferences);
}

export type CalltrackConfig = z.output<ReturnType<typeof buildConfigSchema>>;
export type PoolConfig = CalltrackConfig['pools'][number];
export type StaticNumberConfig = CalltrackConfig['numbers'][number];
export type TrunkConfig = CalltrackConfig['sip']['trunks'][number];
export type RegisterConfig = NonNullable<TrunkConfig['register']>;
