import { isIP } from 'node:net';
import { z } from 'zod';
import { normalisePhoneNumber, type CountryCode, type E164 } from '../phone/e164.js';

/**
 * A phone number field: accepts what people write and yields E.164. YAML reads an unquoted
 * `+74950000101` as an integer (and drops the +), so numbers must be quoted strings.
 */
export function phoneField(defaultCountry: CountryCode | undefined) {
  return z.unknown().transform((value, ctx): E164 => {
    if (typeof value === 'number') {
      ctx.addIssue({ code: 'custom', message: `${value} must be written in quotes ("+${value}"): YAML reads a bare number as an integer and drops the +` });
      return z.NEVER;
    }
    if (typeof value !== 'string') {
      ctx.addIssue({ code: 'custom', message: value === undefined ? 'is required (a phone number)' : 'expected a phone number in quotes' });
      return z.NEVER;
    }
    const result = normalisePhoneNumber(value, defaultCountry);
    if (!result.ok) {
      ctx.addIssue({ code: 'custom', message: result.reason });
      return z.NEVER;
    }
    return result.number;
  });
}

/** `forwardTo` may be one number or a list tried in order (failover). Always a list after parsing. */
export function forwardField(defaultCountry: CountryCode | undefined) {
  const phone = phoneField(defaultCountry);
  // Not a z.union: a union reports only "Invalid input" and loses the phone field's message.
  return z.unknown().pipe(
    z.custom<unknown>().transform((value, ctx): E164[] => {
      const items = Array.isArray(value) ? value : [value];
      if (items.length === 0) {
        ctx.addIssue({ code: 'custom', message: 'needs at least one number' });
        return z.NEVER;
      }
      const out: E164[] = [];
      items.forEach((item, i) => {
        const result = phone.safeParse(item);
        if (result.success) out.push(result.data);
        else for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: Array.isArray(value) ? [i] : [] });
      });
      return out;
    }),
  );
}

export const portField = z.number().int().min(1).max(65535);

export const hostField = z.string().min(1, 'is empty, expected a host name or IP address');

/** An IPv4/IPv6 address or CIDR block, as in a trunk's `allow` list. */
export const ipOrCidrField = z.string().refine(
  (s) => {
    const [addr, bits, ...rest] = s.split('/');
    if (rest.length > 0 || !addr) return false;
    const family = isIP(addr);
    if (family === 0) return false;
    if (bits === undefined) return true;
    if (!/^\d{1,3}$/.test(bits)) return false;
    return Number(bits) <= (family === 4 ? 32 : 128);
  },
  { message: 'expected an IP address or CIDR block such as "203.0.113.0/24"' },
);

export const httpUrlField = z.string().refine(
  (s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  },
  { message: 'expected an http:// or https:// URL' },
);

/** A site origin for CORS: scheme, host and optional port, no path (`https://shop.example.com`). */
export const originField = z.string().refine(
  (s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === s.replace(/\/$/, '');
    } catch {
      return false;
    }
  },
  { message: 'expected a site origin such as "https://shop.example.com" (scheme and host, no path)' },
);

export const nameField = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected a name of letters, digits, ".", "_" or "-" (no spaces)');
