import { Command } from 'commander';
import { targetsAt, type ScheduledTargets } from '../../calls/after-hours.js';
import type { CalltrackConfig } from '../../config/schema.js';
import { InvalidInputError, NotFoundError } from '../../errors.js';
import { normalisePhoneNumber } from '../../phone/e164.js';
import type { Attribution, Touch } from '../../tracking/attribution-types.js';
import { print, printJson, withApp } from '../context.js';

interface AttributeOptions {
  number: string;
  caller?: string;
  at?: string;
  json?: boolean;
}

export function attributeCommand(): Command {
  return new Command('attribute')
    .description('what a call on a tracking number, now or at --at, is attributed to and where it is forwarded (business hours included; the same computation as real calls; changes nothing)')
    .requiredOption('--number <number>', 'the tracking number that was called')
    .option('--caller <number>', 'the caller, to tell first calls from repeat calls')
    .option('--at <iso-8601>', 'time of the call, e.g. 2026-11-23T14:05:00Z (default: now)')
    .option('--json', 'print one JSON object')
    .action(async (opts: AttributeOptions, cmd: Command) => {
      await withApp(cmd, async (app, { config }) => {
        const trackingNumber = phone(opts.number, '--number', config);
        const callerNumber = opts.caller ? phone(opts.caller, '--caller', config) : null;
        const at = opts.at === undefined ? app.clock.now() : parseTime(opts.at);
        const result = await app.attributor.explain({ trackingNumber, callerNumber, at });
        if (!result) {
          throw new NotFoundError(`${trackingNumber} is not an active tracking number (if it was just added to the config, run: calltrack numbers sync)`);
        }
        // The same choice the SIP route makes: the schedule of the number (or its pool) at that instant.
        const route = targetsAt(config, trackingNumber, result.forwardTo, at);
        if (opts.json) {
          return printJson({ ...result, forwardTo: route.forwardTo, afterHours: route.hours?.afterHours ?? false, hours: route.hours, at: new Date(at).toISOString() });
        }
        print(describe(result, route, at));
      });
    });
}

function phone(value: string, option: string, config: CalltrackConfig): string {
  const result = normalisePhoneNumber(value, config.tracking.defaultCountry);
  if (!result.ok) throw new InvalidInputError(`${option}: ${result.reason}`);
  return result.number;
}

function parseTime(value: string): number {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) {
    throw new InvalidInputError(`--at: "${value}" is not an ISO-8601 time; write e.g. 2026-11-23T14:05:00Z`);
  }
  return ms;
}

function describeTouch(t: Touch): string {
  const where = [t.source ?? '-', t.medium ?? '-'].join(' / ');
  const extra = [t.campaign && `campaign ${t.campaign}`, t.term && `term ${t.term}`, t.content && `content ${t.content}`].filter(Boolean);
  const visit = t.visitId ? `, visit ${t.visitId}` : '';
  return `${t.type}${t.poolName ? ` (pool ${t.poolName})` : ''}${visit}: ${where}${extra.length ? `, ${extra.join(', ')}` : ''}${t.late ? ' [late]' : ''}`;
}

function describe(a: Attribution, route: ScheduledTargets, at: number): string {
  const lines = [`call on ${a.trackingNumber} at ${new Date(at).toISOString()}`, `  attributed to: ${describeTouch(a)}`];
  if (a.landingPage) lines.push(`  landing page: ${a.landingPage}`);
  if (a.referrer) lines.push(`  referrer: ${a.referrer}`);
  if (a.late) lines.push('  late: the hold had ended, but within tracking.graceMinutes');
  lines.push(`  first call: ${a.firstCall ? 'yes' : 'no'}`);
  if (a.firstTouch) lines.push(`  first touch: ${describeTouch(a.firstTouch)}`);
  const h = route.hours;
  if (h) lines.push(`  schedule ${h.schedule}: ${h.open ? 'open' : 'closed'} at ${h.localTime}: ${h.reason}`);
  lines.push(`  forwards to: ${route.forwardTo.join(', ')}${h ? (h.afterHours ? ' (afterHoursForwardTo)' : ' (forwardTo)') : ''}`);
  return lines.join('\n');
}
