import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/app/config.ts';
import { createCore, type Core } from '../../../src/core.ts';
import { messagesFor } from '../../../src/bot/messages.ts';
import { isYes } from '../../../src/admin/chat.ts';
import type { InboundMessage } from '../../../src/platform/message.ts';
import { REPO_ROOT } from '../../helpers/app.ts';
import { createLoopbackChannel, startFakeNoticePlatform, type FakeNoticePlatform } from '../../fakes/notice-platform.ts';
import { silent } from '../notices/helpers.ts';

let seq = 0;
function msg(text: string, over: Partial<InboundMessage> = {}): InboundMessage {
  seq += 1;
  return { platform: 'wecom', tenant: 'corp', userId: 'boss', chat: { kind: 'single' }, kind: 'text', text, mentionedBot: false, messageId: `m${seq}`, receivedAt: Date.now(), ...over };
}

describe('chat admin commands', () => {
  let dir: string;
  let core: Core;
  let fake: FakeNoticePlatform;
  let noticeId: string;
  const text = async (t: string, over: Partial<InboundMessage> = {}) => (await core.handle(msg(t, over))).replies.map((r) => r.text).join('\n');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'admin-chat-test-'));
    core = await createCore(loadConfig({ KNOWLEDGE_DIR: join(REPO_ROOT, 'knowledge'), DATA_DIR: dir, ADMIN_USERS: 'wecom:boss,dingtalk:boss2' }), silent);
    fake = await startFakeNoticePlatform({ users: ['zhangsan', 'lisi', 'wangwu'], departments: { '2': ['zhangsan', 'lisi'] } });
    core.notices.registerChannel(createLoopbackChannel({ url: fake.url, platform: 'wecom', readSupported: false }));
    noticeId = (await core.notices.createNotice({ title: { zh: '会话存档告知', en: 'Archiving notice' }, body: { zh: '正文', en: 'Body' } })).noticeId;
  });
  after(async () => {
    await core.store.close();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('"yes" answers', () => {
    for (const y of ['yes', 'YES', ' y ', 'yes!', '是', '是的。']) assert.equal(isYes(y), true, y);
    for (const n of ['yes please', 'no', 'ok', '确认', '']) assert.equal(isYes(n), false, n);
  });

  it('anyone else gets exactly the ordinary help reply, with no hint of admin commands', async () => {
    for (const [t, over] of [
      ['/notice list', { userId: 'zhangsan' }],
      [`/notice send ${noticeId} all`, { userId: 'zhangsan' }],
      ['/notice status b-x', { platform: 'dingtalk', userId: 'boss' }], // wecom:boss is not dingtalk:boss
      ['/notice list', { chat: { kind: 'group', chatId: 'g1' }, mentionedBot: true }], // an admin, but in a group
      ['/notice list', { anonymous: true }],
    ] as [string, Partial<InboundMessage>][]) {
      const r = await core.handle(msg(t, over));
      assert.equal(r.intent, 'help', t);
      assert.deepEqual(r.replies.map((x) => x.text), [messagesFor(r.lang).help], t);
      assert.doesNotMatch(r.replies[0]!.text, /\/notice|admin commands|管理员命令/);
    }
  });

  it('/notice list shows the notices; an unknown subcommand shows the admin usage', async () => {
    assert.match(await text('/notice list'), new RegExp(`${noticeId} v1 会话存档告知 / Archiving notice`));
    assert.match(await text('/notice'), /^Admin commands \(1:1 chat only\)/);
    assert.match(await text('/notice send'), /\/notice send <noticeId> all \| dept/);
  });

  it('/notice send of a message the platform limit cut is refused: its user list may have lost names', async () => {
    const r = await text(`/notice send ${noticeId} users zhangsan lisi`, { truncated: true });
    assert.match(r, /too long and was cut; name fewer users or departments per send/);
    assert.match(await text('yes'), /./);
    assert.deepEqual(await core.notices.listBroadcasts(), [], 'nothing pending, nothing sent');
  });

  it('a message longer than MAX_MESSAGE_CHARS reaches the commands cut and marked truncated (the last line in the router)', async () => {
    const r = await text(`/notice send ${noticeId} users zhangsan ${'x'.repeat(20_000)}`);
    assert.match(r, /too long and was cut/);
  });

  it('/notice send asks for "yes", then sends on the admin’s platform; a second "yes" sends nothing', async () => {
    const ask = await text(`/notice send ${noticeId} dept 2`);
    assert.equal(ask, `About to send "Archiving notice" v1 to departments 2 on wecom.\nReply yes within 5 minutes to send it; anything else cancels.`);
    assert.deepEqual(await core.notices.listBroadcasts(), [], 'nothing sent before the yes');
    const yes = await text('yes');
    const id = /Sending started: (b-\w+), 2 recipient\(s\)/.exec(yes)?.[1];
    assert.ok(id, yes);
    const b = await core.notices.getBroadcast(id);
    assert.deepEqual([b.platform, b.createdBy, b.audience], ['wecom', 'chat:wecom:boss', { departmentIds: ['2'] }]);
    const again = await core.handle(msg('yes'));
    assert.doesNotMatch(again.replies.map((r) => r.text).join('\n'), /Sending started/);
    assert.equal((await core.notices.listBroadcasts()).length, 1);
    const status = await text(`/notice status ${id}`);
    assert.match(status, new RegExp(`^${id} \\(sending\\): targeted 2, pending 2, sent 0, failed 0, read unknown \\(no read receipts on this platform\\), acknowledged 0$`));
    await core.notices.cancel(id!);
  });

  it('anything but "yes" cancels a pending send; Chinese commands answer in Chinese', async () => {
    assert.match(await text(`/notice send ${noticeId} users zhangsan, wangwu`), /About to send/);
    await core.handle(msg('算了'));
    await core.handle(msg('yes'));
    assert.equal((await core.notices.listBroadcasts()).filter((b) => b.state !== 'cancelled').length, 0);
    const zh = await core.handle(msg('/notice 列表'));
    assert.equal(zh.lang, 'zh-CN');
    assert.match(zh.replies[0]!.text, /^管理员命令（仅限单聊）/);
  });

  it('explains refusals: unknown notice, unknown broadcast, platform without notices', async () => {
    assert.match(await text('/notice send n-nope all'), /^Not sent: no notice n-nope$/);
    assert.match(await text('/notice status b-nope'), /^Could not do that: no broadcast b-nope$/);
    assert.match(await text(`/notice send ${noticeId} all`, { platform: 'dingtalk', userId: 'boss2' }), /dingtalk cannot send notices here/);
  });
});
