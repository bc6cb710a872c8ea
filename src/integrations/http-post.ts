import { errorMessage } from '../errors.js';

export interface PostResult {
  ok: boolean;
  /** HTTP status, or null when no response came (refused, timeout, DNS). */
  status: number | null;
  /** Why it failed, in words for `webhooks status` and the log. */
  error: string | null;
  /**
   * The receiver refused the request itself (a bad id, a revoked token): sending it again cannot
   * succeed, so the dispatcher gives up at once instead of retrying for 24 hours. Only senders
   * that know their receiver's answers set it (metrica.ts); a webhook's 4xx is retried.
   */
  permanent?: boolean;
  /**
   * No request was made: the entry can no longer be delivered usefully (a GA4 hit past the time
   * GA4 takes it, ga4.ts). It fails like a permanent refusal, but says nothing about the receiver.
   */
  notSent?: boolean;
  /** The response body (a receipt, or the receiver's reason), when a response came. */
  body?: string;
}

/** A JSON POST with a deadline (webhooks, GA4). */
export function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<PostResult> {
  return post(url, body, { 'content-type': 'application/json', ...headers }, timeoutMs);
}

/**
 * One POST with a deadline. Only a 2xx counts as delivered; redirects are not followed (a
 * signed body should not wander to another host) and count as a failure naming the new place.
 * A FormData body is sent as multipart/form-data, fetch writing the boundary into content-type.
 */
export async function post(url: string, body: string | FormData, headers: Record<string, string>, timeoutMs: number): Promise<PostResult> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', body, headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const cause = err instanceof Error && err.cause ? `: ${errorMessage(err.cause)}` : '';
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    return { ok: false, status: null, error: timedOut ? `no answer within ${timeoutMs / 1000} s` : `${errorMessage(err)}${cause}` };
  }
  const text = await response.text().catch(() => '');
  if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status, error: null, body: text };
  if (response.status >= 300 && response.status < 400) {
    return { ok: false, status: response.status, error: `redirected to ${response.headers.get('location') ?? '?'}: configure the final URL` };
  }
  const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return { ok: false, status: response.status, error: `HTTP ${response.status}${snippet ? `: ${snippet}` : ''}`, body: text };
}
