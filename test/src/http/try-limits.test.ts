/**
 * /try/ask refusals as a newcomer meets them, over real HTTP: validation errors name the field and say what it
 * must be (JSON {"error": {"code", "message"}}), and questions are limited per client address in the shared
 * store — two instances on one Redis count together.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBot, type TestBot } from '../../helpers/app.ts';
import { deleteRedisPrefix } from '../../helpers/redis-prefix.ts';
import { SHARED_REDIS_URL, sharedRedisReachable, uniquePrefix } from '../../resilience/harness.ts';
import { TRY_ADDRESS_RATE_LIMIT, TRY_MAX_QUESTION_CHARS } from '../../../src/http/try-page.ts';

/** Inside one rate window, whatever the wall clock does during the test. */
const FIXED_NOW = Date.UTC(2026, 2, 1, 9, 0, 10);

function post(bot: TestBot, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${bot.url}/try/ask`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

let sessions = 0;
/** A fresh session id each time: the per-session limit (20 a minute) never applies, only the per-address one. */
function newSession(): string {
  return `session-${String(++sessions).padStart(6, '0')}`;
}

describe('/try/ask validation errors name the field', () => {
  let bot: TestBot;
  before(async () => {
    bot = await startTestBot();
  });
  after(async () => {
    await bot.close();
  });

  const QUESTION = `question: must be 1–${TRY_MAX_QUESTION_CHARS} characters of text`;
  const SESSION = 'session: must be 8–64 letters, digits or dashes';
  for (const [name, body, message] of [
    ['empty question', { question: '', session: 'session-0001' }, QUESTION],
    ['blank question', { question: '  \n ', session: 'session-0001' }, QUESTION],
    ['question too long', { question: 'x'.repeat(TRY_MAX_QUESTION_CHARS + 1), session: 'session-0001' }, QUESTION],
    ['question not a string', { question: 42, session: 'session-0001' }, QUESTION],
    ['question missing', { session: 'session-0001' }, QUESTION],
    ['control characters', { question: 'a\u0007b', session: 'session-0001' }, 'question: must not contain control characters (tab and line breaks are fine)'],
    ['session missing', { question: 'hi' }, SESSION],
    ['session malformed', { question: 'hi', session: '../../etc' }, SESSION],
    ['not an object', ['hi'], 'body: must be a JSON object {"question": "…", "session": "…"}'],
    ['page language unknown', { question: '?', session: 'session-0001', pageLang: 'fr' }, 'pageLang: must be zh-CN, zh-TW or en'],
  ] as const) {
    it(name, async () => {
      const r = await post(bot, JSON.stringify(body));
      assert.equal(r.status, 400);
      assert.match(r.headers.get('content-type') ?? '', /application\/json/);
      assert.deepEqual(await r.json(), { error: { code: 'TRY_BAD_REQUEST', message } });
    });
  }

  it('a question of exactly the longest length is answered', async () => {
    const r = await post(bot, JSON.stringify({ question: '管'.repeat(TRY_MAX_QUESTION_CHARS), session: 'session-0002' }));
    assert.equal(r.status, 200);
  });
});

const redisUp = await sharedRedisReachable();

describe('/try/ask is limited per client address across instances', { skip: redisUp ? false : `no Redis at ${SHARED_REDIS_URL}` }, () => {
  const prefix = uniquePrefix('try-address');
  const bots: TestBot[] = [];
  before(async () => {
    for (let i = 0; i < 2; i++) {
      bots.push(
        await startTestBot(
          // X-Forwarded-For from loopback is believed, so one test client can speak for several addresses.
          { TRUSTED_PROXIES: '127.0.0.1/32' },
          {
            now: () => FIXED_NOW,
            redis: { url: SHARED_REDIS_URL, keyPrefix: prefix },
          },
        ),
      );
    }
  });
  after(async () => {
    for (const b of bots) await b.close();
    await deleteRedisPrefix(SHARED_REDIS_URL, prefix);
  });

  it(`allows ${TRY_ADDRESS_RATE_LIMIT} questions a minute from one address over both instances, then 429 with Retry-After`, async () => {
    const from = { 'x-forwarded-for': '203.0.113.7' };
    for (let i = 0; i < TRY_ADDRESS_RATE_LIMIT; i++) {
      const r = await post(bots[i % 2]!, JSON.stringify({ question: '管理员能看到我的聊天记录吗', session: newSession() }), from);
      assert.equal(r.status, 200, `question ${i + 1}: ${await r.text()}`);
      await r.arrayBuffer().catch(() => {});
    }
    for (const bot of bots) {
      const r = await post(bot, JSON.stringify({ question: '管理员能看到我的聊天记录吗', session: newSession() }), from);
      assert.equal(r.status, 429);
      // FIXED_NOW is 10 s into its minute: 50 s until the next window.
      assert.equal(r.headers.get('retry-after'), '50');
      assert.deepEqual(await r.json(), {
        error: { code: 'TRY_RATE_LIMITED', message: `too many questions from your address: at most ${TRY_ADDRESS_RATE_LIMIT} every 60 s; try again in 50 s` },
      });
    }
    // Another address is not affected.
    const other = await post(bots[1]!, JSON.stringify({ question: '管理员能看到我的聊天记录吗', session: newSession() }), { 'x-forwarded-for': '198.51.100.9' });
    assert.equal(other.status, 200);
  });

  it('stores the address only as a hash', async () => {
    const { Redis } = await import('ioredis');
    const c = new Redis(SHARED_REDIS_URL);
    try {
      const keys = await c.keys(`${prefix}*try-address*`);
      assert.ok(keys.length > 0, 'an address counter exists');
      for (const k of keys) assert.doesNotMatch(k, /203\.0\.113\.7|198\.51\.100\.9/);
    } finally {
      c.disconnect();
    }
  });
});
