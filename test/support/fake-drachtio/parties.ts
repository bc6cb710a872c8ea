import { randomBytes, randomUUID } from 'node:crypto';
import {
  cseqNumber, header, isRequest, methodOf, requestUri, responseTo, setHeader, statusOf, tagOf, uriOf, type SipText,
} from './sip-text.js';
import { Watched } from './waiters.js';

/** Something on the SIP network that the fake server delivers messages to. */
export interface Party {
  readonly address: string;
  readonly port: number;
  receive(msg: SipText): void;
}

export interface Wire {
  fromNetwork(party: Party, msg: SipText): void;
}

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

export const CALLER_SDP = sdp('caller', 7372);
export const CALLEE_SDP = sdp('callee', 7390);

export function sdp(who: string, port: number, direction = 'sendrecv', version = 1): string {
  return `v=0\r\no=${who} 1234 ${version} IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=${direction}\r\n`;
}

function branchOf(msg: SipText): string {
  return /branch=([^;\s]+)/.exec(header(msg, 'Via') ?? '')?.[1] ?? '';
}

const tag = () => randomBytes(5).toString('hex');
let nextPort = 5370;

/** Shared by both ends: what arrived, and in-dialog requests with their responses. */
abstract class Endpoint implements Party {
  readonly requests = new Watched<SipText>();
  readonly responses = new Watched<SipText>();
  protected cseq = 1;
  abstract readonly address: string;
  abstract readonly port: number;

  constructor(protected readonly wire: Wire) {}

  /** The local SDP this end answers re-INVITEs with. */
  sdp = CALLEE_SDP;
  /** Final status this end answers in-dialog INFO / NOTIFY / UPDATE / re-INVITE with (default 200). */
  readonly answerStatus: Record<string, number> = {};
  /** Set: this end answers a re-INVITE only once this settles (a phone slow to make its offer). */
  reinviteAnswerGate: Promise<void> | undefined;
  /** Body (and its Content-Type) this end puts in its 200 to an in-dialog INFO. */
  infoAnswer: { body: string; contentType: string } | undefined;

  abstract receive(msg: SipText): void;

  protected send(msg: SipText): void {
    this.wire.fromNetwork(this, msg);
  }

  /** Waits for a request of `method` from the server (BYE, ACK, CANCEL, re-INVITE). */
  waitForRequest(method: string, nth = 1): Promise<SipText> {
    // Counted afresh on every look: find() looks again each time a message arrives, and a count
    // kept across looks took the first ACK for the second one.
    const isNth = (m: SipText) => methodOf(m) === method && this.requests.all.filter((r) => methodOf(r) === method).indexOf(m) === nth - 1;
    return this.requests.find(isNth, `${method} #${nth}`, undefined, () =>
      this.requests.all.map((m) => m.startLine).join(', ') || 'nothing',
    );
  }

  hasRequest(method: string): boolean {
    return this.requests.all.some((m) => methodOf(m) === method);
  }

  protected answerInDialog(req: SipText, toTag: string): void {
    const method = methodOf(req);
    if (method === 'ACK') return;
    if (method === 'INVITE' && !this.answerStatus.INVITE) {
      const answer = () => {
        this.sdp = this.sdpForReinvite(req.body);
        this.send(responseTo(req, 200, { toTag, contact: `<sip:${this.address}:${this.port}>`, body: this.sdp }));
      };
      if (this.reinviteAnswerGate) void this.reinviteAnswerGate.then(answer);
      else answer();
      return;
    }
    if (method === 'UPDATE' && req.body && !this.answerStatus.UPDATE) {
      this.sdp = this.sdpForReinvite(req.body);
      return this.send(responseTo(req, 200, { toTag, body: this.sdp }));
    }
    const status = this.answerStatus[method] ?? 200;
    if (method === 'INFO' && status === 200 && this.infoAnswer) {
      const res = responseTo(req, 200, { toTag, body: this.infoAnswer.body });
      setHeader(res, 'Content-Type', this.infoAnswer.contentType);
      return this.send(res);
    }
    this.send(responseTo(req, status, { toTag }));
  }

  protected abstract inDialog(method: string, body?: string): SipText;

  /** An in-dialog request (INFO, NOTIFY) with its body and headers; resolves with the final response. */
  sendInDialog(method: string, body: string, headers: Record<string, string> = {}): Promise<SipText> {
    const msg = this.inDialog(method, body);
    for (const [name, value] of Object.entries(headers)) setHeader(msg, name, value);
    return this.requestAndWait(msg);
  }

  /**
   * A re-INVITE without SDP (delayed offer): the 200 carries the offer, the ACK carries `answer`
   * ('' sends an ACK without SDP). Resolves with the final response. `noAck`: the 200 is never
   * ACKed (an end that hangs up, or vanishes, before its ACK).
   */
  async reinviteWithoutOffer(answer: string, opts: { noAck?: boolean } = {}): Promise<SipText> {
    const msg = this.inDialog('INVITE', '');
    const branch = branchOf(msg);
    this.send(msg);
    const res = await this.responses.find((r) => branchOf(r) === branch && statusOf(r) >= 200, `final response to ${msg.startLine}`);
    if (statusOf(res) < 300 && !opts.noAck) {
      if (answer) this.sdp = answer;
      this.send(this.ackFor(msg, res, answer));
    }
    return res;
  }

  /** What this end answers a re-INVITE with: its own SDP, holding when the offer holds. */
  protected sdpForReinvite(offer: string): string {
    const base = this.sdp.replace(/a=(sendrecv|sendonly|recvonly|inactive)/, 'a=sendrecv');
    if (/a=sendonly/.test(offer)) return base.replace('a=sendrecv', 'a=recvonly');
    if (/a=inactive/.test(offer)) return base.replace('a=sendrecv', 'a=inactive');
    return base;
  }

  protected inDialogRequest(method: string, target: string, from: string, to: string, callId: string, body = ''): SipText {
    const msg: SipText = { startLine: `${method} ${target} SIP/2.0`, headers: [], body };
    msg.headers.push(['Via', `SIP/2.0/UDP ${this.address}:${this.port};branch=z9hG4bK-${tag()}`]);
    msg.headers.push(['From', from], ['To', to], ['Call-ID', callId], ['CSeq', `${++this.cseq} ${method}`], ['Max-Forwards', '70']);
    msg.headers.push(['Contact', `<sip:${this.address}:${this.port}>`]);
    if (body) msg.headers.push(['Content-Type', 'application/sdp']);
    return msg;
  }

  protected async requestAndWait(msg: SipText): Promise<SipText> {
    const branch = branchOf(msg);
    this.send(msg);
    const res = await this.responses.find((r) => branchOf(r) === branch && statusOf(r) >= 200, `final response to ${msg.startLine}`);
    if (methodOf(msg) === 'INVITE' && statusOf(res) < 300) this.send(this.ackFor(msg, res));
    return res;
  }

  protected ackFor(req: SipText, res: SipText, body = ''): SipText {
    const ack: SipText = { startLine: `ACK ${uriOf(header(res, 'Contact') ?? requestUri(req))} SIP/2.0`, headers: [], body };
    ack.headers.push(['Via', `SIP/2.0/UDP ${this.address}:${this.port};branch=z9hG4bK-${tag()}`]);
    ack.headers.push(['From', header(req, 'From') ?? ''], ['To', header(res, 'To') ?? ''], ['Call-ID', header(req, 'Call-ID') ?? '']);
    ack.headers.push(['CSeq', `${cseqNumber(req)} ACK`], ['Max-Forwards', '70']);
    if (body) ack.headers.push(['Content-Type', 'application/sdp']);
    return ack;
  }
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
    this.port = opts.port ?? nextPort++;
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
