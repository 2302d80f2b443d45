/**
 * GET / on the real bot over loopback: a small page pointing to /try and /console (it was a bare 404); with
 * ADMIN_PORT the main port's page says the console is on the admin port instead of linking to a 404, and the
 * admin port's / redirects to /console.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBot, type TestBot } from '../../helpers/app.ts';

/** The hrefs of a page's links. */
function links(html: string): string[] {
  return [...html.matchAll(/<a [^>]*href="([^"]+)"/g)].map((m) => m[1]!);
}

describe('GET / (home page)', () => {
  const bots: TestBot[] = [];
  after(async () => {
    for (const b of bots) await b.close();
  });

  it('points to /try and /console, both of which answer', async () => {
    const bot = await startTestBot({}, { noticeWorker: false });
    bots.push(bot);
    const r = await fetch(`${bot.url}/`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    const html = await r.text();
    assert.deepEqual(links(html), ['/try', '/console']);
    assert.match(html, /试用页/);
    assert.match(html, /Admin console/);
    for (const href of links(html)) assert.equal((await fetch(`${bot.url}${href}`)).status, 200, href);
  });

  it('with ADMIN_PORT: the main page names the admin port instead of linking /console; the admin port redirects / to /console', async () => {
    const bot = await startTestBot({ ADMIN_PORT: '0' }, { noticeWorker: false });
    bots.push(bot);
    const html = await (await fetch(`${bot.url}/`)).text();
    assert.deepEqual(links(html), ['/try']);
    assert.match(html, /管理控制台 \/console 在管理端口（ADMIN_PORT）上/);
    assert.match(html, /served on the admin port \(ADMIN_PORT\)/);
    assert.equal((await fetch(`${bot.url}/console`)).status, 404, 'not on the main port');
    const r = await fetch(`${bot.server.adminUrl}/`, { redirect: 'manual' });
    assert.equal(r.status, 302);
    assert.equal(r.headers.get('location'), '/console');
    assert.equal((await fetch(`${bot.server.adminUrl}/console`)).status, 200);
    assert.equal((await fetch(`${bot.server.adminUrl}/try`)).status, 404, 'the admin port serves nothing else');
  });

  it('with the try page and the console off: says so', async () => {
    const bot = await startTestBot({ TRY_PAGE: 'off', CONSOLE: 'off' }, { noticeWorker: false });
    bots.push(bot);
    const html = await (await fetch(`${bot.url}/`)).text();
    assert.deepEqual(links(html), []);
    assert.match(html, /TRY_PAGE=off, CONSOLE=off/);
  });
});
