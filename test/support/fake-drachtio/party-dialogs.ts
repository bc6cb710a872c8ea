/*
 * What both ends of a fake call share (parties.ts builds the caller and the callee on it): the
 * messages that arrived, answers to in-dialog requests (re-INVITE, UPDATE, INFO, NOTIFY), and
 * requests of their own in the dialog with their ACKs.
 */
import { randomBytes } from 'node:crypto';
import { cseqNumber, header, methodOf, requestUri, responseTo, setHeader, statusOf, uriOf, type SipText } from './sip-text.js';
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

export const CALLER_SDP = sdp('caller', 7372);
export const CALLEE_SDP = sdp('callee', 7390);

export function sdp(who: string, port: number, direction = 'sendrecv', version = 1): string {
  return `v=0\r\no=${who} 1234 ${version} IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=${direction}\r\n`;
}

export function branchOf(msg: SipText): string {
  return /branch=([^;\s]+)/.exec(header(msg, 'Via') ?? '')?.[1] ?? '';
}

export const tag = () => randomBytes(5).toString('hex');
let nextPort = 5370;
/** A port of its own for each fake party on the loopback network. */
export const takePort = () => nextPort++;

/** Shared by both ends: what arrived, and in-dialog requests with their responses. */
export abstract class Endpoint implements Party {
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
