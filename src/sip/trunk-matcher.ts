import { BlockList, isIP } from 'node:net';
import type { TrunkConfig } from '../config/schema.js';

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
