import type { CalltrackConfig } from '../config/schema.js';
import { packageVersion } from '../version.js';
import { GA4_TARGET, ga4NotSendable, ga4Url } from './ga4.js';
import { postJson, type PostResult } from './http-post.js';
import { METRICA_TARGET, uploadCallToMetrica } from './metrica.js';
import type { OutboxEntry } from './outbox-store.js';
import { SIGNATURE_HEADER, signatureHeader } from './webhook-signing.js';

export type WebhookConfig = CalltrackConfig['webhooks'][number];

/** How an outbox entry names its webhook: the configured name, else the URL (trimmed to the column). */
export function webhookTargetName(hook: WebhookConfig): string {
  return (hook.name ?? hook.url).slice(0, 100);
}

/**
 * The analytics receivers: each outbox target is named as its key under `analytics` in the
 * config. Their entries carry the visitor's analytics ids (see outbox-erasure.ts).
 */
export const ANALYTICS_TARGETS = [GA4_TARGET, METRICA_TARGET] as const satisfies readonly (keyof CalltrackConfig['analytics'])[];

/**
 * Every configured receiver, by outbox target, with its label as /metrics and /healthz name it:
 * a webhook's name, `ga4`, `metrica`, and `webhooks[i]` (its place in the config) for an unnamed
 * webhook, whose target is its URL: a URL may carry a token, and both endpoints are open.
 */
export function receiverLabels(cfg: CalltrackConfig): Map<string, string> {
  const labels = new Map<string, string>();
  cfg.webhooks.forEach((hook, i) => labels.set(webhookTargetName(hook), hook.name ?? `webhooks[${i}]`));
  for (const target of ANALYTICS_TARGETS) if (cfg.analytics[target]) labels.set(target, target);
  return labels;
}

export interface DeliveryOptions {
  timeoutMs: number;
  /** Seconds since the epoch, for the signature (the dispatcher's clock). */
  nowSeconds(): number;
}

export type Sender = (entry: OutboxEntry) => Promise<PostResult>;

/**
 * The sender for an entry's target as the configuration is *now*: a rotated secret or moved URL
 * applies to retries too. Undefined when the target is no longer configured.
 */
export function resolveSender(cfg: CalltrackConfig, target: string, opts: DeliveryOptions): Sender | undefined {
  if (target === GA4_TARGET) {
    const ga4 = cfg.analytics.ga4;
    if (!ga4) return undefined;
    return async (entry) =>
      ga4NotSendable(entry.payload, opts.nowSeconds() * 1000) ?? postJson(ga4Url(ga4), entry.payload, { 'user-agent': userAgent() }, opts.timeoutMs);
  }
  if (target === METRICA_TARGET) {
    const metrica = cfg.analytics.metrica;
    if (!metrica) return undefined;
    return (entry) => uploadCallToMetrica(metrica, entry.payload, { 'user-agent': userAgent() }, opts.timeoutMs);
  }
  const hook = cfg.webhooks.find((h) => webhookTargetName(h) === target);
  if (!hook) return undefined;
  return (entry) =>
    postJson(
      hook.url,
      entry.payload,
      {
        'user-agent': userAgent(),
        'x-calltrack-event': entry.eventType,
        'x-calltrack-delivery': entry.eventId,
        [SIGNATURE_HEADER.toLowerCase()]: signatureHeader(hook.secret, entry.payload, opts.nowSeconds()),
      },
      opts.timeoutMs,
    );
}

let cachedUserAgent: string | undefined;
function userAgent(): string {
  cachedUserAgent ??= `calltrack/${packageVersion()}`;
  return cachedUserAgent;
}
