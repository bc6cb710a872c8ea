import { z } from 'zod';
import type { E164 } from '../phone/e164.js';

/**
 * Re-REGISTER timing bounds. 600 s by default: the binding is refreshed every 5 minutes, so a
 * provider that lost it (a restart on their side, a failover to another registrar) sends calls
 * again within minutes, not the half hour a 3600 s binding could take; the cost is one REGISTER
 * (two with the digest challenge) per 5 minutes. Below 60 s most registrars answer 423 anyway.
 */
export const REGISTER_EXPIRES = { min: 60, max: 86_400, default: 600 } as const;

/** `sip:host[:port][;transport=udp|tcp|tls]` or a bare `host[:port]`: where the REGISTER goes. */
const registrarField = z
  .string()
  .regex(
    /^(?:sips?:)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*)(?::\d{1,5})?(?:;transport=(?:udp|tcp|tls))?$/i,
    'expected the registrar as a SIP URI or host[:port], e.g. "sip.provider.example" or "sip:203.0.113.5:5060;transport=tcp" (no user part)',
  );

/** A host or IP, optionally with a port: what the provider should send INVITEs to. */
const hostPortField = z
  .string()
  .regex(/^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*)(?::\d{1,5})?$/, 'expected a host or IP address with an optional port, e.g. "203.0.113.10" or "203.0.113.10:5060"');

/** A SIP URI user part: digits, letters and the few marks providers use in logins. */
const sipUserField = z.string().regex(/^[A-Za-z0-9._+!~*'()&=$,;?/-]+$/, 'expected a SIP user name (letters, digits and . _ - + only; no @ or spaces)');

/**
 * A trunk's outbound registration: calltrack REGISTERs `username@domain` at the registrar with
 * digest auth and keeps refreshing it, so the provider sends the account's calls to us. The
 * Contact user is the tracking number's digits (`number`), like Asterisk's `register => ...
 * /EXTEN`: the provider's INVITE carries it in the Request-URI and the usual lookup finds it.
 */
export function registerSchema(phone: z.ZodType<E164>) {
  return z.strictObject({
    registrar: registrarField,
    username: sipUserField,
    password: z.string().min(1, 'is empty: give the SIP account password (use ${ENV_VAR} to keep it out of the file)'),
    // Some providers authenticate with another login than the account's AOR user.
    authUsername: z.string().min(1).optional(),
    // The AOR's domain (From/To, and the REGISTER's Request-URI) when it is not the registrar's host.
    domain: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]*$/, 'expected a SIP domain such as "sip.provider.example"').optional(),
    // The tracking number this account receives. Unset: the Contact user is `username` and the
    // dialled number is read from the provider's INVITE as for any trunk.
    number: phone.optional(),
    expiresSeconds: z
      .number()
      .int()
      .min(REGISTER_EXPIRES.min, `must be at least ${REGISTER_EXPIRES.min} (registrars refuse shorter ones with 423)`)
      .max(REGISTER_EXPIRES.max)
      .default(REGISTER_EXPIRES.default),
    // Behind NAT without drachtio-server's --external-ip: the public host[:port] for the Contact.
    contactHost: hostPortField.optional(),
  });
}
