// The admin API from the browser: every request carries the token as a Bearer header.
// The token lives in sessionStorage (this tab only); without it no request is made.

const KEY = 'calltrack.adminToken';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

let onSignedOut = () => {};

export const session = {
  get token() {
    return sessionStorage.getItem(KEY);
  },
  signIn(token) {
    sessionStorage.setItem(KEY, token);
  },
  signOut() {
    sessionStorage.removeItem(KEY);
  },
  /** Called when the server refuses the stored token (changed or revoked on the server). */
  onSignedOut(fn) {
    onSignedOut = fn;
  },
};

export function withQuery(path, query = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, value);
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function request(path, { method = 'GET', body, query } = {}) {
  const token = session.token;
  if (!token) throw new ApiError(401, 'Sign in first.');
  const headers = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(withQuery(path, query), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
    credentials: 'omit',
  });
  if (res.ok) return res;
  const detail = await res.json().catch(() => null);
  const message = detail?.error?.message ?? `${res.status} ${res.statusText}`;
  if (res.status === 401) {
    session.signOut();
    onSignedOut('The server refused the admin token (it may have been changed). Sign in again.');
  }
  throw new ApiError(res.status, message);
}

export async function api(path, options) {
  const res = await request(path, options);
  return res.status === 204 ? null : res.json();
}

/**
 * A file download with the token: fetched, then handed to the browser as a blob link
 * (a plain link could not carry the Authorization header).
 */
export async function download(path, query) {
  const res = await request(path, { query });
  const disposition = res.headers.get('content-disposition') ?? '';
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? 'calls.csv';
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}

/** Checks a token before keeping it: the settings endpoint answers only to the right one. */
export async function checkToken(token) {
  const res = await fetch('/v1/dashboard/settings', {
    headers: { authorization: `Bearer ${token}` },
    cache: 'no-store',
    credentials: 'omit',
  });
  const body = await res.json().catch(() => null);
  if (res.ok) return body;
  if (res.status === 401) throw new ApiError(401, 'Wrong admin token: the server refused it. Check http.adminToken in its configuration.');
  throw new ApiError(res.status, body?.error?.message ?? `The server answered ${res.status} ${res.statusText}.`);
}
