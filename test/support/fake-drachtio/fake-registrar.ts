import { createHash, randomBytes } from 'node:crypto';
import type { Party, Wire } from './party-dialogs.js';
import { header, isRequest, methodOf, responseTo, uriOf, type SipText } from './sip-text.js';
import { Watched } from './waiters.js';

export interface FakeRegistrarOptions {
  address: string;
  port: number;
  realm: string;
  /** The account it knows: digest user and password. */
  username: string;
  password: string;
  /** What a wrong password gets: a fresh 401 challenge (most registrars) or 403. */
  wrongPassword?: 401 | 403;
  /** The expiry it grants for a requested one (default: as asked). */
  grant?: (requested: number) => number;
  /** Answer 423 with this Min-Expires to shorter requests. */
  minExpires?: number;
  /** Another device's binding on the same AOR, listed in every 200 (RFC 3261 10.3 step 8). */
  otherContact?: string;
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/**
 * A provider's registrar behind the fake drachtio-server: challenges every REGISTER without
 * credentials (401 + WWW-Authenticate, as RFC 2617 MD5 without qop), checks the digest response
 * against its password, and keeps the bindings it granted.
 */
export class FakeRegistrar implements Party {
  readonly address: string;
  readonly port: number;
  /** Every REGISTER as it arrived (the retry with Authorization included). */
  readonly registers = new Watched<SipText>();
  /** Contact URI -> expiry in seconds, as last granted (removed on Expires: 0). */
  readonly bindings = new Map<string, number>();
  private readonly nonces = new Set<string>();

  constructor(private readonly wire: Wire, readonly opts: FakeRegistrarOptions) {
    this.address = opts.address;
    this.port = opts.port;
  }

  /** Whether a REGISTER for `uri` goes to this registrar (Request-URI or outbound proxy). */
  serves(uri: string, proxy: string): boolean {
    const hostPort = `${this.address}:${this.port}`;
    return [uri, proxy].some((u) => u.replace(/^sips?:/, '').split(';')[0] === hostPort);
  }

  /** The REGISTERs that carried credentials (the ones a binding can come from). */
  authorized(): SipText[] {
    return this.registers.all.filter((r) => header(r, 'Authorization'));
  }

  receive(msg: SipText): void {
    if (!isRequest(msg)) return;
    this.registers.add(msg);
    if (methodOf(msg) !== 'REGISTER') return this.reply(msg, 405);
    const auth = header(msg, 'Authorization');
    if (!auth) return this.challenge(msg);
    if (!this.checkDigest(auth)) return this.opts.wrongPassword === 403 ? this.reply(msg, 403) : this.challenge(msg);
    const contact = header(msg, 'Contact') ?? '';
    const requested = Number(/;\s*expires=(\d+)/i.exec(contact)?.[1] ?? header(msg, 'Expires') ?? 3600);
    if (this.opts.minExpires && requested > 0 && requested < this.opts.minExpires) {
      return this.reply(msg, 423, { 'Min-Expires': String(this.opts.minExpires) });
    }
    const uri = uriOf(contact);
    const granted = requested === 0 ? 0 : (this.opts.grant?.(requested) ?? requested);
    if (granted === 0) this.bindings.delete(uri);
    else this.bindings.set(uri, granted);
    const listed = [...(this.opts.otherContact ? [`<${this.opts.otherContact}>;expires=3600`] : []), ...[...this.bindings].map(([u, s]) => `<${u}>;expires=${s}`)];
    const res = responseTo(msg, 200, { toTag: tag() });
    if (listed.length > 0) res.headers.push(['Contact', listed.join(', ')]);
    this.wire.fromNetwork(this, res);
  }

  private challenge(msg: SipText): void {
    const nonce = tag();
    this.nonces.add(nonce);
    this.reply(msg, 401, { 'WWW-Authenticate': `Digest realm="${this.opts.realm}", nonce="${nonce}", algorithm=MD5` });
  }

  /** RFC 2617 without qop: response = MD5(MD5(user:realm:password):nonce:MD5(REGISTER:uri)). */
  private checkDigest(auth: string): boolean {
    const p = Object.fromEntries([...auth.matchAll(/(\w+)="?([^",]*)"?/g)].map((m) => [m[1], m[2]]));
    if (p.username !== this.opts.username || p.realm !== this.opts.realm || !this.nonces.has(p.nonce ?? '')) return false;
    const ha1 = md5(`${this.opts.username}:${this.opts.realm}:${this.opts.password}`);
    const ha2 = md5(`REGISTER:${p.uri}`);
    return p.response === md5(`${ha1}:${p.nonce}:${ha2}`);
  }

  private reply(msg: SipText, status: number, headers?: Record<string, string>): void {
    this.wire.fromNetwork(this, responseTo(msg, status, { toTag: tag(), ...(headers ? { headers } : {}) }));
  }
}

const tag = () => randomBytes(5).toString('hex');
