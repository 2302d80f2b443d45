import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { startTestBot, type TestBot } from '../../helpers/app.ts';
import { loadConfig } from '../../../src/app/config.ts';

describe('HTTP server without any platform configured', () => {
  let bot: TestBot;
  before(async () => {
    bot = await startTestBot();
  });
  after(async () => {
    await bot.close();
  });

  it('GET /healthz says the process is up', async () => {
    const r = await fetch(`${bot.url}/healthz`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { status: 'ok' });
  });

  it('GET /readyz says the embedded store answers', async () => {
    const r = await fetch(`${bot.url}/readyz`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { status: 'ready', store: 'sqlite' });
  });

  it('platform routes are absent when their credentials are', async () => {
    assert.equal((await fetch(`${bot.url}/wecom/callback`, { method: 'POST', body: '<xml/>' })).status, 404);
    assert.equal((await fetch(`${bot.url}/dingtalk/callback`, { method: 'POST', body: '{}' })).status, 404);
  });

  it('GET /try serves the chat page', async () => {
    const r = await fetch(`${bot.url}/try`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await r.text(), /try\/ask/);
  });

  it('POST /try/ask answers a FAQ anonymously: topic, sources, and no personal status', async () => {
    await bot.core.store.putStatuses([
      { platform: 'try', userId: 'try-session-0001', archived: true, since: '2026-03-01', scope: 'x', source: 'import', updatedAt: new Date().toISOString() },
    ]);
    const r = await fetch(`${bot.url}/try/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ question: '企业微信管理员可以翻看我的私聊记录吗', session: 'session-0001' }),
    });
    assert.equal(r.status, 200);
    const j = (await r.json()) as { replies: string[]; topic: string | null; intent: string };
    assert.equal(j.intent, 'faq');
    assert.equal(j.topic, 'wecom-admin-access');
    assert.equal(j.replies.length, 1);
    assert.match(j.replies[0]!, /来源：/);
    assert.doesNotMatch(j.replies[0]!, /2026-03-01/);
  });

  it('POST /try/ask takes JSON only: text/plain, a form (what another site can post unasked) or no type is 415', async () => {
    for (const [path, body] of [['/try/ask', { question: '企业微信管理员可以翻看我的私聊记录吗', session: 'session-0415' }]] as const) {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', null]) {
        const r = await fetch(`${bot.url}${path}`, { method: 'POST', ...(type ? { headers: { 'content-type': type } } : {}), body: type ? JSON.stringify(body) : new Blob([JSON.stringify(body)]) });
        assert.equal(r.status, 415, `${path} ${type}`);
        assert.match(await r.text(), /TRY_NOT_JSON_TYPE.*Content-Type must be application\/json/);
      }
      const ok = await fetch(`${bot.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body) });
      assert.equal(ok.status, 200, path);
    }
  });

  it('POST /try/ask also returns each reply as HTML with the sources as links opening in a new tab', async () => {
    const r = await fetch(`${bot.url}/try/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ question: '企业微信管理员可以翻看我的私聊记录吗', session: 'session-0003' }),
    });
    const j = (await r.json()) as { replies: string[]; html: string[]; topic: string };
    assert.equal(j.html.length, j.replies.length);
    const sources = bot.core.kb.byId.get(j.topic)!.sources;
    const links = [...j.html[0]!.matchAll(/<a href="([^"]+)" target="_blank" rel="noopener noreferrer">([^<]+)<\/a>/g)];
    assert.equal(links.length, sources.length);
    assert.deepEqual(links.map((m) => m[1]), sources.map((s) => new URL(s.url).href));
    // Everything else is text: no other tag than the links.
    assert.doesNotMatch(j.html[0]!.replace(/<a [^>]+>[^<]*<\/a>/g, ''), /<[a-z/]/i);
  });

  it('POST /try/ask declines an off-topic question with suggestions or a route to HR/IT', async () => {
    const r = await fetch(`${bot.url}/try/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ question: '今天中午食堂有什么菜', session: 'session-0002' }),
    });
    const j = (await r.json()) as { topic: string | null; intent: string; replies: string[] };
    assert.equal(j.intent, 'fallback');
    assert.equal(j.topic, null);
    assert.match(j.replies[0]!, /HR|IT/);
  });

  it('POST /try/ask with a pick (a suggestion button) answers that topic in the pick\'s language; suggestions carry a label in the reply\'s language', async () => {
    const post = (body: unknown) =>
      fetch(`${bot.url}/try/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const vague = (await (await post({ question: 'archiving', session: 'session-0004' })).json()) as {
      intent: string; lang: string; suggestions: { id: string; label: string; title: { zh: string; en: string } }[];
    };
    assert.equal(vague.intent, 'fallback');
    assert.equal(vague.lang, 'en');
    assert.ok(vague.suggestions.length > 0);
    for (const s of vague.suggestions) assert.equal(s.label, s.title.en);
    const first = vague.suggestions[0]!;
    const r = await post({ question: first.label, session: 'session-0004', pick: { topic: first.id, lang: vague.lang } });
    assert.equal(r.status, 200);
    const j = (await r.json()) as { intent: string; topic: string; lang: string; replies: string[] };
    assert.equal(j.intent, 'faq');
    assert.equal(j.topic, first.id);
    assert.equal(j.lang, 'en');
    assert.ok(j.replies[0]!.startsWith(bot.core.kb.byId.get(first.id)!.answer.en.trim().slice(0, 40)));
    // Whatever the question text says, the pick decides (a Chinese label, an English pick).
    const zhLabel = (await (await post({ question: '存档', session: 'session-0005', pick: { topic: 'retention', lang: 'en' } })).json()) as { topic: string; lang: string };
    assert.deepEqual([zhLabel.topic, zhLabel.lang], ['retention', 'en']);
    const bad = await post({ question: 'x', session: 'session-0005', pick: { topic: 'no-such-topic', lang: 'en' } });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /pick\.topic/);
    assert.equal((await post({ question: 'x', session: 'session-0005', pick: { topic: 'retention', lang: 'fr' } })).status, 400);
  });

  it('POST /try/ask rejects bad input with a 4xx and a short reason', async () => {
    const post = (body: string) => fetch(`${bot.url}/try/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    let r = await post('not json');
    assert.equal(r.status, 400);
    assert.deepEqual(await r.json(), { error: { code: 'TRY_BAD_JSON', message: 'body is not JSON' } });
    r = await post(JSON.stringify({ question: 'x' }));
    assert.equal(r.status, 400);
    r = await post(JSON.stringify({ question: 'x'.repeat(3000), session: 'session-0003' }));
    assert.equal(r.status, 400);
    r = await post(JSON.stringify({ question: 'x'.repeat(20_000), session: 'session-0003' }));
    assert.equal(r.status, 413);
  });

  it('unknown routes are 404, wrong methods 405', async () => {
    assert.equal((await fetch(`${bot.url}/nope`)).status, 404);
    assert.equal((await fetch(`${bot.url}/healthz`, { method: 'POST' })).status, 405);
  });
});

describe('HTTP server with TRY_PAGE=off', () => {
  it('has no /try page', async () => {
    const bot = await startTestBot({ TRY_PAGE: 'off' });
    try {
      assert.equal((await fetch(`${bot.url}/try`)).status, 404);
    } finally {
      await bot.close();
    }
  });
});

describe('the address the server listens on', () => {
  const boundTo = async (env: Record<string, string>) => {
    const bot = await startTestBot(env, { host: null });
    try {
      return (bot.server.server.address() as AddressInfo).address;
    } finally {
      await bot.close();
    }
  };
  it('the sandbox (made-up people, public inboxes) stays on this machine unless HOST says otherwise', async () => {
    assert.equal(await boundTo({ SANDBOX: 'on' }), '127.0.0.1');
    assert.equal(await boundTo({ SANDBOX: 'on', HOST: '0.0.0.0' }), '0.0.0.0');
  });
  it('otherwise every address (platforms call in), or HOST', async () => {
    assert.equal(await boundTo({ SANDBOX: 'off' }), '0.0.0.0');
    assert.equal(await boundTo({ SANDBOX: 'off', HOST: '127.0.0.1' }), '127.0.0.1');
    assert.equal(await boundTo({ SANDBOX: 'off', HOST: 'localhost' }), '127.0.0.1', 'localhost is read as 127.0.0.1');
  });
  it('a HOST that is not an IP address stops the start with an error naming HOST', () => {
    assert.throws(() => loadConfig({ HOST: 'localhost:3000' }), /HOST.*must be an IP address/);
    assert.throws(() => loadConfig({ HOST: 'example.internal' }), /HOST.*must be an IP address.*localhost = this machine only/);
  });
});
