import { errorMessage } from '../errors.js';

export interface PostResult {
  ok: boolean;
  /** HTTP status, or null when no response came (refused, timeout, DNS). */
  status: number | null;
  /** Why it failed, in words for `webhooks status` and the log. */
  error: string | null;
}

/**
 * One POST with a deadline. Only a 2xx counts as delivered; redirects are not followed (a
 * signed body should not wander to another host) and count as a failure naming the new place.
 */
export async function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<PostResult> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const cause = err instanceof Error && err.cause ? `: ${errorMessage(err.cause)}` : '';
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    return { ok: false, status: null, error: timedOut ? `no answer within ${timeoutMs / 1000} s` : `${errorMessage(err)}${cause}` };
  }
  const text = await response.text().catch(() => '');
  if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status, error: null };
  if (response.status >= 300 && response.status < 400) {
    return { ok: false, status: response.status, error: `redirected to ${response.headers.get('location') ?? '?'}: configure the final URL` };
  }
  const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return { ok: false, status: response.status, error: `HTTP ${response.status}${snippet ? `: ${snippet}` : ''}` };
}
