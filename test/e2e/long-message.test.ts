/**
 * A 50,000-character message over the real HTTP callbacks (WeCom, DingTalk, fakes of their servers) is answered,
 * and what reaches the matcher is only its beginning, cut to the platform's limit
 * (adapters/<platform>/limits.ts) before any regular expression ran. Asserted on lengths, not on time.
 * The matcher is observed, not replaced: its `match` is wrapped to record the length of what it is given.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBot, type TestBot } from '../helpers/app.ts';
import { buildWecomCallback, startFakeWecom, wecomTextXml, type FakeWecom } from '../fakes/wecom-api.ts';
import { sendRobotCallback, startFakeDingtalk, type FakeDingtalk } from '../fakes/dingtalk-api.ts';
import { WECOM_INBOUND_TEXT_MAX_BYTES } from '../../adapters/wecom/limits.ts';
import { INBOUND_TEXT_MAX_BYTES as DINGTALK_INBOUND_TEXT_MAX_BYTES } from '../../adapters/dingtalk/limits.ts';

const KEYS = { token: 'QDG6eK', encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', corpId: 'wx5823bf96d3bd56c7' };

/** A question followed by 50,000 more characters: a CJK one (3 bytes each) and a run hostile to backtracking. */
const QUESTION = '管理员能导出我的聊天记录吗？';
const LONG = QUESTION + '记'.repeat(25_000) + 'his chats '.repeat(2_500);

/** Records what the bot's matcher is asked (the same object the router calls). */
function watchMatcher(bot: TestBot): string[] {
  const seen: string[] = [];
  const matcher = bot.core.matcher;
  const match = matcher.match.bind(matcher);
  matcher.match = (question, context) => {
    seen.push(question);
    return match(question, context);
  };
  return seen;
}

describe('a 50,000-character message', () => {
  let wecom: FakeWecom;
  let ding: FakeDingtalk;
  let bot: TestBot;
  let seen: string[];
  before(async () => {
    wecom = await startFakeWecom({ corpId: KEYS.corpId, secret: 'app-secret', agentId: 1000002 });
    ding = await startFakeDingtalk({ appKey: 'dingkey', appSecret: 'dingsecret', robotCode: 'dingkey' });
    bot = await startTestBot({
      WECOM_CORP_ID: KEYS.corpId, WECOM_AGENT_ID: '1000002', WECOM_SECRET: 'app-secret',
      WECOM_TOKEN: KEYS.token, WECOM_ENCODING_AES_KEY: KEYS.encodingAESKey, WECOM_API_BASE: wecom.url,
      DINGTALK_APP_KEY: 'dingkey', DINGTALK_APP_SECRET: 'dingsecret', DINGTALK_ROBOT_CODE: 'dingkey', DINGTALK_API_BASE: ding.apiBase,
    });
    seen = watchMatcher(bot);
  });
  after(async () => {
    await bot.close();
    await wecom.close();
    await ding.close();
  });

  it('is longer than 50,000 characters (the test input)', () => {
    assert.ok(LONG.length > 50_000);
  });

  it('WeCom: answered; the matcher saw only its first 2048 UTF-8 bytes', async () => {
    seen.length = 0;
    const sentBefore = wecom.sent.length;
    const cb = buildWecomCallback({ ...KEYS, xml: wecomTextXml({ corpId: KEYS.corpId, from: 'zhangsan', content: LONG, msgId: '7000000000000000001' }) });
    const res = await fetch(`${bot.url}/wecom/callback?${cb.query}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: cb.body });
    assert.equal(res.status, 200);
    const passive = await res.text();
    await bot.server.idle();
    assert.ok(passive !== '' || wecom.sent.length > sentBefore, 'an answer was given');
    assert.equal(seen.length, 1);
    const text = seen[0]!;
    assert.ok(LONG.startsWith(text), 'the matcher saw the beginning of the message');
    assert.ok(Buffer.byteLength(text, 'utf8') <= WECOM_INBOUND_TEXT_MAX_BYTES);
    // 4 + 12 CJK characters and a full-width ？ (3 bytes each), then 记: as many as fit in 2048 bytes.
    assert.equal(text.length, Math.floor(WECOM_INBOUND_TEXT_MAX_BYTES / 3));
  });

  it('DingTalk: answered; the matcher saw only its first 15,000 UTF-8 bytes', async () => {
    seen.length = 0;
    ding.reset();
    const res = await sendRobotCallback(`${bot.url}/dingtalk/callback`, ding.robotMessage({ text: { content: LONG } }), 'dingsecret');
    assert.equal(res.status, 200);
    await bot.server.idle();
    assert.equal(ding.webhookMessages.length + ding.otoMessages.length, 1, 'one answer');
    assert.equal(seen.length, 1);
    const text = seen[0]!;
    assert.ok(LONG.startsWith(text));
    assert.ok(Buffer.byteLength(text, 'utf8') <= DINGTALK_INBOUND_TEXT_MAX_BYTES);
    assert.equal(text.length, Math.floor(DINGTALK_INBOUND_TEXT_MAX_BYTES / 3));
  });

  it('the health check still answers right after', async () => {
    assert.equal((await fetch(`${bot.url}/healthz`)).status, 200);
  });
});
