import { randomBytes, randomUUID } from 'node:crypto';
import { stackTime } from './framing.js';
import { FakeCallee, type Party } from './parties.js';
import {
  ackFor, branchOf, cloneSip, copyAppHeaders, cseqNumber, header, isRequest, localize, methodOf, parseSip, requestUri, responseTo,
  serializeSip, setHeader, statusOf, stripTag, tagOf, uriOf, type SipText,
} from './sip-text.js';
import { Waiters } from './waiters.js';

export interface CoreHooks {
  send(payload: string): void;
  routed(verb: string): boolean;
}

export interface Dialog {
  id: string;
  callId: string;
  serverTag: string;
  /** Name-addrs without tags: the server's side and the network party's side. */
  serverSide: string;
  peerSide: string;
  peerTag?: string;
  party: Party;
  remoteTarget: string;
  cseq: number;
  inviteCseq: number;
  state: 'early' | 'confirmed' | 'failed' | 'ended';
}

interface Txn {
  id: string;
  method: string;
  req: SipText;
  party: Party;
  dialog?: Dialog;
  final: boolean;
}

const token = () => randomBytes(6).toString('base64url');

/**
 * The SIP side of the fake drachtio-server (tests use it through FakeSipNetwork): transactions and dialogs, completion of what the
 * app sends (Via, tags, CSeq, Contact) and what the server does by itself (100 Trying, quick
 * CANCEL with 200/487, ACK of non-2xx, 503 for unrouted requests and unreachable targets).
 * Replies follow the captured formats token for token.
 */
export class SipCore {
  protected readonly inbound = new Map<string, Txn>();
  protected readonly outbound = new Map<string, Txn>();
  protected readonly outboundByBranch = new Map<string, Txn>();
  protected readonly dialogs = new Map<string, Dialog>();
  protected readonly dialogsByTag = new Map<string, Dialog>();
  protected readonly invites = new Waiters<FakeCallee>('an INVITE from the application');
  protected unreachable: (uri: string) => boolean = () => false;
  /** Other hosts behind the server (e.g. FreeSWITCH): INVITEs to a matching URI go to the party made here. */
  protected readonly hosts: Array<{ match: (uri: string) => boolean; answer: (wire: SipCore, invite: SipText) => FakeCallee }> = [];
  private cseqSeed = 123142892;
  private closed = false;

  constructor(readonly address: string, readonly port: number, private readonly hooks: CoreHooks) {}

  close(): void {
    this.closed = true;
  }

  // ---- from the network parties ----

  fromNetwork(party: Party, msg: SipText): void {
    if (this.closed) return;
    const copy = cloneSip(msg); // the server edits Via (rport); the sender keeps its own copy
    setImmediate(() => (isRequest(copy) ? this.networkRequest(party, copy) : this.networkResponse(party, copy)));
  }

  private networkRequest(party: Party, msg: SipText): void {
    const method = methodOf(msg);
    const via = header(msg, 'Via');
    if (via && !/;rport=/.test(via)) setHeader(msg, 'Via', via.replace(/;rport(?=;|$)/, '') + `;rport=${party.port}`);
    const callId = header(msg, 'Call-ID') ?? '';
    const toTag = tagOf(header(msg, 'To'));
    if (method === 'CANCEL') return this.networkCancel(party, msg);
    if (toTag) {
      const dialog = this.dialogsByTag.get(`${callId}|${toTag}`);
      if (method === 'ACK') {
        // An ACK for a non-2xx is hop-by-hop: the server absorbs it.
        if (!dialog || dialog.state !== 'confirmed') return;
        return this.toApp('network', party, msg, { txnId: randomUUID(), dialogId: dialog.id, transport: '' });
      }
      if (!dialog || dialog.state === 'ended') return party.receive(responseTo(msg, 481));
      if (method === 'BYE') this.cdr('stop', 'network', msg, 'normal-release');
      const txn: Txn = { id: randomUUID(), method, req: msg, party, dialog, final: false };
      this.inbound.set(txn.id, txn);
      return this.toApp('network', party, msg, { txnId: txn.id, dialogId: dialog.id });
    }
    const verb = method.toLowerCase();
    if (!this.hooks.routed(verb)) return party.receive(responseTo(msg, 503, { toTag: token() }));
    const txn: Txn = { id: randomUUID(), method, req: msg, party, final: false };
    this.inbound.set(txn.id, txn);
    if (method === 'INVITE') {
      party.receive(responseTo(msg, 100));
      const fromTag = tagOf(header(msg, 'From')) ?? '';
      const dialog: Dialog = {
        id: `${callId};from-tag=${fromTag}`, callId, serverTag: token(), serverSide: stripTag(header(msg, 'To') ?? ''),
        peerSide: stripTag(header(msg, 'From') ?? ''), peerTag: fromTag, party, remoteTarget: uriOf(header(msg, 'Contact') ?? ''),
        cseq: 1, inviteCseq: cseqNumber(msg), state: 'early',
      };
      txn.dialog = dialog;
      this.addDialog(dialog);
      this.cdr('attempt', 'network', msg);
    }
    this.toApp('network', party, msg, { txnId: txn.id, dialogId: '', receivedOn: true });
  }

  private networkCancel(party: Party, msg: SipText): void {
    const callId = header(msg, 'Call-ID');
    const txn = [...this.inbound.values()].find((t) => t.method === 'INVITE' && header(t.req, 'Call-ID') === callId);
    party.receive(responseTo(msg, 200, { toTag: txn?.dialog?.serverTag ?? token() }));
    if (!txn || txn.final) return;
    // "Quick cancel": the server ends the INVITE itself, then tells the app (drachtio-server controller.cpp).
    txn.final = true;
    if (txn.dialog) txn.dialog.state = 'failed';
    party.receive(responseTo(txn.req, 487, { toTag: txn.dialog?.serverTag }));
    this.cdr('stop', 'network', msg, 'call-canceled');
    this.toApp('network', party, msg, { txnId: txn.id, dialogId: txn.dialog?.id ?? '' });
  }

  private networkResponse(party: Party, msg: SipText): void {
    const branch = branchOf(header(msg, 'Via'));
    const method = (header(msg, 'CSeq') ?? '').split(/\s+/)[1] ?? '';
    const txn = this.outboundByBranch.get(`${branch}|${method}`);
    if (!txn || method === 'CANCEL') return; // sofia does not pass the 200 for a CANCEL up
    const status = statusOf(msg);
    const dialog = txn.dialog;
    // Only an initial INVITE's answer establishes the dialog: a re-INVITE's 200 arriving after a
    // BYE does not bring an ended dialog back.
    if (dialog && method === 'INVITE' && dialog.state === 'early') {
      dialog.peerTag ??= tagOf(header(msg, 'To'));
      if (dialog.peerTag) this.dialogsByTag.set(`${dialog.callId}|${dialog.serverTag}`, dialog);
      if (status >= 200 && status < 300) {
        dialog.state = 'confirmed';
        dialog.remoteTarget = uriOf(header(msg, 'Contact') ?? dialog.remoteTarget);
        this.cdr('start', 'network', msg, 'uac');
      } else if (status >= 300) {
        dialog.state = 'failed';
        party.receive(ackFor(txn.req, msg));
        this.cdr('stop', 'network', msg, 'call-rejected');
      }
    }
    if (status >= 200) {
      txn.final = true;
      this.outboundByBranch.delete(`${branch}|${method}`);
      if (method === 'BYE' && dialog) dialog.state = 'ended';
    }
    this.toApp('network', party, msg, { txnId: txn.id, dialogId: dialog?.id ?? '' });
  }

  // ---- from the application ----

  /** Handles a `sip` frame; returns the tokens of the reply (`OK|application|...` or `NOK|...`). */
  fromApp(txnId: string, dialogId: string, raw: string, proxy = ''): string[] {
    const msg = parseSip(raw);
    if (!isRequest(msg)) return this.appResponse(txnId, msg);
    const method = methodOf(msg);
    if (txnId) return method === 'CANCEL' ? this.appCancel(txnId, msg) : ['NOK', 'Response not sent due to unknown transaction'];
    if (dialogId) return this.appInDialog(dialogId, method, msg);
    return this.appNewRequest(method, msg, proxy);
  }

  private appResponse(txnId: string, msg: SipText): string[] {
    const txn = this.inbound.get(txnId);
    if (!txn || txn.final) return ['NOK', 'Response not sent due to unknown transaction'];
    const status = statusOf(msg);
    const dialog = txn.dialog;
    const isInvite = txn.method === 'INVITE';
    const contact = isInvite && status < 300 ? `<sip:${this.address}:${this.port}>` : undefined;
    const out = responseTo(txn.req, status, { toTag: dialog?.serverTag ?? token(), contact, body: msg.body });
    out.startLine = msg.startLine;
    for (const [name, value] of msg.headers) {
      if (!/^(via|from|to|call-id|cseq|contact|content-length|content-type)$/i.test(name)) out.headers.push([name, value]);
    }
    if (msg.body) setHeader(out, 'Content-Type', header(msg, 'Content-Type') ?? 'application/sdp');
    if (status >= 200) {
      txn.final = true;
      this.inbound.delete(txnId);
      if (txn.method === 'BYE' && dialog && status < 300) dialog.state = 'ended';
      if (isInvite && dialog && !tagOf(header(txn.req, 'To'))) {
        if (status < 300) {
          dialog.state = 'confirmed';
          this.cdr('start', 'application', out, 'uas');
        } else {
          dialog.state = 'failed';
          this.cdr('stop', 'application', out, 'call-rejected');
        }
      }
    }
    this.deliver(txn.party, out);
    const wire = serializeSip(out);
    const inDialogOrInvite = isInvite ? dialog?.id ?? '' : '';
    return ['OK', 'application', String(Buffer.byteLength(wire)), isInvite ? 'udp' : '', txn.party.address, String(txn.party.port), stackTime(), txnId, inDialogOrInvite, '', 'Msg sent:', `\r\n${wire}`];
  }

  private appCancel(txnId: string, msg: SipText): string[] {
    const txn = this.outbound.get(txnId);
    if (!txn) return ['NOK', 'Response not sent due to unknown transaction'];
    const cancel: SipText = { startLine: `CANCEL ${requestUri(txn.req)} SIP/2.0`, headers: [], body: '' };
    for (const name of ['Via', 'Max-Forwards', 'From', 'To', 'Call-ID']) cancel.headers.push([name, header(txn.req, name) ?? '']);
    cancel.headers.push(['CSeq', `${cseqNumber(txn.req)} CANCEL`]);
    copyAppHeaders(msg, cancel); // e.g. Reason
    if (!txn.final) this.deliver(txn.party, cancel);
    return this.sentRequestReply(cancel);
  }

  private appInDialog(dialogId: string, method: string, msg: SipText): string[] {
    const dialog = this.dialogs.get(dialogId);
    if (method === 'ACK' && dialog?.state === 'failed') {
      return ['NOK', 'Server error: ACK for non-success final response is automatically generated by server'];
    }
    if (!dialog || dialog.state === 'ended' || dialog.state === 'failed') return ['NOK', 'Server error: unable to find dialog for dialog id provided'];
    const req: SipText = { startLine: `${method} ${dialog.remoteTarget} SIP/2.0`, headers: [], body: msg.body };
    const branch = `z9hG4bK${token()}`;
    req.headers.push(['Via', `SIP/2.0/UDP ${this.address}:${this.port};rport;branch=${branch}`], ['Max-Forwards', '70']);
    req.headers.push(['From', `${dialog.serverSide};tag=${dialog.serverTag}`], ['To', `${dialog.peerSide};tag=${dialog.peerTag ?? ''}`]);
    req.headers.push(['Call-ID', dialog.callId], ['CSeq', `${method === 'ACK' ? dialog.inviteCseq : ++dialog.cseq} ${method}`]);
    // An ACK carries the CSeq number of the INVITE it acknowledges: after a re-INVITE, that one's.
    if (method === 'INVITE') dialog.inviteCseq = dialog.cseq;
    copyAppHeaders(msg, req);
    if (method === 'INVITE' && !header(req, 'Contact')) req.headers.push(['Contact', `<sip:${this.address}:${this.port}>`]);
    if (msg.body && !header(req, 'Content-Type')) req.headers.push(['Content-Type', 'application/sdp']);
    const txnId = randomUUID();
    if (method !== 'ACK') this.track({ id: txnId, method, req, party: dialog.party, dialog, final: false }, branch);
    if (method === 'BYE') this.cdr('stop', 'application', req, 'normal-release');
    this.deliver(dialog.party, req);
    return this.sentRequestReply(req, txnId);
  }

  /** Who takes an out-of-dialog request other than INVITE (a registrar for REGISTER); none: 503. */
  protected outOfDialogParty(_uri: string, _proxy: string): Party | undefined {
    return undefined;
  }

  private appNewRequest(method: string, msg: SipText, proxy: string): string[] {
    const uri = requestUri(msg);
    const branch = `z9hG4bK${token()}`;
    const callId = header(msg, 'Call-ID') ?? randomUUID();
    // A retry after a digest challenge keeps the From tag, Call-ID and (bumped) CSeq it was given.
    const appFrom = header(msg, 'From');
    const serverTag = tagOf(appFrom) ?? token();
    const here = `${this.address}:${this.port}`;
    const from = localize(stripTag(appFrom ?? `<sip:${here}>`), here);
    const to = header(msg, 'To') ?? `<${uri}>`;
    const cseq = header(msg, 'CSeq') ? cseqNumber(msg) : this.cseqSeed++;
    const req: SipText = { startLine: `${method} ${uri} SIP/2.0`, headers: [], body: msg.body };
    req.headers.push(['Via', `SIP/2.0/UDP ${here};rport;branch=${branch}`], ['Max-Forwards', '70']);
    req.headers.push(['From', `${from};tag=${serverTag}`], ['To', to], ['Call-ID', callId], ['CSeq', `${cseq} ${method}`]);
    const contact = header(msg, 'Contact');
    if (contact) req.headers.push(['Contact', localize(contact, here)]);
    if (msg.body) req.headers.push(['Content-Type', header(msg, 'Content-Type') ?? 'application/sdp']);
    copyAppHeaders(msg, req, ['from', 'to', 'contact', 'call-id', 'content-type', 'cseq']);
    const txn: Txn = { id: randomUUID(), method, req, party: deadParty, final: false };
    const reply = this.sentRequestReply(req, txn.id);
    const party = method === 'INVITE' || this.unreachable(uri) ? undefined : this.outOfDialogParty(uri, proxy);
    if (party) {
      // No dialog (drachtio-server: NTATAG_NO_DIALOG for REGISTER): responses come up with an empty dialog id.
      txn.party = party;
      this.track(txn, branch);
      this.deliver(party, req);
      return reply;
    }
    if (this.unreachable(uri) || method !== 'INVITE') {
      // Nothing listens there: sofia answers 503 locally (capture m).
      setImmediate(() => this.toApp('network', { address: '', port: 0, receive: () => undefined }, responseTo(req, 503, { toTag: token() }), { txnId: txn.id, dialogId: '', bytes: '0' }));
      return reply;
    }
    const host = this.hosts.find((h) => h.match(uri));
    const callee = host ? host.answer(this, req) : new FakeCallee(this, req);
    txn.party = callee;
    txn.dialog = {
      id: `${callId};from-tag=${serverTag}`, callId, serverTag, serverSide: stripTag(from), peerSide: stripTag(to), party: callee,
      remoteTarget: uri, cseq, inviteCseq: cseq, state: 'early',
    };
    this.addDialog(txn.dialog);
    this.track(txn, branch);
    this.cdr('attempt', 'application', req);
    this.deliver(callee, req);
    if (!host) setImmediate(() => this.invites.push(callee));
    return reply;
  }

  // ---- helpers ----

  private sentRequestReply(req: SipText, txnId: string = randomUUID()): string[] {
    const wire = serializeSip(req);
    return ['OK', 'application', String(Buffer.byteLength(wire)), 'udp', this.address, String(this.port), stackTime(), txnId, 'Msg sent:', `\r\n${wire}`];
  }

  private track(txn: Txn, branch: string): void {
    this.outbound.set(txn.id, txn);
    this.outboundByBranch.set(`${branch}|${txn.method}`, txn);
  }

  private addDialog(dialog: Dialog): void {
    this.dialogs.set(dialog.id, dialog);
    this.dialogsByTag.set(`${dialog.callId}|${dialog.serverTag}`, dialog);
  }

  private deliver(party: Party, msg: SipText): void {
    setImmediate(() => party.receive(msg));
  }

  private toApp(source: 'network', party: Party, msg: SipText, o: { txnId: string; dialogId: string; transport?: string; receivedOn?: boolean; bytes?: string }): void {
    const wire = serializeSip(msg);
    const tail = o.receivedOn ? `${this.address}|${this.port}|` : '';
    const bytes = o.bytes ?? String(Buffer.byteLength(wire));
    this.hooks.send(`sip|${source}|${bytes}|${o.transport ?? 'udp'}|${party.address}|${party.port}|${stackTime()}|${o.txnId}|${o.dialogId}|${tail}\r\n${wire}`);
  }

  private cdr(kind: 'attempt' | 'start' | 'stop', source: string, msg: SipText, extra?: string): void {
    if (!this.hooks.routed(`cdr:${kind}`)) return;
    this.hooks.send(`cdr:${kind}|${source}|${stackTime()}${extra ? `|${extra}` : ''}\r\n${serializeSip(msg)}`);
  }
}

const deadParty: Party = { address: '', port: 0, receive: () => undefined };
