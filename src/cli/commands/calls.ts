import { Command } from 'commander';
import type { CallFilterInput } from '../../calls/call-filter.js';
import { parseCallFilter, parsePhoneInput } from '../../calls/call-filter.js';
import { findCall, listCalls } from '../../calls/call-queries.js';
import type { CallRecord } from '../../calls/call-record.js';
import { CallerErasure, type CallerErasureReport } from '../../calls/caller-erasure.js';
import { systemClock } from '../../clock.js';
import { createDatabase } from '../../db/connect.js';
import { migrateToLatest } from '../../db/migrate.js';
import { InvalidInputError } from '../../errors.js';
import { TimeZone } from '../../exports/time-zone.js';
import { OutboxStore } from '../../integrations/outbox-store.js';
import { recordingDirs } from '../../media/media-policy.js';
import { RecordingRetention, RecordingStore } from '../../media/recording-retention.js';
import { EXIT_RUNTIME } from '../handle-error.js';
import { loadCliContext, print, printJson } from '../context.js';

interface ListOptions extends CallFilterInput {
  tz?: string;
  limit: string;
  json?: boolean;
}

export function callsCommand(): Command {
  const calls = new Command('calls').description('calls handled by the SIP path');

  // The same filter, with the same meaning and messages, as `export calls`, `report sources` and
  // GET /v1/calls: a list an operator reads matches the file an analyst exports.
  calls
    .command('list')
    .description('recent calls, newest first')
    .option('--from <date>', 'calls that started on or after this day (2026-11-23, in --tz) or ISO time with offset')
    .option('--to <date>', 'last day, included (2026-11-23), or an exclusive ISO time')
    .option('--tz <zone>', 'time zone of --from/--to days (default: exports.timeZone, UTC)')
    .option('--status <list>', 'answered, missed, busy, no-answer, canceled, failed, rejected or ringing (comma-separated)')
    .option('--number <phone>', 'calls to this tracking number (any format; tracking.defaultCountry applies)')
    .option('--caller <phone>', "calls from this caller's number")
    .option('--source <source>', 'only this source')
    .option('--medium <medium>', 'only this medium')
    .option('--campaign <campaign>', 'only this campaign')
    .option('--limit <n>', 'at most this many calls', '50')
    .option('--json', 'print JSON')
    .action(async (opts: ListOptions, cmd: Command) => {
      const { config } = loadCliContext(cmd);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new InvalidInputError(`--limit "${opts.limit}" must be a whole number from 1 to 100000`);
      const zone = TimeZone.of(opts.tz ?? config.exports.timeZone);
      const filter = parseCallFilter(opts, { zone, defaultCountry: config.tracking.defaultCountry });
      const db = createDatabase(config.database);
      try {
        await migrateToLatest(db);
        const { calls: rows } = await listCalls(db, filter, { limit });
        if (opts.json) return printJson(rows);
        print(rows.length === 0 ? 'no calls match' : formatTable(rows));
      } finally {
        await db.destroy();
      }
    });

  calls
    .command('show')
    .description('every field of one call')
    .argument('<id>', "calltrack's call id (X-Calltrack-Call-Id) or the SIP Call-ID")
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const { config } = loadCliContext(cmd);
      const db = createDatabase(config.database);
      try {
        await migrateToLatest(db);
        const call = await findCall(db, id);
        if (opts.json) return printJson(call);
        print(formatCall(call));
      } finally {
        await db.destroy();
      }
    });
  calls.addCommand(forgetCommand());
  return calls;
}

function forgetCommand(): Command {
  return new Command('forget')
    .description("erase one caller's personal data: caller number and note of their calls, recordings, visitors' IP address and user agent, the number in webhook events")
    .requiredOption('--caller <phone>', "the caller's number (any format; tracking.defaultCountry applies)")
    .option('--dry-run', 'only count what would be erased')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { caller: string; dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const { config, logger } = loadCliContext(cmd);
      const caller = parsePhoneInput(opts.caller, '--caller', config.tracking.defaultCountry);
      const db = createDatabase(config.database);
      try {
        await migrateToLatest(db);
        const recordingStore = new RecordingStore();
        const recordings = new RecordingRetention(db, recordingStore, recordingDirs(config).local, systemClock, logger);
        const erasure = new CallerErasure({ db, clock: systemClock, logger, recordings, recordingStore, outbox: new OutboxStore() });
        const report = await erasure.forget(caller, { dryRun: opts.dryRun === true });
        // Something was left for a second run: a script must not take this for a finished erasure.
        if (!report.dryRun && (report.callsInProgress > 0 || report.recordingsFailed.length > 0)) process.exitCode = EXIT_RUNTIME;
        if (opts.json) return printJson(report);
        print(formatErasure(report));
      } finally {
        await db.destroy();
      }
    });
}

function formatErasure(r: CallerErasureReport): string {
  if (r.callsErased === 0 && r.callsInProgress === 0 && r.recordingsFailed.length === 0) {
    return `no calls from ${r.caller}: nothing to erase`;
  }
  const would = (done: string, todo: string) => (r.dryRun ? todo : done);
  const lines = [
    `caller ${r.caller}${r.dryRun ? ': dry run, nothing changed' : ''}`,
    `calls ${would('erased', 'to be erased')} (caller number, note and analytics ids; times, status, attribution, tags and deal value kept for reports): ${r.callsErased}`,
    `recordings ${would('deleted', 'to be deleted')}: ${r.recordingsDeleted}`,
    `recordings already gone (row marked erased): ${r.recordingsAlreadyGone}`,
    `visits kept for their calls, IP address, user agent and analytics ids ${would('erased', 'to be erased')}: ${r.visitsAnonymised}`,
    `webhook outbox entries ${would('rewritten', 'to be rewritten')} without the number and analytics ids: ${r.outboxEntriesRewritten}`,
    `analytics hits not yet sent ${would('dropped', 'to be dropped')}: ${r.outboxEntriesDropped}`,
  ];
  if (r.callsInProgress > 0) lines.push(`calls in progress or just ended, left alone: ${r.callsInProgress}; run this again once they are over`);
  for (const f of r.recordingsFailed) lines.push(`FAILED to delete ${f.path} (call ${f.callId}): ${f.error}; that call was left whole, run this again`);
  return lines.join('\n');
}

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace('.000Z', 'Z'));
const secs = (s: number | null) => (s === null ? '-' : `${Math.round(s)}s`);

function formatTable(rows: CallRecord[]): string {
  const header = ['started (UTC)', 'status', 'code', 'tracking', 'caller', 'forwarded to', 'ring', 'talk', 'source', 'id'];
  const lines = rows.map((c) => [
    iso(c.startedAt), c.status, String(c.sipCode ?? '-'), c.trackingNumber, c.callerNumber ?? '-', c.forwardedTo ?? '-',
    secs(c.ringSeconds), secs(c.talkSeconds), c.source ?? `(${c.attributionType ?? '-'})`, c.id,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [fmt(header), ...lines.map(fmt)].join('\n');
}

function formatCall(c: CallRecord): string {
  const entries = Object.entries(c).map(([k, v]) => {
    const value = k.endsWith('At') && typeof v === 'number' ? iso(v) : v === null ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    return [k, value] as const;
  });
  const width = Math.max(...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}
