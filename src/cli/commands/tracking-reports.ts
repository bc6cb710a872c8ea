import { Command } from 'commander';
import type { NumberListing, PoolStatus } from '../../tracking/pool-report.js';
import { isoOrNull, print, printJson, withApp } from '../context.js';

export function numbersListCommand(): Command {
  return new Command('list')
    .description('every tracking number: static or pool, its source or pool, free or held (until when, by which visit), last call')
    .option('--json', 'print a JSON array')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withApp(cmd, async (app) => {
        const numbers = await app.poolReports.listNumbers();
        if (opts.json) {
          return printJson(numbers.map((n) => ({ ...n, holdUntil: isoOrNull(n.holdUntil), lastCallAt: isoOrNull(n.lastCallAt) })));
        }
        if (numbers.length === 0) return print('no tracking numbers yet: run calltrack numbers sync (serve does it on start)');
        print(numbers.map(numberLine).join('\n'));
      });
    });
}

function numberLine(n: NumberListing): string {
  const owner = n.kind === 'static' ? `static   ${n.source ?? ''}` : `${n.kind.padEnd(8)} ${n.pool ?? ''}`;
  const state =
    n.state === 'held' ? `held until ${isoOrNull(n.holdUntil)} by visit ${n.heldByVisit}` : n.state === 'inactive' ? 'inactive (no longer in the config)' : 'free';
  const lastCall = n.lastCallAt === null ? 'no calls' : `last call ${isoOrNull(n.lastCallAt)}`;
  return `${n.number.padEnd(16)} ${owner.padEnd(30)} ${state}; ${lastCall}`;
}

export function poolsCommand(): Command {
  const pools = new Command('pools').description('dynamic number pools');
  pools
    .command('status')
    .description('per pool: size, held now, peak held (24 h, 7 days), exhaustions, fallback shows and a recommended size')
    .option('--json', 'print a JSON array')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withApp(cmd, async (app) => {
        const status = await app.poolReports.poolStatus();
        if (opts.json) return printJson(status);
        if (status.length === 0) return print('no pools configured');
        print(status.map(poolBlock).join('\n\n'));
      });
    });
  return pools;
}

function poolBlock(p: PoolStatus): string {
  return [
    `${p.pool}: ${p.size} number${p.size === 1 ? '' : 's'}, ${p.heldNow} held now`,
    `  peak held at once: ${p.peakHeld24h} (24 h), ${p.peakHeld7d} (7 days)`,
    `  ran out: ${p.exhaustions24h} (24 h), ${p.exhaustions7d} (7 days); fallback shown ${p.fallbackShows7d}, taken over ${p.takeOvers7d} (7 days)`,
    `  bots shown the fallback: ${p.botsShownFallback7d}; rate-limited: ${p.rateLimited7d} (7 days)`,
    `  calls: ${p.calls7d} (7 days), ${p.unattributedCalls7d} unattributed`,
    ...(p.reveal ? [`  numbers revealed on click: ${p.reveals7d} (7 days)`] : []),
    `  recommended size: ${p.recommendedSize} (${p.recommendation})`,
    ...p.advice.reasoning.map((line) => `    ${line}`),
  ].join('\n');
}
