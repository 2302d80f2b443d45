/**
 * End to end: statuses from the source of truth (WeCom msgaudit) instead of a hand import, and an
 * employee's own external contacts' consent — with the real bot against the fake WeCom API.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBot, type TestBot } from '../helpers/app.ts';
import { buildWecomCallback, startFakeWecom, wecomTextXml, type FakeWecom } from '../fakes/wecom-api.ts';
import { decryptWecom } from '../../adapters/wecom/crypto.ts';
import { parseWecomXml } from '../../adapters/wecom/xml.ts';

const KEYS = { token: 'QDG6eK', encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', corpId: 'wx5823bf96d3bd56c7' };

describe('WeCom archive sync end to end', () => {
  let fake: FakeWecom;
  let bot: TestBot;
  let msgId = 7000000000000000000n;

  before(async () => {
    fake = await startFakeWecom({ corpId: KEYS.corpId, secret: 'app-secret', agentId: 1000002, archiveSecret: 'archive-secret' });
    fake.setPermitList(1, ['zhangsan']);
    fake.setPermitList(2, ['lisi']);
    bot = await startTestBot({
      WECOM_CORP_ID: KEYS.corpId, WECOM_AGENT_ID: '1000002', WECOM_SECRET: 'app-secret',
      WECOM_TOKEN: KEYS.token, WECOM_ENCODING_AES_KEY: KEYS.encodingAESKey, WECOM_API_BASE: fake.url,
      WECOM_ARCHIVE_SECRET: 'archive-secret',
    });
    await bot.core.statuses.sync('wecom')!.syncNow();
  });
  after(async () => {
    await bot.close();
    await fake.close();
  });

  async function ask(user: string, text: string): Promise<string> {
    msgId += 1n;
    const before = fake.sent.length;
    const cb = buildWecomCallback({ ...KEYS, xml: wecomTextXml({ corpId: KEYS.corpId, from: user, content: text, msgId: msgId.toString() }) });
    const res = await fetch(`${bot.url}/wecom/callback?${cb.query}`, { method: 'POST', body: cb.body });
    assert.equal(res.status, 200);
    const body = await res.text();
    const parts: string[] = [];
    if (body) parts.push(parseWecomXml(decryptWecom(KEYS, parseWecomXml(body).Encrypt!)).Content!);
    await bot.server.idle();
    parts.push(...fake.sent.slice(before).map((m) => m.text!.content));
    return parts.join('\n');
  }

  it('an archived member gets archived, the edition’s scope, the source and when it was last checked', async () => {
    const text = await ask('zhangsan', '我的聊天记录有没有被存档');
    assert.match(text, /已存档，范围：内部聊天（办公版）/);
    assert.match(text, /来源：企业微信存档设置，最近查询于 \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
  });

  it('a member not on the list is "not archived" (not "no record")', async () => {
    const text = await ask('wangwu', '我的聊天记录有没有被存档');
    assert.match(text, /未存档/);
    assert.doesNotMatch(text, /暂无记录/);
  });

  it('a member who left the list becomes not archived since the sync date', async () => {
    fake.setPermitList(2, []);
    await bot.core.statuses.sync('wecom')!.syncNow();
    const text = await ask('lisi', '我的聊天记录有没有被存档');
    assert.match(text, /自 \d{4}-\d{2}-\d{2} 起未存档/);
  });

  it('external contacts’ consent: counts for the asker’s own customers only', async () => {
    fake.setExternalContacts('zhangsan', ['wmA', 'wmB', 'wmC']);
    fake.setAgreement('zhangsan', 'wmA', 'Agree');
    fake.setAgreement('zhangsan', 'wmB', 'Disagree');
    fake.setAgreement('zhangsan', 'wmC', 'Default_Agree');
    fake.setExternalContacts('lisi', ['wmX', 'wmY']);
    fake.setAgreement('lisi', 'wmX', 'Disagree');
    fake.setAgreement('lisi', 'wmY', 'Disagree');
    const text = await ask('zhangsan', '我的客户同意会话存档了吗');
    assert.match(text, /3/);
    assert.match(text, /同意/);
    const checks = fake.requests.filter((r) => r.path === '/cgi-bin/msgaudit/check_single_agree');
    assert.ok(checks.length >= 1);
    for (const c of checks) {
      const info = (c.json as { info: { userid: string }[] }).info;
      assert.ok(info.every((i) => i.userid === 'zhangsan'), 'only the asker’s contacts are checked');
    }
  });
});
