import { pool } from './tracking-app.js';

/**
 * Records the page's uncaught errors and rejections in `window.pageErrors`, in every engine (only
 * Chromium's and Firefox's drivers report the console; WebKit's WebDriver does not).
 */
const ERROR_RECORDER =
  '<script>window.pageErrors=[];addEventListener("error",function(e){pageErrors.push("error: "+e.message)});' +
  'addEventListener("unhandledrejection",function(e){pageErrors.push("unhandled rejection: "+e.reason)})</script>';

/** HTML for the test sites: a page with the snippet's install line and the given body. */
export function sitePage(scriptSrc: string, body: string, scriptAttrs = 'data-ping="1"'): string {
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme fridges</title>',
    '<style>body{font:18px/1.5 sans-serif;margin:24px;color:#222} .calltrack-reveal{margin-left:8px}</style>',
    ERROR_RECORDER,
    `<script async src="${scriptSrc}" ${scriptAttrs}></script>`,
    `</head><body>${body}</body></html>`,
  ].join('\n');
}

/**
 * A Russian shop's page: its own number in several spellings, a number that is not the site's
 * (must stay), a US number that belongs to another pool (must stay), and a widget that adds
 * the number two seconds after load (and rewrites a text in place), recording what the next
 * frame would paint.
 */
export const SHOP_BODY = `
<h1>Acme fridges</h1>
<p>Marked: <span id="marked" data-calltrack>+7 (495) 123-45-67</span></p>
<p>Marked, empty: <a id="marked-link" data-calltrack href="tel:+74951234567"></a></p>
<p><a id="tel" href="tel:+74951234567">Call us</a></p>
<p id="f1">+7 (495) 123-45-67</p>
<p id="f2">Sales: 8 495 123 45 67, every day</p>
<p id="f3">Toll free 8 (800) 555-35-35</p>
<p id="other">Service: +7 (495) 765-43-21</p>
<p id="us">New York office: +1 415-555-0100</p>
<div id="late"></div>
<p id="spa">Support: soon</p>
<p><a id="next" href="/second.html">Delivery terms</a></p>
<script>
setTimeout(function () {
  var el = document.getElementById('late');
  el.innerHTML = '<p>Chat widget: <a href="tel:84951234567">8 (495) 123-45-67</a></p>';
  // A single-page app re-rendering existing text in place.
  document.getElementById('spa').firstChild.data = 'Support: +7 495 123 45 67';
  requestAnimationFrame(function () {
    window.lateFirstFrame = el.textContent + ' | ' + document.getElementById('spa').textContent;
  });
}, 2000);
</script>`;

export const SECOND_BODY = `
<h1>Delivery terms</h1>
<p id="f1">Questions? +7 (495) 123-45-67</p>
<p><a id="tel" href="tel:+7-495-123-45-67">+7 495 123-45-67</a></p>`;

export const US_BODY = `
<h1>Acme US</h1>
<p id="u1">+1 415-555-0100</p>
<p id="u2">(415) 555 0100</p>
<p><a id="utel" href="tel:+14155550100">415.555.0100</a></p>`;

/**
 * The pools of the reveal and API-failure scenarios: pages under /hidden/ show numbers only on a
 * click ("show number"), every other page at once.
 */
export const REVEAL_AND_OPEN_POOLS = [
  pool('hidden', 1, 3, { fallbackNumber: '+74950009901', reveal: 'click', siteNumbers: ['+7 (495) 222-33-44'], match: { path: ['/hidden/*'] } }),
  pool('open', 11, 3, { fallbackNumber: '+74950009902', siteNumbers: ['+7 (495) 123-45-67'] }),
];
