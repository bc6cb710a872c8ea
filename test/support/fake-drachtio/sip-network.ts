import { SipCore } from './sip-core.js';
import { FakeRegistrar, type FakeRegistrarOptions } from './fake-registrar.js';
import { FakeCaller, type CallOptions, type FakeCallee, type Party, type Wire } from './parties.js';
import type { SipText } from './sip-text.js';

/**
 * The network around the fake drachtio-server, as tests drive it: trunks that place calls,
 * targets that answer the application's INVITEs, dead hosts, keepalives, and what is left open.
 */
export class FakeSipNetwork extends SipCore {
  private readonly registrars: FakeRegistrar[] = [];

  /** A provider's registrar: the application's REGISTERs to its address:port (or via it as proxy) go there. */
  addRegistrar(opts: FakeRegistrarOptions): FakeRegistrar {
    const registrar = new FakeRegistrar(this, opts);
    this.registrars.push(registrar);
    return registrar;
  }

  protected override outOfDialogParty(uri: string, proxy: string): Party | undefined {
    return this.registrars.find((r) => r.serves(uri, proxy));
  }

  /** A trunk sends an INVITE to the server; the returned caller records what it gets back. */
  placeCall(opts: CallOptions): FakeCaller {
    const caller = new FakeCaller(this, opts, `${this.address}:${this.port}`);
    caller.start();
    return caller;
  }

  /** The next INVITE the application sends out, as the target receives it. */
  nextInvite(timeoutMs?: number): Promise<FakeCallee> {
    return this.invites.next(timeoutMs);
  }

  /**
   * INVITEs to URIs matching `match` are handled by the party `answer` builds (it answers by
   * itself) instead of being handed to the test through `nextInvite()`.
   */
  addHost(match: (uri: string) => boolean, answer: (wire: Wire, invite: SipText) => FakeCallee): void {
    this.hosts.push({ match, answer });
  }

  /** Targets matching this act like a dead host: the server answers 503 itself. */
  setUnreachable(match: (uri: string) => boolean): void {
    this.unreachable = match;
  }

  /** Sends an out-of-dialog request (OPTIONS) from `source` and resolves with the status. */
  async sendOptions(source: { address: string; port?: number }): Promise<number> {
    const caller = new FakeCaller(this, { from: 'keepalive', to: 'ping', address: source.address, port: source.port, method: 'OPTIONS' }, `${this.address}:${this.port}`);
    caller.start();
    return (await caller.finalResponse()).status;
  }

  /** Dialogs that are established and not ended: after a call, none should be left. */
  openDialogs(): string[] {
    return [...this.dialogs.values()].filter((d) => d.state === 'confirmed').map((d) => d.id);
  }

  /** INVITEs the application sent that no test has taken with `nextInvite()`. */
  untakenInvites(): number {
    return this.invites.size;
  }
}
