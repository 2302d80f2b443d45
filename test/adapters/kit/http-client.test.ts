import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { HttpClientError, httpAgent, httpsAgent, HTTP_CLIENT_MAX_SOCKETS, postJson } from '../../../adapters/kit/http-client.ts';

// A self-signed certificate for 127.0.0.1 (EC P-256, valid 2020-01-01 … 2120-01-01), made for this test only.
const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg3bSJBZw7IBY1cFDI
IUdb1QZTy/silbFoPOAxiuUZh0yhRANCAATTCKJXHgRpUleW6F21Yvl9oHTAnEUx
f/qjZHGxC0Jq1BTVh5+Bue34yTulNxup9zKvKt2A4cq66okvu88ZDwHb
-----END PRIVATE KEY-----
`;
const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBXTCCAQKgAwIBAgIBATAKBggqhkjOPQQDAjAUMRIwEAYDVQQDDAkxMjcuMC4w
LjEwIBcNMjAwMTAxMDAwMDAwWhgPMjEyMDAxMDEwMDAwMDBaMBQxEjAQBgNVBAMM
CTEyNy4wLjAuMTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABNMIolceBGlSV5bo
XbVi+X2gdMCcRTF/+qNkcbELQmrUFNWHn4G57fjJO6U3G6n3Mq8q3YDhyrrqiS+7
zxkPAdujQzBBMA8GA1UdEQQIMAaHBH8AAAEwDwYDVR0TAQH/BAUwAwEB/zAdBgNV
HQ4EFgQUX03i59d47PjJRT7duUpiUZh+cUgwCgYIKoZIzj0EAwIDSQAwRgIhAItO
vmVBlcGzAtI6n/LOrc0uAmEBE7xWIbOKLhqnOgW5AiEA3BA8fojtyKR/4b9AB9Ug
iy/wL15sSHqRDskaUCjgF6s=
-----END CERTIFICATE-----
`;

/** What one request to the test server saw. */
interface Seen {
  path: string;
  remotePort: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Route = (req: http.IncomingMessage, res: http.ServerResponse) => void;

const routes: Record<string, Route> = {
  '/ok': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"errcode":0,"errmsg":"ok"}');
  },
  '/bom': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('\uFEFF{"errcode":0}');
  },
  '/html': (_req, res) => {
    res.writeHead(502, { 'content-type': 'text/html' });
    res.end('<html>bad gateway</html>');
  },
  '/redirect': (_req, res) => {
    res.writeHead(302, { location: '/ok' });
    res.end();
  },
  '/big-declared': (_req, res) => {
    const body = JSON.stringify({ errcode: 0, pad: 'x'.repeat(4096) });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  },
  '/big-chunked': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }); // no content-length: chunked
    res.write('{"errcode":0,"pad":"');
    for (let i = 0; i < 8; i++) res.write('x'.repeat(1024));
    res.end('"}');
  },
  '/hang': () => {
    /* never answers */
  },
  '/hang-body': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"errcode":'); // and never ends
  },
};

async function startServer(kind: 'http' | 'https'): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      seen.push({ path, remotePort: req.socket.remotePort ?? 0, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      (routes[path] ?? routes['/ok']!)(req, res);
    });
  };
  const server = kind === 'https' ? https.createServer({ key: TEST_KEY, cert: TEST_CERT }, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${kind}://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('postJson (keep-alive node:http/https client)', () => {
  let plain: Awaited<ReturnType<typeof startServer>>;
  let tls: Awaited<ReturnType<typeof startServer>>;
  before(async () => {
    plain = await startServer('http');
    tls = await startServer('https');
  });
  after(async () => {
    await plain.close();
    await tls.close();
  });

  it('one keep-alive Agent per scheme, bounded', () => {
    for (const agent of [httpAgent, httpsAgent]) {
      assert.equal((agent as unknown as { keepAlive: boolean }).keepAlive, true);
      assert.equal(agent.maxSockets, HTTP_CLIENT_MAX_SOCKETS);
    }
    assert.ok(httpsAgent instanceof https.Agent);
  });

  it('http: POSTs JSON with content-length, parses the answer, and reuses the connection for the next call', async () => {
    const from = plain.seen.length;
    const a = await postJson(`${plain.url}/ok?session=1`, { msgtype: 'text', text: { content: '你好' } }, { timeoutMs: 2000 });
    const b = await postJson(`${plain.url}/ok?session=2`, { n: 2 }, { timeoutMs: 2000 });
    assert.deepEqual(a, { status: 200, json: { errcode: 0, errmsg: 'ok' }, bodyProblem: null });
    assert.equal(b.status, 200);
    const [s1, s2] = plain.seen.slice(from);
    assert.equal(s1!.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(s1!.headers['content-length'], String(Buffer.byteLength(s1!.body)));
    assert.deepEqual(JSON.parse(s1!.body), { msgtype: 'text', text: { content: '你好' } });
    assert.equal(s2!.remotePort, s1!.remotePort, 'second call on the same kept-alive connection');
  });

  it('https: same, over one kept-alive TLS connection', async () => {
    const from = tls.seen.length;
    const a = await postJson(`${tls.url}/ok`, { n: 1 }, { timeoutMs: 2000, ca: TEST_CERT });
    const b = await postJson(`${tls.url}/ok`, { n: 2 }, { timeoutMs: 2000, ca: TEST_CERT });
    assert.deepEqual(a.json, { errcode: 0, errmsg: 'ok' });
    assert.deepEqual(b.json, { errcode: 0, errmsg: 'ok' });
    const [s1, s2] = tls.seen.slice(from);
    assert.equal(s2!.remotePort, s1!.remotePort);
  });

  it('https: an untrusted certificate is a network error (verification stays on)', async () => {
    await assert.rejects(postJson(`${tls.url}/ok`, {}, { timeoutMs: 2000 }), (err: unknown) => {
      assert.ok(err instanceof HttpClientError);
      assert.equal(err.code, 'HTTP_NETWORK');
      return true;
    });
  });

  it('a leading BOM is allowed; a non-JSON body gives bodyProblem not_json with the status; a redirect is not followed', async () => {
    assert.deepEqual(await postJson(`${plain.url}/bom`, {}, { timeoutMs: 2000 }), { status: 200, json: { errcode: 0 }, bodyProblem: null });
    assert.deepEqual(await postJson(`${plain.url}/html`, {}, { timeoutMs: 2000 }), { status: 502, json: null, bodyProblem: 'not_json' });
    const from = plain.seen.length;
    assert.deepEqual(await postJson(`${plain.url}/redirect`, {}, { timeoutMs: 2000 }), { status: 302, json: null, bodyProblem: 'not_json' });
    assert.deepEqual(plain.seen.slice(from).map((s) => s.path), ['/redirect']);
  });

  it('a body over the cap is not read (declared or chunked), and its connection is not reused', async () => {
    for (const path of ['/big-declared', '/big-chunked']) {
      const from = plain.seen.length;
      const r = await postJson(`${plain.url}${path}`, {}, { timeoutMs: 2000, maxResponseBytes: 1024 });
      assert.deepEqual(r, { status: 200, json: null, bodyProblem: 'too_large' }, path);
      const next = await postJson(`${plain.url}/ok`, {}, { timeoutMs: 2000 });
      assert.equal(next.status, 200);
      const [big, ok] = plain.seen.slice(from);
      assert.notEqual(ok!.remotePort, big!.remotePort, `${path}: the cut connection must be closed`);
    }
    // Under a large enough cap the same answers are read whole.
    const whole = await postJson(`${plain.url}/big-chunked`, {}, { timeoutMs: 2000, maxResponseBytes: 64 * 1024 });
    assert.equal((whole.json as { errcode: number }).errcode, 0);
  });

  it('timeout before the answer: HttpClientError HTTP_TIMEOUT, near timeoutMs', async () => {
    const started = Date.now();
    await assert.rejects(postJson(`${plain.url}/hang`, {}, { timeoutMs: 200 }), (err: unknown) => {
      assert.ok(err instanceof HttpClientError);
      assert.equal(err.code, 'HTTP_TIMEOUT');
      assert.equal(err.reason, 'TimeoutError');
      return true;
    });
    const took = Date.now() - started;
    assert.ok(took >= 190 && took < 10_000, `took ${took} ms (upper bound: a failure guard against hanging)`);
  });

  it('timeout during the body: the status with bodyProblem timeout', async () => {
    const started = Date.now();
    assert.deepEqual(await postJson(`${plain.url}/hang-body`, {}, { timeoutMs: 200 }), { status: 200, json: null, bodyProblem: 'timeout' });
    assert.ok(Date.now() - started < 10_000, 'does not hang (failure guard)');
  });

  it('connection refused and bad URLs reject with stable codes', async () => {
    const closed = await startServer('http');
    await closed.close();
    await assert.rejects(postJson(`${closed.url}/ok`, {}, { timeoutMs: 2000 }), (err: unknown) => {
      assert.ok(err instanceof HttpClientError);
      assert.equal(err.code, 'HTTP_NETWORK');
      assert.equal(err.reason, 'ECONNREFUSED');
      return true;
    });
    for (const url of ['not a url', 'ftp://127.0.0.1/x']) {
      await assert.rejects(postJson(url, {}, { timeoutMs: 2000 }), (err: unknown) => err instanceof HttpClientError && err.code === 'HTTP_BAD_URL');
    }
  });
});
