/**
 * End to end over loopback: an admin declares a DingTalk department policy through the admin API
 * of the real bot; DingTalk employees ask through signed robot callbacks; membership comes from
 * the fake DingTalk's directory (departments with a sub-department), read once and cached.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBot, type TestBot } from '../helpers/app.ts';
import { sendRobotCallback, startFakeDingtalk, type FakeDingtalk } from '../fakes/dingtalk-api.ts';

const TOKEN = 'policy-e2e-admin-token-0123456789';

/** Sales (100) with Sales North (110) below it; R&D (200). user001 is in Sales North, user002 in R&D. */
const DIRECTORY = {
  departments: [
    { id: 100, parentId: 1, name: '销售部' },
    { id: 110, parentId: 100, name: '北区销售' },
    { id: 200, parentId: 1, name: '研发部' },
  ],
  users: [
    { userid: 'user001', name: '张三', deptIds: [110] },
    { userid: 'user002', name: '李四', deptIds: [200] },
    { userid: 'user003', name: '王五', deptIds: [100] },
  ],
};

const POLICY = {
  platform: 'dingtalk',
  audience: { departmentIds: ['100'] },
  since: '2026-03-01',
  scope: '单聊和群聊',
  retention: '离职后 2 年',
  purpose: '合规审计和客户纠纷处理',
  legalBasis: '《个人信息保护法》第十三条第一款第二项；经职代会通过的《信息安全制度》',
  viewers: ['合规部', '法务负责人'],
};

describe('company policy on DingTalk, end to end', () => {
  let fake: FakeDingtalk;
  let bot: TestBot;
  let callback: string;
  let policyId: string;

  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${bot.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  /** Sends one 1:1 question from `staffId` and returns every text the fake received for it. */
  async function ask(staffId: string, text: string): Promise<string[]> {
    fake.reset();
    const res = await sendRobotCallback(callback, fake.robotMessage({ senderStaffId: staffId, text: { content: text } }), 'dingsecret');
    assert.equal(res.status, 200);
    await bot.server.idle();
    return [...fake.webhookMessages, ...fake.otoMessages, ...fake.groupMessages].map((m) => m.content ?? '');
  }

  before(async () => {
    fake = await startFakeDingtalk({ appKey: 'dingkey', appSecret: 'dingsecret', robotCode: 'dingkey' });
    fake.setDirectory(DIRECTORY);
    bot = await startTestBot({
      DINGTALK_APP_KEY: 'dingkey', DINGTALK_APP_SECRET: 'dingsecret', DINGTALK_ROBOT_CODE: 'dingkey', DINGTALK_API_BASE: fake.apiBase, ADMIN_TOKEN: TOKEN,
    });
    callback = `${bot.url}/dingtalk/callback`;
    const r = await admin('POST', '/admin/policies', POLICY);
    assert.equal(r.status, 201);
    const created = (await r.json()) as { id: string; warnings: string[] };
    assert.deepEqual(created.warnings, [], 'DingTalk is configured: its directory can be read');
    policyId = created.id;
  });
  after(async () => {
    await bot.close();
    await fake.close();
  });

  it('an employee in a sub-department of the policy’s department gets the policy as their status (source company policy)', async () => {
    const texts = await ask('user001', '我的聊天记录有没有被存档');
    assert.equal(texts.length, 1);
    assert.match(texts[0]!, /你的会话存档状态：自 2026-03-01 起已存档，范围：单聊和群聊（来源：公司政策，更新于 \d{4}-\d{2}-\d{2}）/);
    const listed = fake.directoryRequests.filter((r) => r.api === 'listsimple').map((r) => r.deptId).sort();
    assert.deepEqual(listed, [100, 110], 'Sales and its sub-department were read from the directory');
  });

  it('asks how long archived chats are kept: the answer adds the policy’s retention, purpose, legal basis and readers', async () => {
    const texts = await ask('user001', '存档的聊天记录保存多久');
    assert.equal(texts.length, 1);
    assert.match(texts[0]!, /保存期限/, 'the reviewed FAQ answer');
    assert.match(
      texts[0]!,
      /根据公司的存档政策（声明于 \d{4}-\d{2}-\d{2}）：聊天记录保存期限：离职后 2 年；目的：合规审计和客户纠纷处理；法律依据：《个人信息保护法》第十三条第一款第二项；经职代会通过的《信息安全制度》；可查看存档的人：合规部、法务负责人。/,
    );
  });

  it('asks in English: the same policy in English words around the admin’s own', async () => {
    const texts = await ask('user003', 'How long are archived chats kept?');
    assert.match(texts[0]!, /According to your company's policy \(declared \d{4}-\d{2}-\d{2}\): chats are kept for 离职后 2 年; purpose: 合规审计和客户纠纷处理;/);
    assert.match(texts[0]!, /Your archiving status: archived since 2026-03-01, scope: .* \(source: company policy, updated/);
  });

  it('an employee outside the audience gets "no record" and no policy line', async () => {
    let texts = await ask('user002', '我的聊天记录有没有被存档');
    assert.match(texts[0]!, /你的会话存档状态：暂无记录——请咨询你的管理员/);
    texts = await ask('user002', '存档的聊天记录保存多久');
    assert.doesNotMatch(texts.join('\n'), /公司的存档政策|离职后 2 年|合规部/);
  });

  it('the directory was read once for all these questions (cached in the store)', async () => {
    let calls = 0;
    for (const u of ['user001', 'user002', 'user003']) {
      await ask(u, '存档的聊天记录保存多久');
      calls += fake.directoryRequests.length;
    }
    assert.equal(calls, 0, 'no directory call while the cache is fresh');
  });

  it('in a group: the group gets the general answer only; the policy and status go 1:1 to the asker', async () => {
    fake.reset();
    const body = fake.robotMessage({
      senderStaffId: 'user001', conversationType: '2', conversationId: 'cidGroupPolicy', conversationTitle: '销售群', isInAtList: true,
      text: { content: ' 存档的聊天记录保存多久' },
    });
    assert.equal((await sendRobotCallback(callback, body, 'dingsecret')).status, 200);
    await bot.server.idle();
    const groupTexts = [...fake.webhookMessages.map((m) => m.content ?? ''), ...fake.groupMessages.map((m) => m.content ?? '')];
    assert.equal(groupTexts.length, 1);
    assert.doesNotMatch(groupTexts[0]!, /公司的存档政策|离职后 2 年|合规部|公司政策|2026-03-01/);
    assert.match(groupTexts[0]!, /私信/);
    assert.equal(fake.otoMessages.length, 1);
    assert.deepEqual(fake.otoMessages[0]!.userIds, ['user001']);
    assert.match(fake.otoMessages[0]!.content!, /聊天记录保存期限：离职后 2 年/);
    assert.match(fake.otoMessages[0]!.content!, /来源：公司政策/);
  });

  it('once withdrawn, the policy covers nobody: "no record" again', async () => {
    const r = await admin('DELETE', `/admin/policies/${policyId}`);
    assert.equal(r.status, 200);
    const texts = await ask('user001', '我的聊天记录有没有被存档');
    assert.match(texts[0]!, /暂无记录/);
    assert.doesNotMatch(texts[0]!, /公司政策/);
  });

  it('logs never carry the asker’s id in clear or the policy text', () => {
    const joined = bot.logLines.join('\n');
    assert.doesNotMatch(joined, /"user00[123]"/);
    assert.doesNotMatch(joined, /离职后 2 年|合规审计和客户纠纷处理/);
  });
});
