import { Command } from 'commander';
import type { CallRecord } from '../../calls/call-record.js';
import { CallQueryService, parseStatuses, parseTimeBound } from '../../calls/call-query.js';
import { createDatabase } from '../../db/connect.js';
import { migrateToLatest } from '../../db/migrate.js';
import { InvalidInputError } from '../../errors.js';
import { normalisePhoneNumber } from '../../phone/e164.js';
import { loadCliContext, print, printJson } from '../context.js';

interface ListOptions {
  from?: string;
  to?: string;
  status?: string;
  number?: string;
  limit: string;
  json?: boolean;
}

export function callsCommand(): Command {
  const calls = new Command('calls').description('calls handled by the SIP path');

  calls
    .command('list')
    .description('recent calls, newest first')
    .option('--from <date>', 'calls that started at or after this (2026-11-23 = that UTC day, or an ISO date-time)')
    .option('--to <date>', 'calls that started before the end of this day / before this time')
    .option('--status <list>', 'answered, busy, no-answer, canceled, failed, rejected or ringing (comma-separated)')
    .option('--number <phone>', 'tracking number, caller or target (any format; tracking.defaultCountry applies)')
    .option('--limit <n>', 'at most this many calls', '50')
    .option('--json', 'print JSON')
    .action(async (opts: ListOptions, cmd: Command) => {
      const { config } = loadCliContext(cmd);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new InvalidInputError(`--limit "${opts.limit}" must be a whole number from 1 to 100000`);
      let number: string | undefined;
      if (opts.number) {
        const n = normalisePhoneNumber(opts.number, config.tracking.defaultCountry);
        if (!n.ok) throw new InvalidInputError(`--number ${n.reason}`);
        number = n.number;
      }
      const filter = {
        limit,
        ...(opts.from ? { from: parseTimeBound(opts.from, '--from', false) } : {}),
        ...(opts.to ? { to: parseTimeBound(opts.to, '--to', true) } : {}),
        ...(opts.status ? { statuses: parseStatuses(opts.status) } : {}),
        ...(number ? { number } : {}),
      };
      const db = createDatabase(config.database);
      try {
        await migrateToLatest(db);
        const rows = await new CallQueryService(db).list(filter);
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
        const call = await new CallQueryService(db).show(id);
        if (opts.json) return printJson(call);
        print(formatCall(call));
      } finally {
        await db.destroy();
      }
    });
  return calls;
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
