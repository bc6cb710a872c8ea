import { BlockList, isIP } from 'node:net';
import type { TrunkConfig } from '../config/schema.js';
import type Srf from 'drachtio-srf';
import { normaliseDialledNumber, type CountryCode, type E164 } from '../phone/e164.js';

/** What we read from an inbound INVITE before deciding anything. */
export interface InboundCallInfo {
  sipCallId: string;
  /** The dialled user as it came (for logs and the row when it is not a valid number). */
  dialledRaw: string;
  dialled: E164 | undefined;
  /** E.164 when it parses; else the raw user (e.g. "anonymous"); null when absent. */
  caller: string | null;
  callerIsE164: boolean;
  callerName: string | null;
}

/**
 * The dialled number is the Request-URI user; carriers that route on To (or put a trunk id
 * in the R-URI) are covered by falling back to the To user when the R-URI user is not a number.
 * `registered` maps the Contact users (and logins) of registered accounts to their tracking
 * numbers, so a provider's INVITE to our binding needs no national-format guess.
 * The caller is P-Asserted-Identity when present (drachtio-srf's callingNumber), else From.
 */
export function readInboundCall(req: Srf.SrfRequest, country: CountryCode | undefined, registered?: ReadonlyMap<string, E164>): InboundCallInfo {
  const ruriUser = req.calledNumber ?? '';
  const toUser = userOf(safeParsed(req, 'to')?.uri);
  let dialled = ruriUser ? registered?.get(ruriUser) ?? normaliseDialledNumber(ruriUser, country) : undefined;
  if (!dialled && toUser) dialled = normaliseDialledNumber(toUser, country);

  const callerRaw = req.callingNumber || userOf(safeParsed(req, 'from')?.uri);
  const callerE164 = callerRaw ? normaliseDialledNumber(callerRaw, country) : undefined;
  const name = req.callingName;
  return {
    sipCallId: req.get('Call-ID') ?? '',
    dialledRaw: ruriUser || toUser || '',
    dialled,
    caller: callerE164 ?? (callerRaw ? callerRaw.slice(0, 64) : null),
    callerIsE164: callerE164 !== undefined,
    callerName: name ? name.replace(/^"|"$/g, '') : null,
  };
}

function safeParsed(req: Srf.SrfRequest, name: 'to' | 'from'): Srf.NameAddr | undefined {
  try {
    return req.getParsedHeader(name);
  } catch {
    // A malformed To/From is the carrier's problem; the R-URI alone may still route the call.
    return undefined;
  }
}

function userOf(uri: string | undefined): string {
  if (!uri) return '';
  return /^(?:sips?|tel):([^@;]+)/i.exec(uri)?.[1] ?? '';
}

/**
 * Which trunk an INVITE came from, by its source address. This is the only thing that stops
 * strangers from using calltrack to place calls at our expense, so anything that does not
 * parse as an address matches nothing.
 */
export class TrunkMatcher {
  private readonly lists: Array<{ trunk: TrunkConfig; list: BlockList }>;

  constructor(trunks: readonly TrunkConfig[]) {
    this.lists = trunks.map((trunk) => {
      const list = new BlockList();
      for (const entry of trunk.allow) {
        const [addr = '', bits] = entry.split('/');
        const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
        if (bits === undefined) list.addAddress(addr, family);
        else list.addSubnet(addr, Number(bits), family);
      }
      return { trunk, list };
    });
  }

  match(address: string | undefined): TrunkConfig | undefined {
    if (!address) return undefined;
    // drachtio-server on a dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
    const plain = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '').replace(/^\[|\]$/g, '');
    const family = isIP(plain);
    if (family === 0) return undefined;
    const type = family === 6 ? 'ipv6' : 'ipv4';
    return this.lists.find(({ list }) => list.check(plain, type))?.trunk;
  }
}
