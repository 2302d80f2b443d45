import http from 'node:http';
import https from 'node:https';
import { BotError } from '../../src/errors.ts';

/**
 * A small JSON-over-HTTP(S) client on `node:http` / `node:https` with one keep-alive Agent per
 * scheme, for hot outbound calls (the DingTalk sessionWebhook reply). It costs markedly less CPU per
 * call than the global `fetch` (undici through WHATWG streams): no stream adapters, no Headers /
 * Response objects, and TLS connections and sessions reused.
 */

/** Most sockets per origin (host:port) and scheme; further requests wait in the Agent's queue. */
export const HTTP_CLIENT_MAX_SOCKETS = 32;

/**
 * How long an idle kept-alive socket stays in the pool, in ms (undici's default keep-alive timeout,
 * so the same as the `fetch` this replaces). A server that announces a shorter `Keep-Alive:
 * timeout=N` is honoured by Node's Agent (closed 1 s before N).
 */
export const HTTP_CLIENT_IDLE_SOCKET_MS = 4_000;

/** Default cap on a response body, in bytes (1 MiB). */
export const HTTP_CLIENT_MAX_RESPONSE_BYTES = 1024 * 1024;

const agentOptions = {
  keepAlive: true,
  maxSockets: HTTP_CLIENT_MAX_SOCKETS,
  maxFreeSockets: HTTP_CLIENT_MAX_SOCKETS,
  timeout: HTTP_CLIENT_IDLE_SOCKET_MS,
  // The most recently used socket first: it is the least likely to have been closed by the server.
  scheduling: 'lifo' as const,
};

/** The keep-alive Agent for plain-HTTP URLs (local fakes, an egress proxy on loopback). */
export const httpAgent = new http.Agent(agentOptions);

/** The keep-alive Agent for HTTPS URLs (also keeps up to 100 TLS sessions for resumption, Node's default). */
export const httpsAgent = new https.Agent(agentOptions);

/** Options of {@link postJson}. */
export interface PostJsonOptions {
  /** Whole-request timeout in ms: from the call (including a wait for a free socket) to the last body byte. */
  timeoutMs: number;
  /** Largest response body read, in bytes; default {@link HTTP_CLIENT_MAX_RESPONSE_BYTES}. */
  maxResponseBytes?: number;
  /** Extra request headers (content-type and content-length are set by the client). */
  headers?: Record<string, string>;
  /** Extra trusted CA certificates (PEM) for an https URL, e.g. a test server's self-signed one. */
  ca?: string | Buffer;
}

/** Why a response body gave no JSON: not read to the end (reset or timeout), over the cap, or not JSON. */
export type BodyProblem = 'unreadable' | 'timeout' | 'too_large' | 'not_json';

/** An HTTP answer (any status; redirects are not followed: a 3xx comes back like any other status). */
export interface JsonAnswer {
  /** HTTP status code. */
  status: number;
  /** The parsed body; null when `bodyProblem` is set. */
  json: unknown;
  /** Set when the body could not be turned into JSON; null otherwise. */
  bodyProblem: BodyProblem | null;
}

/**
 * No HTTP answer at all (code HTTP_TIMEOUT: no response head within the timeout; HTTP_NETWORK:
 * refused, reset, DNS or TLS failure before a response head; HTTP_BAD_URL: not an http(s) URL).
 * `reason` is short and safe to log: 'TimeoutError', the socket error's code (e.g. 'ECONNREFUSED'),
 * or 'bad URL'. The URL is not in the message (a sessionWebhook URL is a credential).
 */
export class HttpClientError extends BotError {
  constructor(
    code: 'HTTP_TIMEOUT' | 'HTTP_NETWORK' | 'HTTP_BAD_URL',
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    super(code, `HTTP request failed: ${reason}`, { status: 502, cause: options.cause });
    this.name = 'HttpClientError';
  }
}

/**
 * POSTs `payload` as JSON (`content-type: application/json; charset=utf-8`, with content-length)
 * to `url` through the keep-alive Agent of its scheme ({@link httpAgent} / {@link httpsAgent}) and
 * reads the answer as JSON (UTF-8, a leading BOM allowed), at most `maxResponseBytes` bytes. A body
 * over the cap, or one cut by the timeout, destroys the socket (it is not returned to the pool).
 * @param url absolute http: or https: URL
 * @param payload any JSON-serialisable value
 * @returns the status and the parsed body (null with a {@link BodyProblem} when unusable)
 * @throws HttpClientError when no response head arrived (timeout, network) or the URL is not http(s)
 */
export function postJson(url: string, payload: unknown, options: PostJsonOptions): Promise<JsonAnswer> {
  let target: URL;
  try {
    target = new URL(url);
  } catch (err) {
    return Promise.reject(new HttpClientError('HTTP_BAD_URL', 'bad URL', { cause: err }));
  }
  const isHttps = target.protocol === 'https:';
  if (!isHttps && target.protocol !== 'http:') return Promise.reject(new HttpClientError('HTTP_BAD_URL', 'bad URL'));
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  const maxBytes = options.maxResponseBytes ?? HTTP_CLIENT_MAX_RESPONSE_BYTES;

  return new Promise<JsonAnswer>((resolve, reject) => {
    let settled = false;
    let res: http.IncomingMessage | null = null;
    const requestOptions: https.RequestOptions = {
      method: 'POST',
      agent: isHttps ? httpsAgent : httpAgent,
      headers: {
        ...options.headers,
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(body.length),
      },
    };
    if (options.ca !== undefined) requestOptions.ca = options.ca;
    const req = (isHttps ? https : http).request(target, requestOptions);

    const answer = (status: number, json: unknown, bodyProblem: BodyProblem | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ status, json, bodyProblem });
    };
    const fail = (err: HttpClientError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(err);
    };

    const timer = setTimeout(() => {
      if (res) {
        answer(res.statusCode ?? 0, null, 'timeout');
        res.destroy();
      } else {
        fail(new HttpClientError('HTTP_TIMEOUT', 'TimeoutError'));
        req.destroy();
      }
    }, options.timeoutMs);

    req.on('error', (err: NodeJS.ErrnoException) => {
      if (res) answer(res.statusCode ?? 0, null, 'unreadable');
      else fail(new HttpClientError('HTTP_NETWORK', err.code ?? err.name, { cause: err }));
    });

    req.on('response', (r) => {
      res = r;
      const status = r.statusCode ?? 0;
      const declared = Number(r.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        answer(status, null, 'too_large');
        r.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      r.on('data', (chunk: Buffer) => {
        if (settled) return;
        size += chunk.length;
        if (size > maxBytes) {
          answer(status, null, 'too_large');
          r.destroy();
          return;
        }
        chunks.push(chunk);
      });
      r.on('end', () => {
        let text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)).toString('utf8');
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          answer(status, null, 'not_json');
          return;
        }
        answer(status, json, null);
      });
      r.on('error', () => answer(status, null, 'unreadable'));
      r.on('close', () => answer(status, null, 'unreadable')); // closed before 'end' (no-op after it)
    });

    req.end(body);
  });
}
