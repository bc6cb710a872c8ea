/**
 * A small SIP message model for the fake drachtio-server: enough to read what drachtio-srf
 * sends, complete it the way drachtio-server does (Via, tags, CSeq, Contact) and write it back.
 * Deliberately independent of drachtio-srf's own parser, so the fake cannot share its bugs.
 */
export interface SipText {
  /** `INVITE sip:... SIP/2.0` or `SIP/2.0 200 OK`. */
  startLine: string;
  headers: Array<[string, string]>;
  body: string;
}

const CRLF = '\r\n';

export function parseSip(raw: string): SipText {
  const split = raw.indexOf(CRLF + CRLF);
  const head = split === -1 ? raw : raw.slice(0, split);
  const body = split === -1 ? '' : raw.slice(split + 4);
  const [startLine = '', ...lines] = head.split(CRLF);
  const headers: Array<[string, string]> = [];
  for (const line of lines) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon === -1) throw new Error(`fake drachtio: malformed SIP header line "${line}"`);
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return { startLine, headers, body };
}

/** Writes the message with a Content-Length counted in bytes, as a SIP stack does. */
export function serializeSip(msg: SipText): string {
  const lines = [msg.startLine];
  for (const [name, value] of msg.headers) if (name.toLowerCase() !== 'content-length') lines.push(`${name}: ${value}`);
  lines.push(`Content-Length: ${Buffer.byteLength(msg.body, 'utf8')}`);
  return lines.join(CRLF) + CRLF + CRLF + msg.body;
}

export function header(msg: SipText, name: string): string | undefined {
  const lower = name.toLowerCase();
  return msg.headers.find(([n]) => n.toLowerCase() === lower)?.[1];
}

export function setHeader(msg: SipText, name: string, value: string): void {
  const lower = name.toLowerCase();
  const at = msg.headers.findIndex(([n]) => n.toLowerCase() === lower);
  if (at === -1) msg.headers.push([name, value]);
  else msg.headers[at] = [name, value];
}

export function removeHeader(msg: SipText, name: string): void {
  const lower = name.toLowerCase();
  msg.headers = msg.headers.filter(([n]) => n.toLowerCase() !== lower);
}

export function isRequest(msg: SipText): boolean {
  return !msg.startLine.startsWith('SIP/2.0');
}

export function methodOf(msg: SipText): string {
  if (!isRequest(msg)) throw new Error(`fake drachtio: not a request: ${msg.startLine}`);
  return msg.startLine.split(' ')[0] ?? '';
}

export function requestUri(msg: SipText): string {
  return msg.startLine.split(' ')[1] ?? '';
}

export function statusOf(msg: SipText): number {
  return Number(msg.startLine.split(' ')[1]);
}

/** The `tag` parameter of a From/To value. */
export function tagOf(value: string | undefined): string | undefined {
  return value ? /;\s*tag=([^;>\s]+)/i.exec(value)?.[1] : undefined;
}

/** The URI inside a name-addr (`"X" <sip:a@b>;tag=1` -> `sip:a@b`), or the bare URI. */
export function uriOf(value: string): string {
  const angled = /<([^>]+)>/.exec(value);
  return angled?.[1] ?? value.split(';')[0]!.trim();
}

/** The user part of a SIP URI (`sip:+7495@host` -> `+7495`). */
export function userOf(uri: string): string {
  return /^sips?:([^@;]+)@/.exec(uri)?.[1] ?? '';
}

export function cseqNumber(msg: SipText): number {
  return Number((header(msg, 'CSeq') ?? '0').split(/\s+/)[0]);
}

export function cloneSip(msg: SipText): SipText {
  return { startLine: msg.startLine, headers: msg.headers.map(([n, v]) => [n, v]), body: msg.body };
}

export const REASONS: Record<number, string> = {
  100: 'Trying',
  180: 'Ringing',
  183: 'Session Progress',
  200: 'OK',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  415: 'Unsupported Media Type',
  423: 'Interval Too Brief',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  486: 'Busy Here',
  487: 'Request Terminated',
  489: 'Bad Event',
  500: 'Server Internal Error',
  503: 'Service Unavailable',
  600: 'Busy Everywhere',
  603: 'Decline',
};

/** A response to `req` built the way a UAS builds one: Via, From, To, Call-ID, CSeq copied. */
export function responseTo(req: SipText, status: number, opts: { toTag?: string; contact?: string; body?: string; headers?: Record<string, string> } = {}): SipText {
  const res: SipText = { startLine: `SIP/2.0 ${status} ${REASONS[status] ?? 'Unknown'}`, headers: [], body: opts.body ?? '' };
  for (const name of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) {
    const v = header(req, name);
    if (v !== undefined) res.headers.push([name, v]);
  }
  if (opts.toTag) {
    const to = header(res, 'To') ?? '';
    if (!tagOf(to)) setHeader(res, 'To', `${to};tag=${opts.toTag}`);
  }
  if (opts.contact) res.headers.push(['Contact', opts.contact]);
  for (const [n, v] of Object.entries(opts.headers ?? {})) res.headers.push([n, v]);
  if (res.body) res.headers.push(['Content-Type', 'application/sdp']);
  return res;
}

export function stripTag(value: string): string {
  return value.replace(/;\s*tag=[^;>\s]+/i, '');
}

export function branchOf(via: string | undefined): string {
  return /branch=([^;\s]+)/.exec(via ?? '')?.[1] ?? '';
}

/** drachtio-server replaces `localhost` in From/Contact with its own address (sip-dialog-controller.cpp). */
export function localize(value: string, hostport: string): string {
  const replaced = value.replace(/@localhost(?=[>;:\s]|$)/, `@${hostport}`);
  return replaced.includes('<') ? replaced : `<${replaced}>`;
}

export function copyAppHeaders(from: SipText, to: SipText, skip: string[] = []): void {
  for (const [name, value] of from.headers) {
    const lower = name.toLowerCase();
    if (lower === 'content-length' || skip.includes(lower)) continue;
    if (['via', 'max-forwards', 'cseq', 'call-id', 'from', 'to'].includes(lower)) continue;
    removeHeader(to, name);
    to.headers.push([name, value]);
  }
}

/** The ACK a transaction layer sends for a non-2xx final response (same branch as the INVITE). */
export function ackFor(invite: SipText, res: SipText): SipText {
  const ack: SipText = { startLine: `ACK ${requestUri(invite)} SIP/2.0`, headers: [], body: '' };
  for (const name of ['Via', 'Max-Forwards', 'From']) ack.headers.push([name, header(invite, name) ?? '']);
  ack.headers.push(['To', header(res, 'To') ?? ''], ['Call-ID', header(invite, 'Call-ID') ?? ''], ['CSeq', `${cseqNumber(invite)} ACK`]);
  return ack;
}
