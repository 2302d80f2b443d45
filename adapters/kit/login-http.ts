import { LoginRefused } from '../../src/platform/login.ts';

/** How long one sign-in call to a platform may take, in ms. */
export const LOGIN_HTTP_TIMEOUT_MS = 10_000;

/**
 * One JSON call of a platform sign-in exchange (adapters/<platform>/login.ts) over `fetch`, with a
 * {@link LOGIN_HTTP_TIMEOUT_MS} timeout. Answers with any HTTP status are returned (the platforms put
 * their error codes in 4xx bodies); `where` names the call in the refusal detail.
 * @returns the HTTP status and the parsed body
 * @throws LoginRefused('unreachable') on a network error, a timeout or a body that is not a JSON object
 */
export async function loginJson(where: string, url: string, init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: unknown } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method ?? 'GET',
      headers: { accept: 'application/json', ...(init.body !== undefined ? { 'content-type': 'application/json; charset=utf-8' } : {}), ...init.headers },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      signal: AbortSignal.timeout(LOGIN_HTTP_TIMEOUT_MS),
      redirect: 'error',
    });
  } catch (err) {
    throw new LoginRefused('unreachable', `${where}: ${(err as Error).name === 'TimeoutError' ? 'timeout' : 'network error'}`);
  }
  const text = await res.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new LoginRefused('unreachable', `${where}: HTTP ${res.status}, not JSON`);
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new LoginRefused('unreachable', `${where}: HTTP ${res.status}, not a JSON object`);
  return { status: res.status, body: body as Record<string, unknown> };
}

/** A query parameter of the callback, or '' (values longer than 1024 characters count as absent). */
export function param(query: Record<string, string>, name: string): string {
  const v = query[name];
  return typeof v === 'string' && v.length <= 1024 ? v : '';
}
