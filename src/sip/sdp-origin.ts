/**
 * Keeps one SDP origin (`o=` line) on a leg whose media source changes under it.
 *
 * A caller that got early media from one target (a 183 with that target's SDP) has that SDP
 * as the answer of its session: RFC 3261 §13.2.1 lets the 200 carry no other, and RFC 3264 §8
 * says every later SDP of the session keeps the origin's username and session id with a higher
 * version. When a second target answers after failover, calltrack answers the caller with the
 * early SDP and then re-INVITEs it with the new target's media under the same origin, version
 * + 1; every later SDP sent to the caller (re-INVITEs, answers) goes through here too.
 */
export class SdpOrigin {
  private readonly fields: string[];
  private version: bigint;

  constructor(established: string) {
    const line = originLine(established);
    this.fields = line ? line.slice(2).trim().split(/\s+/) : [];
    this.version = this.fields.length === 6 ? parseVersion(this.fields[2]) : 0n;
  }

  /** `sdp` with the kept origin and the next version (unchanged if either SDP has no valid o= line). */
  next(sdp: string): string {
    if (this.fields.length !== 6 || originLine(sdp) === undefined) return sdp;
    this.version += 1n;
    const [user, session, , net, addrType, address] = this.fields;
    const origin = `o=${user} ${session} ${this.version} ${net} ${addrType} ${address}`;
    return sdp.replace(/^o=.*$/m, origin);
  }
}

/** True when two SDPs describe the same media (everything but the o= line is equal). */
export function sameMedia(a: string, b: string): boolean {
  const strip = (s: string) => s.replace(/^o=.*$/m, '').replace(/\r\n/g, '\n').trim();
  return strip(a) === strip(b);
}

function originLine(sdp: string): string | undefined {
  return /^o=.*$/m.exec(sdp)?.[0]?.replace(/\r$/, '');
}

function parseVersion(v: string | undefined): bigint {
  try {
    return BigInt(v ?? '0');
  } catch {
    return 0n;
  }
}
