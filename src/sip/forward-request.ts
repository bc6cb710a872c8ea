import type Srf from 'drachtio-srf';
import type { CalltrackConfig, TrunkConfig } from '../config/schema.js';
import type { Attribution } from '../tracking/attribution-types.js';
import type { InboundCallInfo } from './inbound-call.js';

export interface ForwardContext {
  callId: string;
  caller: string | null;
  callerIsE164: boolean;
  callerName: string | null;
  attribution: Pick<Attribution, 'source' | 'medium' | 'campaign' | 'term' | 'visitId' | 'gaClientId' | 'gaSessionId' | 'firstCall'> | null;
  /** What the number's schedule said (null: no schedule): a PBX may greet or route after-hours calls its own way. */
  afterHours?: boolean | null;
}

/** `sip:{number}@pbx` -> `sip:+74951112233@pbx`; `{digits}` gives the number without the +. */
export function targetUri(trunk: TrunkConfig, number: string): string {
  return trunk.outbound.replaceAll('{number}', number).replaceAll('{digits}', number.replace(/^\+/, ''));
}

/**
 * The forwarded INVITE's headers. The caller's number stays the caller's (From and
 * P-Asserted-Identity), so the person answering can call back; calltrack's own details go in
 * X-Calltrack-* headers the PBX can show or route on, each switchable in sip.headers.
 */
export function forwardOptions(sip: CalltrackConfig['sip'], trunk: TrunkConfig, ctx: ForwardContext, offer: string): Srf.UacOptions {
  const headers: Record<string, string> = {};
  const user = ctx.caller ? sipUser(ctx.caller) : 'anonymous';
  const display = displayName(sip.displayNameTag, ctx);
  // drachtio-server replaces "localhost" with its own address (sip-dialog-controller.cpp).
  headers.From = `${display ? `"${display}" ` : ''}<sip:${user}@localhost>`;
  headers.Contact = `<sip:${user}@localhost>`;
  if (sip.assertIdentity && ctx.caller && ctx.callerIsE164) headers['P-Asserted-Identity'] = `<tel:${ctx.caller}>`;

  const on = sip.headers;
  const a = ctx.attribution;
  const put = (enabled: boolean, name: string, value: string | null | undefined) => {
    const clean = value === null || value === undefined ? '' : headerValue(value);
    if (enabled && clean) headers[name] = clean;
  };
  put(on.callId, 'X-Calltrack-Call-Id', ctx.callId);
  put(on.source, 'X-Calltrack-Source', a?.source);
  put(on.medium, 'X-Calltrack-Medium', a?.medium);
  put(on.campaign, 'X-Calltrack-Campaign', a?.campaign);
  put(on.term, 'X-Calltrack-Term', a?.term);
  put(on.visitId, 'X-Calltrack-Visit-Id', a?.visitId);
  put(on.gaClientId, 'X-Calltrack-GA-Client-Id', a?.gaClientId);
  put(on.gaSessionId, 'X-Calltrack-GA-Session-Id', a?.gaSessionId);
  if (a) put(on.firstCall, 'X-Calltrack-First-Call', a.firstCall ? 'yes' : 'no');
  if (typeof ctx.afterHours === 'boolean') put(on.afterHours, 'X-Calltrack-After-Hours', ctx.afterHours ? 'yes' : 'no');

  return {
    localSdp: offer,
    headers,
    ...(trunk.auth ? { auth: { username: trunk.auth.username, password: trunk.auth.password } } : {}),
  };
}

function displayName(tagEnabled: boolean, ctx: ForwardContext): string {
  const base = ctx.callerName ?? ctx.caller ?? '';
  const source = ctx.attribution?.source;
  if (tagEnabled && source) return quoted(`[${source}] ${ctx.caller ?? base}`.trim());
  return ctx.callerName ? quoted(ctx.callerName) : '';
}

/** A header value may not carry line breaks (header injection) and stays short. */
function headerValue(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, 200);
}

/** Inside a quoted display name, quotes and backslashes are escaped (RFC 3261 quoted-string). */
function quoted(value: string): string {
  return headerValue(value).replace(/[\\"]/g, (c) => `\\${c}`);
}

/** Keep a URI user to the characters RFC 3261 allows unescaped; others are percent-encoded. */
function sipUser(value: string): string {
  return value.replace(/[^A-Za-z0-9\-_.!~*'()&=+$,;?/]/g, (c) => encodeURIComponent(c));
}

export interface ForwardTarget {
  number: string;
  uri: string;
  opts: Srf.UacOptions;
}

/** The failover list: every forwardTo number through the trunk's outbound template, in order. */
export function forwardTargets(
  cfg: CalltrackConfig,
  trunk: TrunkConfig,
  attribution: Attribution,
  info: InboundCallInfo,
  callId: string,
  offer: string,
  afterHours: boolean | null = null,
): ForwardTarget[] {
  const unknown = attribution.type === 'unknown';
  return [...new Set(attribution.forwardTo)].map((number) => ({
    number,
    uri: targetUri(trunk, number),
    opts: forwardOptions(cfg.sip, trunk, {
      callId,
      caller: info.caller,
      callerIsE164: info.callerIsE164,
      callerName: info.callerName,
      attribution: unknown ? null : attribution,
      afterHours,
    }, offer),
  }));
}
