// Entry point: sign-in, the hash router and the live board.
import { ApiError, checkToken, session } from './api.js';
import { renderCallPage } from './call-page.js';
import { renderCalls } from './calls.js';
import { h, replace, setTimeZone } from './dom.js';
import { LiveBoard } from './live.js';
import { renderPools } from './pools.js';
import { renderSources } from './sources.js';

const $ = (id) => document.getElementById(id);
const live = new LiveBoard($('live-list'), $('live-count'), $('live-empty'), $('live-announce'));
let settings = null;
let renderToken = 0;

/** `#/calls/abc?from=2026-11-01` → { parts: ['calls', 'abc'], query: URLSearchParams } */
function parseHash() {
  const [path, search = ''] = location.hash.replace(/^#\/?/, '').split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(search) };
}

async function route() {
  if (!settings) return;
  const { parts, query } = parseHash();
  const section = parts[0] ?? 'calls';
  for (const link of document.querySelectorAll('nav a')) {
    if (link.dataset.section === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const main = $('main');
  const mine = ++renderToken;
  // A slow answer for a page the user already left must not overwrite the new one.
  const view = h('div', { class: 'view' });
  replace(main, h('p', { class: 'muted', role: 'status' }, 'Loading…'));
  try {
    if (section === 'calls' && parts[1]) await renderCallPage(view, parts[1]);
    else if (section === 'calls') await renderCalls(view, query, live);
    else if (section === 'sources') await renderSources(view, query);
    else if (section === 'pools') await renderPools(view);
    else view.append(h('p', {}, 'No such page. ', h('a', { href: '#/calls' }, 'Go to calls.')));
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    view.replaceChildren(h('p', { class: 'error', role: 'alert' }, `Could not load this page: ${err.message}`));
  }
  if (mine !== renderToken) return;
  replace(main, view);
  view.dataset.mounted = 'yes';
}

function showLogin(message = '') {
  settings = null;
  live.stop();
  $('shell').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
  $('token').value = '';
  $('token').focus();
}

function showApp(s) {
  settings = s;
  setTimeZone(s.timeZone);
  $('login').hidden = true;
  $('shell').hidden = false;
  live.start();
  void route();
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const token = $('token').value.trim();
  const error = $('login-error');
  if (!token) {
    error.textContent = 'Enter the admin token.';
    return;
  }
  error.textContent = '';
  const button = event.target.querySelector('button');
  button.disabled = true;
  try {
    const s = await checkToken(token);
    session.signIn(token);
    showApp(s);
  } catch (err) {
    error.textContent = err instanceof ApiError ? err.message : `Could not reach the server: ${err.message}`;
  } finally {
    button.disabled = false;
  }
});

$('logout').addEventListener('click', () => {
  session.signOut();
  showLogin('Signed out.');
});

session.onSignedOut((message) => showLogin(message));
window.addEventListener('hashchange', () => void route());

async function boot() {
  const token = session.token;
  if (!token) return showLogin();
  try {
    showApp(await checkToken(token));
  } catch (err) {
    session.signOut();
    showLogin(err.message);
  }
}

void boot();
