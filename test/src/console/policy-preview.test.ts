/**
 * The policy preview of the console (POST /console/api/policies/preview with the declare body, GET
 * /console/api/policies/:id/preview for a declared one): the lines the bot adds to an answer and the
 * employee's own status line, in zh-CN, en and zh-TW, rendered by the bot's own functions; nothing
 * is stored and nothing is recorded in the operation log. Real HTTP, fake notice platform.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startNoticeBot, type NoticeBot } from '../../e2e/notices-harness.ts';
import { ConsoleClient, signedIn } from '../../helpers/console-client.ts';
import { formatPolicy } from '../../../src/policies/section.ts';

const POLICY = {
  platform: 'dingtalk', audience: { all: true }, since: '2026-03-01', scope: '单聊和群聊', retention: '3 年',
  purpose: '合规审计', legalBasis: '《个人信息保护法》第十三条', viewers: ['合规部', '人力资源总监'],
};

describe('console policy preview', () => {
  let bot: NoticeBot;
  let admin: ConsoleClient;
  let auditor: ConsoleClient;
  before(async () => {
    bot = await startNoticeBot({ fake: { users: ['u1', 'u2'] } });
    admin = await signedIn(bot.url, bot.core.store, 'hr.admin', 'admin');
    auditor = await signedIn(bot.url, bot.core.store, 'legal.reader', 'auditor');
  });
  after(async () => {
    await bot.close();
  });

  it('a policy about to be declared: the answer line and the status line in zh-CN, en and zh-TW; nothing stored, nothing audited', async () => {
    const auditBefore = (await admin.call('GET', '/console/api/audit')).body.entries.length;
    const r = await admin.call('POST', '/console/api/policies/preview', POLICY);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(Object.keys(r.body.answer).sort(), ['en', 'zh-CN', 'zh-TW']);
    assert.match(r.body.answer['zh-CN'], /^根据公司的存档政策（声明于 \d{4}-\d{2}-\d{2}）：聊天记录保存期限：3 年；/);
    assert.match(r.body.answer['zh-CN'], /可查看存档的人：合规部、人力资源总监。$/);
    assert.match(r.body.answer.en, /chats are kept for 3 年; .*who may read them: 合规部, 人力资源总监\.$/);
    // zh-TW: the bot's words in traditional characters, the admin's words as written.
    assert.match(r.body.answer['zh-TW'], /^根據公司的存檔政策.*聊天記錄保存期限：3 年；.*可查看存檔的人：合规部、人力资源总监。$/);
    assert.match(r.body.status['zh-CN'], /^你的会话存档状态：自 2026-03-01 起已存档，范围：单聊和群聊（来源：公司政策，更新于 \d{4}-\d{2}-\d{2}）$/);
    assert.match(r.body.status.en, /archived since 2026-03-01, scope: 单聊和群聊 \(source: company policy/);
    assert.match(r.body.status['zh-TW'], /已存檔/);
    assert.equal(r.body.statusFromPlatform, false);
    assert.deepEqual(r.body.warnings, []);
    assert.deepEqual(await bot.core.policies.list({}), [], 'nothing stored');
    assert.equal(await bot.core.policies.policyFor('dingtalk', 'u1'), null, 'nobody covered');
    assert.equal((await admin.call('GET', '/console/api/audit')).body.entries.length, auditBefore, 'not in the operation log');
  });

  it('a bad body is refused naming the field; CSRF is required; an auditor may preview', async () => {
    const bad = await admin.call('POST', '/console/api/policies/preview', { ...POLICY, viewers: [] });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'POLICY_BAD_REQUEST');
    assert.match(bad.body.error.message, /viewers/);
    assert.equal((await admin.call('POST', '/console/api/policies/preview', 'not json')).status, 400);
    assert.equal((await admin.call('POST', '/console/api/policies/preview', POLICY, { csrf: false })).status, 403);
    const r = await auditor.call('POST', '/console/api/policies/preview', { ...POLICY, retention: '5 years' });
    assert.equal(r.status, 200);
    assert.match(r.body.answer.en, /chats are kept for 5 years;/);
    assert.equal((await new ConsoleClient(bot.url).call('POST', '/console/api/policies/preview', POLICY)).status, 401);
  });

  it('a declared policy: the texts the bot renders for it, its declared date; unknown id 404', async () => {
    const created = await admin.call('POST', '/console/api/policies', POLICY);
    assert.equal(created.status, 201);
    const p = await bot.core.policies.get(created.body.id);
    const r = await auditor.call('GET', `/console/api/policies/${created.body.id}/preview`);
    assert.equal(r.status, 200);
    for (const lang of ['zh-CN', 'en', 'zh-TW'] as const) assert.equal(r.body.answer[lang], formatPolicy(p, lang), lang);
    assert.match(r.body.answer['zh-CN'], new RegExp(`声明于 ${new Date(p.createdAt).toISOString().slice(0, 10)}`));
    // What the bot itself shows a covered employee as their status.
    const status = await bot.core.statuses.lookup('dingtalk', 'u1');
    assert.equal(status?.source, 'company policy');
    assert.match(r.body.status['zh-CN'], /自 2026-03-01 起已存档，范围：单聊和群聊/);
    assert.equal((await admin.call('GET', '/console/api/policies/p-unknown0000/preview')).status, 404);
    assert.equal((await bot.core.policies.list({})).length, 1);
  });
});
