import { Command } from 'commander';
import { systemClock } from '../../clock.js';
import { createDatabase } from '../../db/connect.js';
import { migrateToLatest } from '../../db/migrate.js';
import { InvalidInputError } from '../../errors.js';
import { receiverLabels } from '../../integrations/delivery-targets.js';
import { DEFAULT_DISPATCHER_OPTIONS } from '../../integrations/outbox-dispatcher.js';
import { OutboxAdmin, formatOutboxStatus, formatRetryResult } from '../../integrations/outbox-admin.js';
import { OutboxStore } from '../../integrations/outbox-store.js';
import { loadCliContext, print, printJson, type CliContext } from '../context.js';

async function withOutbox<T>(cmd: Command, run: (admin: OutboxAdmin, ctx: CliContext) => Promise<T>): Promise<T> {
  const ctx = loadCliContext(cmd);
  const db = createDatabase(ctx.config.database);
  try {
    await migrateToLatest(db);
    const retryWindow = DEFAULT_DISPATCHER_OPTIONS.retry.giveUpAfterMs;
    return await run(new OutboxAdmin(db, new OutboxStore(), { current: ctx.config }, systemClock, retryWindow), ctx);
  } finally {
    await db.destroy();
  }
}

export function webhooksCommand(): Command {
  const webhooks = new Command('webhooks').description('CRM webhook, GA4 and Metrica deliveries (the outbox)');
  webhooks
    .command('status')
    .description('per receiver: pending, failed and delivered counts; then every undelivered event with its last error')
    .option('--json', 'print JSON')
    .option('--limit <n>', 'list at most this many undelivered events', '50')
    .action(async (opts: { json?: boolean; limit: string }, cmd: Command) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 0) throw new InvalidInputError(`--limit: "${opts.limit}" must be a whole number`);
      await withOutbox(cmd, async (admin) => {
        const status = await admin.status(limit);
        if (opts.json) printJson(status);
        else print(formatOutboxStatus(status, systemClock.now()));
      });
    });
  webhooks
    .command('retry')
    .description('re-queue failed deliveries (all, one receiver\'s, or one event); a running server sends them within seconds')
    .option('--target <name>', 'only this webhook (its name), "ga4" or "metrica"')
    .option('--event <id>', 'only this event id')
    .action(async (opts: { target?: string; event?: string }, cmd: Command) => {
      await withOutbox(cmd, async (admin, ctx) => {
        // A receiver not in the configuration would only fail again ("no longer in the configuration").
        const labels = receiverLabels(ctx.config);
        if (opts.target !== undefined && !labels.has(opts.target)) {
          const names = [...labels.values()];
          throw new InvalidInputError(`--target: "${opts.target}" is not a configured receiver; ${names.length > 0 ? `use one of ${names.join(', ')} (an unnamed webhook by its URL; better, give it a name)` : 'no webhooks, GA4 or Metrica are configured'}`);
        }
        const result = await admin.retry({ ...(opts.target ? { target: opts.target } : {}), ...(opts.event ? { eventId: opts.event } : {}) });
        print(formatRetryResult(result));
      });
    });
  return webhooks;
}
