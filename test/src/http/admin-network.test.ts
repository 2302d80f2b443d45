/**
 * Defence in depth of the admin surface over real sockets: who may reach /admin is decided on the
 * socket's peer address (loopback by default, ADMIN_ALLOW_FROM otherwise), X-Forwarded-For only
 * from TRUSTED_PROXIES; ctx.ip follows the same rule; with ADMIN_PORT, /admin lives on its own
 * listener and the main port answers 404 there. Other clients are made by binding the client
 * socket to another local address: 127.0.0.2 / 127.0.0.3 (loopback, excluded by an allow-list that
 * names 127.0.0.1 only) and, when the machine has one, a non-loopback IPv4 address.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { startTestBot, type TestBot } from '../../helpers/app.ts';
import { rawRequest } from '../../helpers/admin-walk.ts';

const TOKEN = 'network-admin-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };

/** A non-loopback IPv4 address of this machine, or null. */
function otherIPv4(): string | null {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return null;
}

/** GET `path` on `url` from `from` (a local address the client socket binds to). */
async function get(url: string, path: string, from: string, headers: Record<string, string> = AUTH) {
  return rawRequest(new URL(url), 'GET', path, headers, undefined, { localAddress: from });
}

/** Adds GET /probe/ip answering ctx.ip (a test-only route on the live router). */
function addIpProbe(bot: TestBot): void {
  bot.server.router.get('/probe/ip', (ctx) => {
    ctx.body = ctx.ip;
  });
}

describe('admin surface: default allow-list is loopback, decided on the socket address', () => {
  let bot: TestBot;
  before(async () => {
    bot = await startTestBot({ ADMIN_TOKEN: TOKEN }, { host: '0.0.0.0', noticeWorker: false });
  });
  after(() => bot.close());

  it('loopback clients are answered', async () => {
    for (const from of ['127.0.0.1', '127.0.0.2']) assert.equal((await get(bot.url, '/admin/notices', from)).status, 200, from);
  });

  it('a client on a non-loopback address gets 403 with a short reason, even with the token and a forged X-Forwarded-For', async (t) => {
    const other = otherIPv4();
    if (other === null) return t.skip('this machine has no non-loopback IPv4 address');
    const url = bot.url.replace('127.0.0.1', other);
    const r = await get(url, '/admin/notices', other, { ...AUTH, 'x-forwarded-for': '127.0.0.1' });
    assert.equal(r.status, 403);
    assert.equal(r.code, 'ADMIN_NETWORK_FORBIDDEN');
    assert.match(r.text, /ADMIN_ALLOW_FROM/);
    assert.equal((await get(url, '/healthz', other, {})).status, 200, 'public routes stay public');
    t.diagnostic(`client bound to ${other}`);
  });
});

describe('admin surface: ADMIN_ALLOW_FROM and TRUSTED_PROXIES', () => {
  it('an allow-list that excludes 127.0.0.2 refuses it; a forged X-Forwarded-For from an untrusted peer changes nothing', async () => {
    const bot = await startTestBot({ ADMIN_TOKEN: TOKEN, ADMIN_ALLOW_FROM: '127.0.0.1/32', TRUSTED_PROXIES: '127.0.0.3/32' }, { noticeWorker: false });
    try {
      addIpProbe(bot);
      assert.equal((await get(bot.url, '/admin/notices', '127.0.0.1')).status, 200);
      const r = await get(bot.url, '/admin/notices', '127.0.0.2');
      assert.equal(r.status, 403);
      assert.equal(r.code, 'ADMIN_NETWORK_FORBIDDEN');
      assert.equal((await get(bot.url, '/admin/notices', '127.0.0.2', { ...AUTH, 'x-forwarded-for': '127.0.0.1' })).status, 403, 'spoofed X-Forwarded-For ignored');
      assert.equal((await get(bot.url, '/admin/notices', '127.0.0.2', { ...AUTH, 'x-real-ip': '127.0.0.1', forwarded: 'for=127.0.0.1' })).status, 403);
      // Refused before the token is even looked at: no token, same answer.
      assert.equal((await get(bot.url, '/admin/notices', '127.0.0.2', {})).status, 403);
      // ctx.ip (what per-address limits see) is the peer too.
      assert.equal((await get(bot.url, '/probe/ip', '127.0.0.2', { 'x-forwarded-for': '198.51.100.7' })).text, '127.0.0.2');
    } finally {
      await bot.close();
    }
  });

  it('a trusted proxy is believed: the client named in X-Forwarded-For (right to left past trusted hops) is checked', async () => {
    const bot = await startTestBot({ ADMIN_TOKEN: TOKEN, ADMIN_ALLOW_FROM: '10.9.0.0/16', TRUSTED_PROXIES: '127.0.0.3/32' }, { noticeWorker: false });
    try {
      addIpProbe(bot);
      const viaProxy = (xff?: string) => get(bot.url, '/admin/notices', '127.0.0.3', { ...AUTH, ...(xff !== undefined ? { 'x-forwarded-for': xff } : {}) });
      assert.equal((await viaProxy('10.9.1.2')).status, 200, 'allowed client behind the proxy');
      assert.equal((await viaProxy('203.0.113.9')).status, 403, 'other client behind the proxy');
      assert.equal((await viaProxy('10.9.1.2, 203.0.113.9')).status, 403, 'a spoofed left entry is not reached');
      assert.equal((await viaProxy('10.9.1.2, 127.0.0.3')).status, 200, 'a trusted hop is walked past');
      assert.equal((await viaProxy('10.9.1.2, not-an-ip')).status, 403, 'an unreadable hop: client unknown');
      assert.equal((await viaProxy()).status, 403, 'no header: the proxy itself is the client, not allowed');
      assert.equal((await get(bot.url, '/admin/notices', '127.0.0.2', { ...AUTH, 'x-forwarded-for': '10.9.1.2' })).status, 403, 'not from the trusted proxy');
      assert.equal((await get(bot.url, '/probe/ip', '127.0.0.3', { 'x-forwarded-for': '198.51.100.7, 10.9.1.2' })).text, '10.9.1.2');
      assert.equal((await get(bot.url, '/probe/ip', '127.0.0.3', {})).text, '127.0.0.3');
    } finally {
      await bot.close();
    }
  });

  it('IPv6 and IPv4-mapped peers on a dual-stack listener', async (t) => {
    const bot = await startTestBot({ ADMIN_TOKEN: TOKEN, ADMIN_ALLOW_FROM: '::1/128' }, { host: '::', noticeWorker: false });
    try {
      const v6 = bot.url.replace('127.0.0.1', '[::1]');
      const ok = await get(v6, '/admin/notices', '::1').catch(() => null);
      if (ok === null) return t.skip('no IPv6 loopback here');
      assert.equal(ok.status, 200, '::1 is in the list');
      // 127.0.0.1 arrives as ::ffff:127.0.0.1 on a dual-stack socket: not in ::1/128.
      assert.equal((await get(bot.url, '/admin/notices', '127.0.0.1')).status, 403);
    } finally {
      await bot.close();
    }
    const mapped = await startTestBot({ ADMIN_TOKEN: TOKEN, ADMIN_ALLOW_FROM: '127.0.0.1' }, { host: '::', noticeWorker: false });
    try {
      assert.equal((await get(mapped.url, '/admin/notices', '127.0.0.1')).status, 200, '::ffff:127.0.0.1 matches 127.0.0.1');
      assert.equal((await get(mapped.url, '/admin/notices', '127.0.0.2')).status, 403);
    } finally {
      await mapped.close();
    }
  });
});

describe('admin surface: ADMIN_PORT', () => {
  let bot: TestBot;
  before(async () => {
    bot = await startTestBot({ ADMIN_TOKEN: TOKEN, ADMIN_PORT: '0' }, { noticeWorker: false });
  });
  after(() => bot.close());

  it('serves /admin only on ADMIN_PORT; the main port answers 404 there, under every spelling', async () => {
    assert.ok(bot.server.adminUrl, 'admin listener started');
    assert.notEqual(bot.server.adminPort, bot.server.port);
    assert.equal((await get(bot.server.adminUrl!, '/admin/notices', '127.0.0.1')).status, 200);
    assert.equal((await get(bot.server.adminUrl!, '/admin/notices', '127.0.0.1', {})).status, 401);
    for (const path of ['/admin/notices', '/ADMIN/notices', '/x/../admin/notices', '/%61dmin/notices', '/console', '/console/x']) {
      const r = await get(bot.url, path, '127.0.0.1');
      assert.equal(r.status, 404, `main port ${path}`);
      assert.equal(r.code, 'ADMIN_NOT_HERE', path);
    }
  });

  it('the platform callbacks, /try, /healthz, /readyz and /metrics stay on PORT (404 on ADMIN_PORT)', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/try']) {
      assert.equal((await get(bot.url, path, '127.0.0.1', {})).status, 200, `main port ${path}`);
      assert.equal((await get(bot.server.adminUrl!, path, '127.0.0.1', {})).status, 404, `admin port ${path}`);
    }
    const ask = await fetch(`${bot.url}/try/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: 'hi', session: 'session-123' }) });
    assert.equal(ask.status, 200);
    const askAdmin = await fetch(`${bot.server.adminUrl}/try/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: 'hi', session: 'session-123' }) });
    assert.equal(askAdmin.status, 404);
  });

  it('both listeners close on shutdown', async () => {
    const other = await startTestBot({ ADMIN_TOKEN: TOKEN, ADMIN_PORT: '0' }, { noticeWorker: false });
    const adminUrl = other.server.adminUrl!;
    await other.close();
    await assert.rejects(fetch(`${adminUrl}/admin/notices`));
  });
});
