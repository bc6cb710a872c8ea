import { randomUUID } from 'node:crypto';
import {
  header, isRequest, methodOf, requestUri, responseTo, setHeader, statusOf, tagOf, uriOf, type SipText,
} from './sip-text.js';
import { branchOf, CALLEE_SDP, CALLER_SDP, Endpoint, tag, takePort, type Wire } from './party-dialogs.js';

export { CALLEE_SDP, CALLER_SDP, sdp, type Party, type Wire } from './party-dialogs.js';

export interface CallOptions {
  /** Caller number (From user). */
  from: string;
  /** Dialled number (To user, and the Request-URI user unless `ruriUser` is given). */
  to: string;
  ruriUser?: string;
  /** Source address of the trunk (what the trunk allow-list checks); default 127.0.0.1. */
  address?: string;
  port?: number;
  /** The INVITE's SDP; '' for a late offer (INVITE without SDP). */
  sdp?: string;
  /** Late offer: the SDP answer the caller's ACK carries (none when left out). */
  ackSdp?: string;
  /** Never ACK the 200 (a caller that vanished, or one that hangs up before its ACK). */
  noAck?: boolean;
  headers?: Record<string, string>;
  method?: 'INVITE' | 'OPTIONS';
}

/** The trunk's side of an inbound call: sends the INVITE, ACKs a 200, can CANCEL, BYE, re-INVITE. */
export class FakeCaller extends Endpoint {
  readonly address: string;
  readonly port: number;
  readonly invite: SipText;
  private toTag: string | undefined;
  private remoteTarget: string | undefined;

  constructor(wire: Wire, private readonly opts: CallOptions, server: string) {
    super(wire);
    this.address = opts.address ?? '127.0.0.1';
    this.port = opts.port ?? takePort();
    this.sdp = opts.sdp ?? CALLER_SDP;
    const method = opts.method ?? 'INVITE';
    const here = `${this.address}:${this.port}`;
    this.invite = { startLine: `${method} sip:${opts.ruriUser ?? opts.to}@${server} SIP/2.0`, headers: [], body: method === 'INVITE' ? this.sdp : '' };
    this.invite.headers.push(['Via', `SIP/2.0/UDP ${here};branch=z9hG4bK-${tag()}`]);
    this.invite.headers.push(['From', `<sip:${opts.from}@${here}>;tag=${tag()}`], ['To', `<sip:${opts.to}@${server}>`]);
    this.invite.headers.push(['Call-ID', `${randomUUID()}@${this.address}`], ['CSeq', `1 ${method}`]);
    this.invite.headers.push(['Contact', `<sip:${opts.from}@${here}>`], ['Max-Forwards', '70']);
    for (const [n, v] of Object.entries(opts.headers ?? {})) setHeader(this.invite, n, v);
    if (this.invite.body) this.invite.headers.push(['Content-Type', 'application/sdp']);
  }

  get callId(): string {
    return header(this.invite, 'Call-ID') ?? '';
  }

  start(): void {
    this.send(this.invite);
  }

  receive(msg: SipText): void {
    if (!isRequest(msg)) {
      this.responses.add(msg);
      const isInvite = (header(msg, 'CSeq') ?? '').endsWith('INVITE');
      if (isInvite && branchOf(msg) === branchOf(this.invite) && statusOf(msg) >= 200 && statusOf(msg) < 300) {
        this.toTag = tagOf(header(msg, 'To'));
        this.remoteTarget = uriOf(header(msg, 'Contact') ?? '');
        if (this.opts.ackSdp) this.sdp = this.opts.ackSdp;
        if (!this.opts.noAck) this.send(this.ackFor(this.invite, msg, this.opts.ackSdp));
      }
      return;
    }
    this.requests.add(msg);
    this.answerInDialog(msg, this.toTag ?? '');
  }

  /** Status codes received for the initial INVITE, in order (100 included). */
  codes(): number[] {
    return this.responses.all.filter((r) => branchOf(r) === branchOf(this.invite) && (header(r, 'CSeq') ?? '').startsWith('1 ')).map(statusOf);
  }

  async waitForStatus(status: number): Promise<SipText> {
    return this.responses.find((r) => statusOf(r) === status && (header(r, 'CSeq') ?? '').endsWith(this.invite.startLine.split(' ')[0]!), `${status} for the caller`, undefined, () => this.codes().join(', ') || 'nothing');
  }

  async finalResponse(): Promise<{ status: number; msg: SipText }> {
    const method = methodOf(this.invite);
    const msg = await this.responses.find((r) => statusOf(r) >= 200 && (header(r, 'CSeq') ?? '') === `1 ${method}`, 'a final response for the caller', undefined, () => this.codes().join(', ') || 'nothing');
    return { status: statusOf(msg), msg };
  }

  cancel(): void {
    const cancel: SipText = { startLine: `CANCEL ${requestUri(this.invite)} SIP/2.0`, headers: [], body: '' };
    for (const n of ['Via', 'From', 'To', 'Call-ID']) cancel.headers.push([n, header(this.invite, n) ?? '']);
    cancel.headers.push(['CSeq', '1 CANCEL'], ['Max-Forwards', '70']);
    this.send(cancel);
  }

  bye(): Promise<SipText> {
    return this.requestAndWait(this.inDialog('BYE'));
  }

  reinvite(body: string): Promise<SipText> {
    this.sdp = body;
    return this.requestAndWait(this.inDialog('INVITE', body));
  }

  protected inDialog(method: string, body = ''): SipText {
    if (!this.remoteTarget) throw new Error('fake caller: no dialog yet (the call was not answered)');
    return this.inDialogRequest(method, this.remoteTarget, header(this.invite, 'From') ?? '', `${header(this.invite, 'To')};tag=${this.toTag}`, this.callId, body);
  }
}

/** The forwarding target: receives the application's INVITE and answers it as the test says. */
export class FakeCallee extends Endpoint {
  readonly address = '127.0.0.1';
  readonly port: number;
  readonly toTag = tag();
  private finalSent = false;

  constructor(wire: Wire, readonly invite: SipText) {
    super(wire);
    this.port = Number(/:(\d+)(?:[;>]|$)/.exec(requestUri(invite))?.[1] ?? 5090);
    this.requests.add(invite);
  }

  get uri(): string {
    return requestUri(this.invite);
  }

  get(name: string): string | undefined {
    return header(this.invite, name);
  }

  ring(): void {
    this.respond(180);
  }

  progress(body: string): void {
    this.respond(183, body);
  }

  answer(body = CALLEE_SDP): void {
    this.sdp = body;
    this.respond(200, body);
  }

  reject(status: number): void {
    this.respond(status);
  }

  /** 401 with a digest challenge, as a PBX that wants credentials answers. */
  challenge(realm: string, nonce: string): void {
    this.respond(401, '', { 'WWW-Authenticate': `Digest realm="${realm}", nonce="${nonce}", algorithm=MD5` });
  }

  receive(msg: SipText): void {
    if (!isRequest(msg)) {
      this.responses.add(msg);
      return;
    }
    // The initial INVITE is the one this callee was made for; the test answers it.
    if (methodOf(msg) === 'INVITE' && !tagOf(header(msg, 'To'))) return;
    this.requests.add(msg);
    if (methodOf(msg) === 'CANCEL') {
      this.send(responseTo(msg, 200, { toTag: this.toTag }));
      if (!this.finalSent) this.respond(487);
      return;
    }
    this.answerInDialog(msg, this.toTag);
  }

  bye(): Promise<SipText> {
    return this.requestAndWait(this.inDialog('BYE'));
  }

  reinvite(body: string): Promise<SipText> {
    this.sdp = body;
    return this.requestAndWait(this.inDialog('INVITE', body));
  }

  private respond(status: number, body = '', headers?: Record<string, string>): void {
    if (this.finalSent) throw new Error(`fake callee: a final response was already sent; cannot send ${status}`);
    if (status >= 200) this.finalSent = true;
    const contact = status < 300 ? `<sip:${this.address}:${this.port};transport=UDP>` : undefined;
    this.send(responseTo(this.invite, status, { toTag: this.toTag, contact, body, ...(headers ? { headers } : {}) }));
  }

  protected inDialog(method: string, body = ''): SipText {
    const target = uriOf(header(this.invite, 'Contact') ?? '');
    return this.inDialogRequest(method, target, `${header(this.invite, 'To')};tag=${this.toTag}`, header(this.invite, 'From') ?? '', header(this.invite, 'Call-ID') ?? '', body);
  }
}
