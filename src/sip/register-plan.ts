import type Srf from 'drachtio-srf';
import type { RegisterConfig, TrunkConfig } from '../config/schema.js';
import type { E164 } from '../phone/e164.js';

/** What every REGISTER of one binding carries, worked out once from its config. */
export interface RegisterPlan {
  /** `sip:domain` (RFC 3261 10.2: the registrar's domain, no user). */
  requestUri: string;
  /** The registrar as next hop when the domain is not the registrar's host (an outbound proxy). */
  proxy: string | undefined;
  /** `sip:user@domain`, in From and To. */
  aor: string;
  /** The Contact URI; `localhost` is replaced by drachtio-server with its own SIP address. */
  contactUri: string;
  auth: { username: string; password: string };
}

/**
 * The Contact user: the tracking number's digits (no `+`, as Asterisk's `register => .../EXTEN`
 * and most providers' examples write it), else the login. The provider's INVITE to the account
 * has it as its Request-URI user.
 */
export function contactUser(reg: RegisterConfig): string {
  return reg.number ? reg.number.replace(/^\+/, '') : reg.username;
}

export function registerPlan(reg: RegisterConfig): RegisterPlan {
  const registrar = reg.registrar.replace(/^sips?:/i, '');
  const secure = /^sips:/i.test(reg.registrar);
  const [hostPort = '', ...params] = registrar.split(';');
  const host = hostPort.startsWith('[') ? hostPort.slice(0, hostPort.indexOf(']') + 1) : hostPort.split(':')[0] ?? '';
  const transport = /transport=(\w+)/i.exec(params.join(';'))?.[1]?.toLowerCase();
  const scheme = secure ? 'sips' : 'sip';
  const registrarUri = `${scheme}:${registrar}`;
  const domain = reg.domain ?? host;
  // Behind NAT the provider must get our public address; drachtio-server's --external-ip does
  // that for every message, contactHost only for the binding.
  const contactHost = reg.contactHost ?? 'localhost';
  const transportParam = transport && transport !== 'udp' ? `;transport=${transport}` : '';
  return {
    requestUri: reg.domain ? `${scheme}:${reg.domain}` : registrarUri,
    proxy: reg.domain && reg.domain !== host ? registrarUri : undefined,
    aor: `${scheme}:${reg.username}@${domain}`,
    contactUri: `${scheme}:${contactUser(reg)}@${contactHost}${transportParam}`,
    auth: { username: reg.authUsername ?? reg.username, password: reg.password },
  };
}

/** The headers of one REGISTER (a fresh object: drachtio-srf rewrites it for the digest retry). */
export function registerHeaders(plan: RegisterPlan, binding: { callId: string; cseq: number; expires: number }): Record<string, string> {
  return {
    From: `<${plan.aor}>`,
    To: `<${plan.aor}>`,
    Contact: `<${plan.contactUri}>;expires=${binding.expires}`,
    Expires: String(binding.expires),
    'Call-ID': binding.callId,
    CSeq: `${binding.cseq} REGISTER`,
  };
}

/**
 * How long the registrar kept our binding: the `expires` of our own Contact in the 200 (it lists
 * every binding of the AOR), else the Expires header, else what we asked for (RFC 3261 10.2.4).
 */
export function grantedSeconds(res: Srf.SrfResponse, sentContact: string | undefined, requested: number): number {
  const ours = sentContact ? uriKey(sentContact) : undefined;
  let contacts: Srf.NameAddr[] = [];
  try {
    const parsed = res.has('contact') ? res.getParsedHeader('contact') : [];
    contacts = Array.isArray(parsed) ? parsed : [];
  } catch {
    // An unparsable Contact list: the Expires header still tells.
  }
  const match = contacts.find((c) => uriKey(c.uri) === ours) ?? (contacts.length === 1 ? contacts[0] : undefined);
  const fromContact = Number(match?.params.expires);
  if (match?.params.expires !== undefined && Number.isFinite(fromContact)) return fromContact;
  const header = Number(res.get('expires'));
  if (res.has('expires') && Number.isFinite(header)) return header;
  return requested;
}

/** `<sip:7495@203.0.113.10:5060;transport=udp>;expires=600` -> `7495@203.0.113.10:5060`. */
function uriKey(value: string): string {
  const uri = /<([^>]*)>/.exec(value)?.[1] ?? value;
  const hostPart = uri.replace(/^sips?:/i, '').split(';')[0] ?? '';
  const [user, host = ''] = hostPart.includes('@') ? hostPart.split('@') : ['', hostPart];
  return `${user}@${host.toLowerCase().replace(/:5060$/, '')}`;
}

const aliasCache = new WeakMap<readonly TrunkConfig[], Map<string, E164>>();

/**
 * Request-URI users that stand for a registered account's tracking number: its Contact user
 * (what the provider's INVITE should carry) and its login (for providers that retarget to the
 * AOR instead). A user claimed by two accounts stands for neither.
 */
export function registeredNumbers(trunks: readonly TrunkConfig[]): ReadonlyMap<string, E164> {
  const cached = aliasCache.get(trunks);
  if (cached) return cached;
  const map = new Map<string, E164>();
  const ambiguous = new Set<string>();
  for (const { register } of trunks) {
    if (!register?.number) continue;
    for (const user of new Set([contactUser(register), register.username])) {
      if (map.has(user) && map.get(user) !== register.number) ambiguous.add(user);
      else map.set(user, register.number);
    }
  }
  for (const user of ambiguous) map.delete(user);
  aliasCache.set(trunks, map);
  return map;
}
