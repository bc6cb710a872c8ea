// calltrack website snippet: each visit sees its own tracking number. Plain ES2017, no dependencies.
// Served minified (minify.ts: comments on lines of their own, no template literals, no division) with
// the config in place of __CALLTRACK_CONFIG__. If anything fails the page keeps its own numbers and the
// console stays clean: every entry point is guarded, every promise ends in a handler.
(function (C) {
  'use strict';
  const d = document;
  const w = window;
  const me = d.currentScript;
  // data-ping (seconds) and data-timeout (ms) on the script tag: for tests and unusual sites.
  const opt = (name, dflt, v) => ((v = Number(me && me.getAttribute('data-' + name))) > 0 ? v : dflt);
  const PING = opt('ping', 60) * 1000;
  const TIMEOUT = opt('timeout', 2000);
  const KEY = 'calltrack';
  const SEP = '[\\s\\u00a0().\\-\\u2010-\\u2015]*';
  const ANY = /\+?\d[\d\s\u00a0().\-\u2010-\u2015]{5,}\d/g;
  const SKIP = /^(SCRIPT|STYLE|TEXTAREA|NOSCRIPT|TEMPLATE|OPTION)$/;
  const REVEAL = 'data-calltrack-reveal';
  const noop = () => {};
  const each = (list, fn) => [].forEach.call(list, fn);
  const digitsOf = (s) => s.replace(/\D/g, '');
  const ccOf = (n) => C.cc.filter((c) => n.indexOf(c) === 0)[0] || '';
  const natOf = (n) => n.slice(ccOf(n).length);

  // visit: {id, num (E.164 digits), disp, pool, until (epoch ms)}
  let visit = null;
  // off: leave the page alone; swap: show visit.num; mask: hide the site's numbers until a click
  let mode = 'off';
  // The numbers to replace: the site's own, plus numbers this page showed earlier.
  let site = [];
  let RE = null;
  let masked = [];
  let timer = 0;
  let lastPing = 0;
  let observer = null;

  function setSite(pool) {
    site = C.site.concat(((pool && C.pools[pool]) || { site: [] }).site);
    const nats = site.map((o) => natOf(o).split('').join(SEP)).join('|');
    RE = site.length ? new RegExp('(^|[^\\d+])((?:(?:\\+|00)?(?:' + C.cc.join('|') + ')|8|0)?' + SEP + '(?:' + nats + '))(?!\\d)', 'g') : null;
  }
  const originalOf = (text) => site.filter((n) => digitsOf(text).slice(-natOf(n).length) === natOf(n))[0] || '';

  // The new number written the way the page wrote the old one: same prefix, brackets, spaces,
  // dashes. "from" is the country code of the number replaced ('' when unknown).
  function restyle(text, from, natLen) {
    const cc = ccOf(visit.num);
    const nat = visit.num.slice(cc.length);
    const skip = digitsOf(text).length - natLen;
    if (natLen !== nat.length || skip < 0 || (from && from !== cc)) {
      return /^\s*(\+|00)/.test(text) ? '+' + cc + ' ' + nat : visit.disp || '+' + visit.num;
    }
    let i = 0;
    return text.replace(/\d/g, (c) => (i++ < skip ? c : nat.charAt(i - 1 - skip)));
  }

  function restyleAny(text) {
    const natLen = natOf(visit.num).length;
    const prefix = digitsOf(text).slice(0, -natLen).replace(/^00/, '');
    return restyle(text, /^[80]?$/.test(prefix) ? '' : prefix, natLen);
  }

  function maskText(text) {
    const n = digitsOf(text).length;
    let i = 0;
    return text.replace(/\d/g, (c) => (++i > n - 3 ? '\u2022' : c));
  }

  function rewrite(text, any) {
    if (any) return text.replace(ANY, mode === 'mask' ? maskText : restyleAny);
    if (!RE) return text;
    return text.replace(RE, (all, pre, m) => {
      const o = originalOf(m);
      return pre + (mode === 'mask' ? maskText(m) : restyle(m, ccOf(o), natOf(o).length));
    });
  }

  function setText(node, any) {
    const v = node.nodeValue;
    const nv = rewrite(v, any);
    if (nv === v) return;
    node.nodeValue = nv;
    if (mode !== 'mask') return;
    masked.push([node, v]);
    const next = node.nextSibling;
    if (next && next.hasAttribute && next.hasAttribute(REVEAL)) return;
    const b = Object.assign(d.createElement('button'), { type: 'button', className: 'calltrack-reveal', textContent: C.label });
    b.setAttribute(REVEAL, '');
    node.parentNode.insertBefore(b, next);
  }

  function textNodes(root) {
    const out = [];
    const walker = d.createTreeWalker(root, 4);
    let n;
    while ((n = walker.nextNode())) {
      const p = n.parentNode;
      if (p && !SKIP.test(p.nodeName) && !p.isContentEditable) out.push(n);
    }
    return out;
  }

  // Rule 1: elements marked data-calltrack: a number in their text is rewritten, an empty one
  // is filled; a label such as "Call us" stays.
  function marked(el) {
    const tel = 'tel:+' + visit.num;
    if (mode === 'swap' && el.nodeName === 'A' && el.getAttribute('href') !== tel) el.setAttribute('href', tel);
    textNodes(el).forEach((n) => setText(n, true));
    if (mode === 'swap' && !el.textContent.trim() && !el.children.length) el.textContent = visit.disp;
  }

  // Rule 2: tel: links to one of the site's numbers (their text is rule 3's business).
  function telLink(a) {
    const href = a.getAttribute('href') || '';
    if (mode !== 'swap' || !/^tel:/i.test(href)) return;
    let plain = href;
    try {
      plain = decodeURIComponent(href);
    } catch (e) {
      // a malformed %-escape: compare the raw text
    }
    const next = rewrite(plain, false);
    if (next !== plain) a.setAttribute('href', next);
  }

  // Rule 3 is the text pass at the end; marked elements had theirs in rule 1.
  function scan(root) {
    const el = root.nodeType === 1 ? root : root.parentNode;
    if (mode === 'off' || !el || el.nodeType !== 1) return;
    const top = el.closest('[data-calltrack]');
    if (top) marked(top);
    each(el.querySelectorAll('[data-calltrack]'), marked);
    const link = el.closest('a[href]');
    if (link) telLink(link);
    each(el.querySelectorAll('a[href]'), telLink);
    if (RE) textNodes(el).forEach((n) => n.parentNode.closest('[data-calltrack]') || setText(n, false));
    if (observer) observer.takeRecords();
  }

  const guard = (fn) => (x) => {
    try {
      fn(x);
    } catch (e) {
      // the page keeps what it shows
    }
  };

  function watch() {
    if (!w.MutationObserver) return;
    // Runs before the browser paints, so a number a widget adds is never seen in its old form.
    // Our own changes come back as records and are dropped (takeRecords) or change nothing.
    observer = new MutationObserver(guard((records) => {
      records.forEach((r) => (r.type === 'childList' ? each(r.addedNodes, scan) : scan(r.target)));
      observer.takeRecords();
    }));
    observer.observe(d.documentElement, { childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ['href', 'data-calltrack'] });
  }
  // Rejects with the HTTP status, or 0 after TIMEOUT (the request is then aborted).
  const api = (path, body, get) => new Promise((ok, fail) => {
    const ctl = w.AbortController ? new AbortController() : null;
    const t = setTimeout(() => {
      if (ctl) ctl.abort();
      fail(0);
    }, TIMEOUT);
    const done = (fn) => (v) => {
      clearTimeout(t);
      fn(v);
    };
    // A text/plain body keeps the request "simple": no CORS preflight before the number.
    fetch(C.api + path, { method: get ? 'GET' : 'POST', body: get ? undefined : JSON.stringify(body || {}), signal: ctl ? ctl.signal : undefined, credentials: 'omit' })
      .then((r) => (r.ok ? (r.status === 204 ? null : r.json()) : Promise.reject(r.status)))
      .then(done(ok), done(fail));
  });

  const cookie = (name) => decodeURIComponent((d.cookie.match(new RegExp('(?:^|; )' + name + '=([^;]*)')) || ['', ''])[1]);

  function visitorId() {
    let id = cookie('_ct_vid');
    if (!/^[A-Za-z0-9._:-]{1,64}$/.test(id)) {
      id = [].map.call(w.crypto.getRandomValues(new Uint8Array(16)), (b) => (b + 256).toString(16).slice(1)).join('');
    }
    d.cookie = '_ct_vid=' + id + '; max-age=31536000; path=/; SameSite=Lax' + (location.protocol === 'https:' ? '; Secure' : '');
    return id;
  }

  function store(v) {
    try {
      if (v) sessionStorage.setItem(KEY, JSON.stringify(v));
      else sessionStorage.removeItem(KEY);
    } catch (e) {
      // storage disabled: each page asks the API, which still recognises the visitor
    }
  }

  function stored() {
    try {
      const v = JSON.parse(sessionStorage.getItem(KEY) || 'null');
      return v && v.until > Date.now() ? v : null;
    } catch (e) {
      return null;
    }
  }

  function show(res) {
    if (!res || !res.number) return;
    const num = res.number.replace(/^\+/, '');
    const same = visit && visit.num === num && mode === 'swap';
    if (visit && !same && site.indexOf(visit.num) < 0) C.site.push(visit.num);
    visit = { id: res.visitId || visit.id, num: num, disp: res.display, pool: res.pool === undefined ? visit.pool : res.pool, until: Date.parse(res.holdUntil) || Date.now() + PING };
    store(visit);
    // A ping confirming the number: nothing on the page changes.
    if (same) return;
    setSite(visit.pool);
    mode = 'swap';
    scan(d.documentElement);
  }

  // The GA4 session the page is in, from gtag's cookie for calltrack's measurement id (C.ga, set
  // only when analytics.ga4 is configured): GS1.1.<id>.<n>... or GS2.1.s<id>$o<n>$... Anything
  // else, or a cookie that cannot be read, is no session id; a ping must not fail over it.
  function gaSession() {
    try {
      return (C.ga && /^GS(?:1\.\d+\.|2\.\d+\.(?:[^$]*\$)*s)(\d{1,20})(?=[.$]|$)/.exec(cookie('_ga_' + C.ga)) || [])[1] || null;
    } catch (e) {
      return null;
    }
  }

  function visitBody() {
    const ga = cookie('_ga').split('.').slice(2).join('.');
    return { visitorId: visitorId(), url: location.href, referrer: d.referrer || null, gaClientId: ga || null, gaSessionId: gaSession(), ymClientId: cookie('_ym_uid') || null };
  }

  // Reading cookies can throw (sandboxed frames): as a rejected promise, like a failed request.
  const post = (path) => Promise.resolve(path).then(() => api(path, visitBody()));

  function pings() {
    clearInterval(timer);
    timer = visit && d.visibilityState !== 'hidden' ? setInterval(guard(ping), PING) : 0;
  }

  const begin = () => post('/v1/visits').then((res) => {
    show(res);
    pings();
  });

  function ping() {
    if (!visit) return;
    lastPing = Date.now();
    // The GA session goes with every ping (a GA session can end and another begin during a long
    // visit); the server writes it only when it changed.
    api('/v1/visits/' + visit.id + '/ping', { url: location.href, gaSessionId: gaSession() }).then(guard(show), (status) => {
      // 404: the visit expired while the tab slept; start again (once: visit is cleared)
      if (status !== 404 || !visit) return;
      visit = null;
      store(null);
      begin().catch(noop);
    });
  }

  function reveal(e) {
    const t = mode === 'mask' && e.target.closest && e.target.closest('[' + REVEAL + '],[data-calltrack],a[href]');
    const href = t && t.getAttribute('href');
    if (!t || !(t.hasAttribute(REVEAL) || t.hasAttribute('data-calltrack') || (/^tel:/i.test(href) && rewrite(href, false) !== href))) return;
    // Only this click takes a number; until it answers the page shows the site's own numbers.
    e.preventDefault();
    mode = 'off';
    const unmask = () => {
      masked.forEach((m) => (m[0].nodeValue = m[1]));
      masked = [];
      each(d.querySelectorAll('[' + REVEAL + ']'), (b) => b.parentNode.removeChild(b));
    };
    post('/v1/visits/reveal').then((res) => {
      unmask();
      show(res);
      pings();
    }, unmask).catch(noop);
  }

  function start() {
    watch();
    const v = stored();
    const q = (s) => encodeURIComponent(s);
    if (v) {
      // The same visit on its next page: show its number now, then confirm it with a ping.
      show({ visitId: v.id, number: '+' + v.num, display: v.disp, pool: v.pool, holdUntil: new Date(v.until).toISOString() });
      ping();
      pings();
    } else if (C.reveal) {
      api('/v1/visits/preview?url=' + q(location.href) + '&referrer=' + q(d.referrer) + '&visitorId=' + q(visitorId()), null, true).then((p) => {
        if (!p.reveal) return begin();
        setSite(p.pool);
        mode = 'mask';
        scan(d.documentElement);
        d.addEventListener('click', guard(reveal), true);
      }).catch(noop);
    } else {
      begin().catch(noop);
    }
    d.addEventListener('visibilitychange', guard(() => {
      if (d.visibilityState === 'visible' && visit && Date.now() - lastPing >= PING) ping();
      pings();
    }));
    w.addEventListener('pagehide', guard(() => visit && navigator.sendBeacon && navigator.sendBeacon(C.api + '/v1/visits/' + visit.id + '/release')));
    w.addEventListener('pageshow', guard((e) => e.persisted && visit && ping()));
  }

  // Pasted twice (a theme and a tag manager): the first copy does the work.
  if (w.calltrackLoaded) return;
  w.calltrackLoaded = 1;
  guard(start)();
})(__CALLTRACK_CONFIG__);
