/**
 * The core's two steps (src/platform/message.ts MessageCommitter): which messages may change state, and that
 * commit() has recorded the state change before answer() is called — the order adapters rely on
 * to acknowledge a platform only after the record (docs/RELIABILITY.md, "Acknowledgements
 * recorded before the platform is told"). Real core, real SQLite store, the loopback notice platform.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/app/config.ts';
import { createCore, type Core } from '../../../src/core.ts';
import { BroadcastWorker } from '../../../src/notices/worker.ts';
import type { Audience } from '../../../src/platform/notices.ts';
import type { InboundMessage } from '../../../src/platform/message.ts';
import { REPO_ROOT } from '../../helpers/app.ts';
import { createLoopbackChannel, startFakeNoticePlatform, type FakeNoticePlatform } from '../../fakes/notice-platform.ts';
import { silent } from '../notices/helpers.ts';

let seq = 0;
function msg(text: string, over: Partial<InboundMessage> = {}): InboundMessage {
  seq += 1;
  return { platform: 'wecom', tenant: 'corp', userId: 'zhangsan', chat: { kind: 'single' }, kind: 'text', text, mentionedBot: false, messageId: `c${seq}`, receivedAt: Date.now(), ...over };
}

describe('commit before answer (router + notices + store)', () => {
  let dir: string;
  let core: Core;
  let fake: FakeNoticePlatform;
  let noticeId: string;
  let broadcastId: string;
  /** Directory lookups (audience resolutions) made through the channel. */
  let resolutions = 0;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'commit-test-'));
    core = await createCore(loadConfig({ KNOWLEDGE_DIR: join(REPO_ROOT, 'knowledge'), DATA_DIR: dir, ADMIN_USERS: 'wecom:boss' }), silent);
    fake = await startFakeNoticePlatform({ users: ['zhangsan', 'lisi', 'wangwu'] });
    const loopback = createLoopbackChannel({ url: fake.url, platform: 'wecom', readSupported: false });
    const resolve = loopback.resolveAudience.bind(loopback);
    loopback.resolveAudience = (a: Audience) => {
      resolutions += 1;
      return resolve(a);
    };
    core.notices.registerChannel(loopback);
    noticeId = (await core.notices.createNotice({ title: { zh: '会话存档告知', en: 'Chat archiving notice' }, body: { zh: '正文', en: 'Body' } })).noticeId;
    const b = await core.notices.createBroadcast({ noticeId, platform: 'wecom', audience: { userIds: ['zhangsan', 'lisi'] }, createdBy: 'test' });
    broadcastId = b.id;
    await new BroadcastWorker({ service: core.notices, log: silent }).runUntil(async () => (await core.notices.store.getBroadcast(b.id))!.state === 'done');
  });
  after(async () => {
    await core.store.close();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('mayChangeState: acknowledgements (1:1 phrase, card) and admins’ 1:1 texts; never questions, groups, anonymous askers', () => {
    const c = core.committer;
    assert.equal(c.mayChangeState(msg('确认')), true);
    assert.equal(c.mayChangeState(msg('I acknowledge')), true);
    assert.equal(c.mayChangeState(msg(`ack:${noticeId}:1`, { kind: 'ack-action' })), true);
    assert.equal(c.mayChangeState(msg('yes', { userId: 'boss' })), true);
    assert.equal(c.mayChangeState(msg('/notice list', { userId: 'boss' })), true);
    assert.equal(c.mayChangeState(msg('我的聊天记录会被存档吗')), false);
    assert.equal(c.mayChangeState(msg('确认', { chat: { kind: 'group', chatId: 'g1' }, mentionedBot: true })), false);
    assert.equal(c.mayChangeState(msg('确认', { anonymous: true })), false);
    assert.equal(c.mayChangeState(msg('yes', { userId: 'boss', chat: { kind: 'group', chatId: 'g1' } })), false);
    assert.equal(c.mayChangeState(msg('', { kind: 'enter' })), false);
    assert.equal(c.mayChangeState(msg('', { kind: 'non-text' })), false);
  });

  it('"确认": recorded when commit() resolves, before answer() is called; a redelivery says when', async () => {
    const m = msg('确认');
    const committed = await core.committer.commit(m);
    const rec = (await core.notices.store.listRecipients(broadcastId)).find((r) => r.userId === 'zhangsan')!;
    assert.ok(rec.acknowledgedAt !== null, 'acknowledged before any answer was made');
    assert.equal(rec.ackChannel, 'text');
    const first = await committed.answer();
    assert.match(first.replies[0]!.text, /已确认|确认知悉|acknowledged/);
    // The platform delivers the same message again (its acknowledgement was lost): nothing changes.
    const again = await (await core.committer.commit(m)).answer();
    assert.equal(again.intent, 'status');
    const after = (await core.notices.store.listRecipients(broadcastId)).find((r) => r.userId === 'zhangsan')!;
    assert.equal(after.acknowledgedAt, rec.acknowledgedAt, 'the first time stays');
  });

  it('a card click: recorded when commit() resolves', async () => {
    await core.committer.commit(msg(`ack:${noticeId}:1`, { kind: 'ack-action', userId: 'lisi' }));
    const rec = (await core.notices.store.listRecipients(broadcastId)).find((r) => r.userId === 'lisi')!;
    assert.ok(rec.acknowledgedAt !== null);
    assert.equal(rec.ackChannel, 'card');
  });

  it('a question: commit() writes nothing an answer needs and answer() is the FAQ', async () => {
    const committed = await core.committer.commit(msg('管理员能看到我的聊天记录吗'));
    const r = await committed.answer();
    assert.equal(r.intent, 'faq');
  });

  it('an admin’s "yes": the broadcast is recorded by commit() without a platform call; answer() resolves and starts it; a redelivered "yes" starts nothing new', async () => {
    const ask = await core.handle(msg(`/notice send ${noticeId} users wangwu`, { userId: 'boss' }));
    assert.match(ask.replies[0]!.text, /About to send/);
    const before = (await core.notices.listBroadcasts()).length;
    const calls = resolutions;

    const yes = msg('yes', { userId: 'boss' });
    const committed = await core.committer.commit(yes);
    const recorded = await core.notices.listBroadcasts();
    assert.equal(recorded.length, before + 1, 'recorded by commit()');
    const b = recorded[0]!;
    assert.deepEqual([b.state, b.createdBy, b.audience], ['resolving', 'chat:wecom:boss', { userIds: ['wangwu'] }]);
    assert.equal(resolutions, calls, 'no directory call before the platform is acknowledged');

    // The platform delivers the same "yes" again before the first answer ran (a crash after the
    // record, before the acknowledgement): the same broadcast, resumed once.
    const redelivered = await (await core.committer.commit(yes)).answer();
    assert.match(redelivered.replies[0]!.text, new RegExp(`Sending started: ${b.id}, 1 recipient`));
    const late = await committed.answer();
    assert.match(late.replies[0]!.text, new RegExp(`already confirmed: ${b.id} \\(sending\\)`));
    assert.equal(resolutions, calls + 1, 'the audience was resolved once');
    assert.equal((await core.notices.listBroadcasts()).length, before + 1, 'one broadcast');
    // Nothing waits for a yes any more.
    const third = await core.handle(msg('yes', { userId: 'boss' }));
    assert.doesNotMatch(third.replies.map((r) => r.text).join('\n'), /Sending started|already confirmed/);
    await core.notices.cancel(b.id);
  });
});
