/*
 * calltrack website snippet: shows each visit its own tracking number.
 * Plain ES2017 without dependencies (Chromium, Firefox, Safari). Served by GET /snippet.js with
 * the site's configuration in place of __CALLTRACK_CONFIG__; comments and indentation are
 * stripped when served, so every comment stays on a line of its own.
 * Whatever fails (network, storage, an odd page), the page keeps its own numbers and the
 * console stays clean: every entry point is wrapped, every promise ends in a handler.
 */
(function (C) {
  'use strict';
  var d = document;
  var w = window;
  var me = d.currentScript;
  var opt = function (name, dflt) {
    var v = me && Number(me.getAttribute('data-' + name));
    return v > 0 ? v : dflt;
  };
  // data-ping (seconds) and data-timeout (ms) exist for tests and unusual sites.
  var PING = opt('ping', 60) * 1000;
  var TIMEOUT = opt('timeout', 2000);
  var KEY = 'calltrack';
  var SEP = '[\\s\\u00a0().\\-\\u2010-\\u2015]*';
  var ANY = /\+?\d[\d\s\u00a0().\-\u2010-\u2015]{5,}\d/g;
  var SKIP = /^(SCRIPT|STYLE|TEXTAREA|NOSCRIPT|TEMPLATE|OPTION)$/;
  var noop = function () {};
  var digitsOf = function (s) {
    return s.replace(/\D/g, '');
  };
  var ccOf = function (n) {
    return C.cc.filter(function (c) { return n.indexOf(c) === 0; })[0] || '';
  };
  var natOf = function (n) {
    return n.slice(ccOf(n).length);
  };

  // visit: {id, num (E.164 digits), disp, pool, until (epoch ms)}
  var visit = null;
  // off: leave the page alone; swap: show visit.num; mask: hide the site's numbers until a click
  var mode = 'off';
  // The numbers to replace: the site's own, plus numbers this page showed earlier.
  var site = [];
  var RE = null;
  var masked = [];
  var timer = 0;
  var lastPing = 0;
  var observer = null;

  function setSite(pool) {
    var p = (pool && C.pools[pool]) || { site: [] };
    site = C.site.concat(p.site);
    RE = site.length ? new RegExp('(^|[^\\d+])((?:(?:\\+|00)?(?:' + C.cc.join('|') + ')|8|0)?' + SEP + '(?:' + site.map(function (o) {
      return natOf(o).split('').join(SEP);
    }).join('|') + '))(?!\\d)', 'g') : null;
  }

  function originalOf(text) {
    var ds = digitsOf(text);
    return site.filter(function (n) { return ds.slice(-natOf(n).length) === natOf(n); })[0] || '';
  }

  // The new number written the way the page wrote the old one: same prefix, brackets, spaces,
  // dashes. `from` is the country code of the number replaced ('' when unknown).
  function restyle(text, from, natLen) {
    var cc = ccOf(visit.num);
    var nat = visit.num.slice(cc.length);
    var skip = digitsOf(text).length - natLen;
    if (natLen !== nat.length || skip < 0 || (from && from !== cc)) {
      return /^\s*(\+|00)/.test(text) ? '+' + cc + ' ' + nat : visit.disp || '+' + visit.num;
    }
    var i = 0;
    return text.replace(/\d/g, function (c) {
      return i++ < skip ? c : nat.charAt(i - 1 - skip);
    });
  }

  function restyleAny(text) {
    var natLen = natOf(visit.num).length;
    var prefix = digitsOf(text).slice(0, -natLen).replace(/^00/, '');
    return restyle(text, /^[80]?$/.test(prefix) ? '' : prefix, natLen);
  }

  function maskText(text) {
    var n = digitsOf(text).length;
    var i = 0;
    return text.replace(/\d/g, function (c) {
      return ++i > n - 3 ? '\u2022' : c;
    });
  }

  function rewrite(text, any) {
    if (mode === 'mask') {
      return any ? text.replace(ANY, maskText) : RE ? text.replace(RE, function (all, pre, m) { return pre + maskText(m); }) : text;
    }
    if (any) return text.replace(ANY, restyleAny);
    return RE ? text.replace(RE, function (all, pre, m) {
      var o = originalOf(m);
      return pre + restyle(m, ccOf(o), natOf(o).length);
    }) : text;
  }

  function setText(node, any) {
    var v = node.nodeValue;
    var nv = rewrite(v, any);
    if (nv === v) return false;
    node.nodeValue = nv;
    if (mode === 'mask') {
      masked.push([node, v]);
      var next = node.nextSibling;
      if (!(next && next.hasAttribute && next.hasAttribute('data-calltrack-reveal'))) {
        var b = d.createElement('button');
        b.type = 'button';
        b.className = 'calltrack-reveal';
        b.setAttribute('data-calltrack-reveal', '');
        b.textContent = C.label;
        node.parentNode.insertBefore(b, next);
      }
    }
    return true;
  }

  function textNodes(root) {
    var out = [];
    var walker = d.createTreeWalker(root, 4);
    var n;
    while ((n = walker.nextNode())) {
      var p = n.parentNode;
      if (p && !SKIP.test(p.nodeName) && !p.isContentEditable) out.push(n);
    }
    return out;
  }

  // Rule 1: elements marked data-calltrack: a number in their text is rewritten, an empty one
  // is filled; a label such as "Call us" stays.
  function marked(el) {
    if (mode === 'swap' && el.nodeName === 'A' && el.getAttribute('href') !== 'tel:+' + visit.num) {
      el.setAttribute('href', 'tel:+' + visit.num);
    }
    textNodes(el).forEach(function (n) {
      setText(n, true);
    });
    if (mode === 'swap' && !el.textContent.trim() && !el.children.length) el.textContent = visit.disp;
  }

  // Rule 2: tel: links to one of the site's numbers (their text is rule 3's business).
  function telLink(a) {
    var href = a.getAttribute('href') || '';
    if (mode !== 'swap' || !RE || !/^tel:/i.test(href)) return;
    var plain = href;
    try {
      plain = decodeURIComponent(href);
    } catch (e) {
      // a malformed %-escape: compare the raw text
    }
    var next = rewrite(plain, false);
    if (next !== plain) a.setAttribute('href', next);
  }

  function scan(root) {
    if (mode === 'off') return;
    var el = root.nodeType === 1 ? root : root.parentNode;
    if (!el || el.nodeType !== 1) return;
    var top = el.closest('[data-calltrack]');
    var marks = [].slice.call(el.querySelectorAll('[data-calltrack]'));
    if (top) marks.push(top);
    marks.forEach(marked);
    var link = el.closest('a[href]');
    if (link) telLink(link);
    [].forEach.call(el.querySelectorAll('a[href]'), telLink);
    if (RE) {
      textNodes(el).forEach(function (n) {
        if (!n.parentNode.closest('[data-calltrack]')) setText(n, false);
      });
    }
    if (observer) observer.takeRecords();
  }

  function guard(fn) {
    return function (x) {
      try {
        fn(x);
      } catch (e) {
        // never let a page see an error from here; the page keeps what it shows
      }
    };
  }

  function watch() {
    if (!w.MutationObserver) return;
    // Runs before the browser paints, so a number a widget adds is never seen in its old form.
    // Our own changes come back as records and are dropped (takeRecords) or change nothing.
    observer = new MutationObserver(guard(function (records) {
      records.forEach(function (r) {
        if (r.type === 'childList') [].forEach.call(r.addedNodes, scan);
        else scan(r.target);
      });
      observer.takeRecords();
    }));
    observer.observe(d.documentElement, { childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ['href', 'data-calltrack'] });
  }

  function api(path, body, get) {
    return new Promise(function (ok, fail) {
      var ctl = w.AbortController ? new AbortController() : null;
      var t = setTimeout(function () {
        if (ctl) ctl.abort();
        fail(0);
      }, TIMEOUT);
      // A text/plain body keeps the request "simple": no CORS preflight before the number.
      fetch(C.api + path, { method: get ? 'GET' : 'POST', body: get ? undefined : JSON.stringify(body || {}), signal: ctl ? ctl.signal : undefined, credentials: 'omit' })
        .then(function (r) {
          return r.ok ? (r.status === 204 ? null : r.json()) : Promise.reject(r.status);
        })
        .then(function (v) {
          clearTimeout(t);
          ok(v);
        }, function (e) {
          clearTimeout(t);
          fail(e);
        });
    });
  }

  function cookie(name) {
    var m = d.cookie.match(new RegExp('(?:^|; )' + name + '=([^;]*)'));
    return m ? decodeURIComponent(m[1]) : '';
  }

  function visitorId() {
    var id = cookie('_ct_vid');
    if (!/^[A-Za-z0-9._:-]{1,64}$/.test(id)) {
      var bytes = w.crypto.getRandomValues(new Uint8Array(16));
      id = [].map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join('');
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
      var v = JSON.parse(sessionStorage.getItem(KEY) || 'null');
      return v && v.until > Date.now() ? v : null;
    } catch (e) {
      return null;
    }
  }

  function show(res) {
    if (!res || !res.number) return;
    var num = res.number.replace(/^\+/, '');
    var same = visit && visit.num === num && mode === 'swap';
    if (visit && !same && site.indexOf(visit.num) < 0) C.site.push(visit.num);
    visit = { id: res.visitId || visit.id, num: num, disp: res.display, pool: res.pool === undefined ? visit.pool : res.pool, until: Date.parse(res.holdUntil) || Date.now() + PING };
    store(visit);
    // A ping confirming the number: nothing on the page changes.
    if (same) return;
    setSite(visit.pool);
    mode = 'swap';
    scan(d.documentElement);
  }

  function visitBody() {
    var ga = cookie('_ga').split('.').slice(2).join('.');
    return { visitorId: visitorId(), url: location.href, referrer: d.referrer || null, gaClientId: ga || null, ymClientId: cookie('_ym_uid') || null };
  }

  // Reading cookies can throw (sandboxed frames): as a rejected promise, like a failed request.
  function post(path) {
    return Promise.resolve(path).then(function () {
      return api(path, visitBody());
    });
  }

  function begin(path) {
    return post(path).then(function (res) {
      show(res);
      pings();
    });
  }

  function ping() {
    if (!visit) return;
    lastPing = Date.now();
    api('/v1/visits/' + visit.id + '/ping', { url: location.href }).then(guard(show), function (status) {
      // 404: the visit expired while the tab slept; start again (once: visit is cleared)
      if (status === 404 && visit) {
        visit = null;
        store(null);
        begin('/v1/visits').catch(noop);
      }
    });
  }

  function pings() {
    clearInterval(timer);
    timer = 0;
    if (visit && d.visibilityState !== 'hidden') timer = setInterval(guard(ping), PING);
  }

  function reveal(e) {
    if (mode !== 'mask') return;
    var t = e.target.closest && e.target.closest('[data-calltrack-reveal],[data-calltrack],a[href]');
    var href = t && t.getAttribute('href');
    if (!t || !(t.hasAttribute('data-calltrack-reveal') || t.hasAttribute('data-calltrack') || (/^tel:/i.test(href) && rewrite(href, false) !== href))) return;
    // Only this click takes a number; until it answers the page shows the site's own numbers.
    e.preventDefault();
    mode = 'off';
    var unmask = function () {
      masked.forEach(function (m) { m[0].nodeValue = m[1]; });
      masked = [];
      [].forEach.call(d.querySelectorAll('[data-calltrack-reveal]'), function (b) { b.parentNode.removeChild(b); });
    };
    post('/v1/visits/reveal').then(function (res) {
      unmask();
      show(res);
      pings();
    }, unmask).catch(noop);
  }

  function start() {
    watch();
    var v = stored();
    if (v) {
      // The same visit on its next page: show its number now, then confirm it with a ping.
      show({ visitId: v.id, number: '+' + v.num, display: v.disp, pool: v.pool, holdUntil: new Date(v.until).toISOString() });
      ping();
      pings();
    } else if (C.reveal) {
      api('/v1/visits/preview?url=' + encodeURIComponent(location.href) + '&referrer=' + encodeURIComponent(d.referrer), null, true).then(function (p) {
        if (!p.reveal) return begin('/v1/visits');
        setSite(p.pool);
        mode = 'mask';
        scan(d.documentElement);
        d.addEventListener('click', guard(reveal), true);
      }).catch(noop);
    } else {
      begin('/v1/visits').catch(noop);
    }
    d.addEventListener('visibilitychange', guard(function () {
      if (d.visibilityState === 'visible' && visit && Date.now() - lastPing >= PING) ping();
      pings();
    }));
    w.addEventListener('pagehide', guard(function () {
      if (visit && navigator.sendBeacon) navigator.sendBeacon(C.api + '/v1/visits/' + visit.id + '/release');
    }));
    w.addEventListener('pageshow', guard(function (e) {
      if (e.persisted && visit) ping();
    }));
  }

  // Pasted twice (a theme and a tag manager): the first copy does the work.
  if (w.calltrackLoaded) return;
  w.calltrackLoaded = 1;
  guard(start)();
})(__CALLTRACK_CONFIG__);
