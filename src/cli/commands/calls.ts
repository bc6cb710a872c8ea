import { Command } from 'commander';
import type { CallFilterInput } from '../../calls/call-filter.js';
import { parseCallFilter } from '../../calls/call-filter.js';
import { findCall, listCalls } from '../../calls/call-queries.js';
import type { CallRecord } from '../../calls/call-record.js';
import { createDatabase } from '../../db/connect.js';
import { migrateToLatest } from '../../db/migrate.js';
import { InvalidInputError } from '../../errors.js';
import { TimeZone } from '../../exports/time-zone.js';
import { loadCliContext, print, printJson } from '../context.js';
import { anonymiseCommand, forgetCommand } from './call-privacy.js';

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
        if (opts.json) return printJson(rows.map(callForJson));
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
        if (opts.json) return printJson(callForJson(call));
        print(formatCall(call));
      } finally {
        await db.destroy();
      }
    });
  calls.addCommand(forgetCommand());
  calls.addCommand(anonymiseCommand());
  return calls;
}

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace('.000Z', 'Z'));
const secs = (s: number | null) => (s === null ? '-' : `${Math.round(s)}s`);

/** The call with every time (each `…At` field) as ISO 8601 UTC, as the admin API shows them. */
function callForJson(c: CallRecord): Record<string, unknown> {
  return Object.fromEntries(Object.entries(c).map(([k, v]) => [k, k.endsWith('At') && typeof v === 'number' ? new Date(v).toISOString() : v]));
}

function formatTable(rows: CallRecord[]): string {
  const header = ['started (UTC)', 'status', 'code', 'tracking', 'caller', 'forwarded to', 'ring', 'talk', 'source', 'id'];
  const lines = rows.map((c) => [
    iso(c.startedAt), c.status, String(c.sipCode ?? '-'), c.trackingNumber, c.callerNumber ?? (c.identityErasedAt === null ? '-' : 'erased'), c.forwardedTo ?? '-',
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
