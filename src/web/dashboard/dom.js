// Tiny DOM helpers. Data is only ever set as text or attributes, never parsed as HTML.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** `h('a', {href: '#/calls'}, 'Calls')` */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

export function svg(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let zone;
/** Times are shown in the server's report zone (exports.timeZone), like the CSV and the reports. */
export function setTimeZone(name) {
  zone = name;
}

export function timeZone() {
  return zone ?? 'UTC';
}

const formats = new Map();
function formatter(kind) {
  const key = `${kind}|${timeZone()}`;
  if (!formats.has(key)) {
    const opts =
      kind === 'date'
        ? { year: 'numeric', month: '2-digit', day: '2-digit' }
        : kind === 'time'
          ? { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }
          : { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
    formats.set(key, new Intl.DateTimeFormat('en-CA', { ...opts, timeZone: timeZone() }));
  }
  return formats.get(key);
}

export function fmtDateTime(iso) {
  return iso ? formatter('datetime').format(new Date(iso)).replace(',', '') : '–';
}

export function fmtTime(iso) {
  return iso ? formatter('time').format(new Date(iso)) : '–';
}

/** Today's date (YYYY-MM-DD) in the report zone, shifted by `days`. */
export function localDate(days = 0) {
  return formatter('date').format(new Date(Date.now() + days * 86_400_000));
}

export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  const rest = String(s % 60).padStart(2, '0');
  return m >= 60 ? `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/**
 * Who called: the number, "erased" when `calls forget` / `calls anonymise` removed it (an operator
 * must not read a privacy erasure as a caller who withheld the number), else "anonymous".
 */
export function fmtCaller(call) {
  if (call.callerNumber) return call.callerNumber;
  return call.identityErasedAt ? 'erased' : 'anonymous';
}

export function fmtSource(a) {
  const parts = [a.source, a.medium, a.campaign].map((p) => p ?? '–');
  return a.source || a.medium || a.campaign ? parts.join(' / ') : '(none)';
}

const STATUS_WORDS = {
  ringing: 'ringing',
  answered: 'answered',
  busy: 'busy',
  'no-answer': 'no answer',
  canceled: 'caller hung up',
  failed: 'failed',
  rejected: 'rejected',
};

/** A status badge; an answered call still in progress reads "talking". */
export function statusBadge(call) {
  const live = call.endedAt === null && (call.status === 'ringing' || call.status === 'answered');
  const word = live && call.status === 'answered' ? 'talking' : (STATUS_WORDS[call.status] ?? call.status);
  const tone = live ? 'live' : call.status === 'answered' ? 'ok' : 'bad';
  return h('span', { class: `status ${tone}` }, word);
}

export function field(label, control) {
  return h('label', { class: 'field' }, h('span', {}, label), control);
}
