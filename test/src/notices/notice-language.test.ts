/**
 * NOTICE_LANGUAGE and each employee's own language (issue: per-employee notice language): the
 * language an employee asks the bot in is remembered as hash(platform, userId) -> language only,
 * for 180 days; the worker sends each recipient the notice in their language (else the company's
 * NOTICE_LANGUAGE, else zh-CN; a language the version was not written in falls back to zh-CN), one
 * platform call per language, and records the language per recipient (recipient record, audit
 * entry, recipients.csv). Real SQLite store, manual clock.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { NoticeService } from '../../../src/notices/service.ts';
import { BroadcastWorker } from '../../../src/notices/worker.ts';
import { deliveryText, employeeLanguageKey, EMPLOYEE_LANGUAGE_TTL_MS, recipientLanguage } from '../../../src/notices/languages.ts';
import { loadCoreConfig } from '../../../src/config.ts';
import { openSqliteNoticeStore } from '../../../src/store/sqlite/notices.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import type { NoticeStore } from '../../../src/store/ports/notices.ts';
import type { Store } from '../../../src/store/ports/store.ts';
import type { NoticeChannel, NoticeDelivery } from '../../../src/platform/notices.ts';
import type { InboundMessage } from '../../../src/platform/message.ts';
import { createRouter } from '../../../src/bot/router.ts';
import { createCore } from '../../../src/core.ts';
import { loadKnowledge } from '../../../src/knowledge/load.ts';
import { createMatcher } from '../../../src/matching/matcher.ts';
import { REPO_ROOT } from '../../helpers/app.ts';
import { ManualClock, silent } from './helpers.ts';

const WRITTEN = {
  title: { zh: '会话存档告知', en: 'Chat archiving notice', 'zh-TW': '會話存檔告知' },
  body: { zh: '公司将对工作聊天进行会话存档。', en: 'Work chats are archived.', 'zh-TW': '公司將對工作聊天進行會話存檔。' },
};
const ZH_ONLY = { title: { zh: '仅中文', en: '' }, body: { zh: '只有简体中文。', en: '' } };

describe('notice languages: choosing and rendering', () => {
  it('own language, else NOTICE_LANGUAGE, else zh-CN; a language not written falls back to zh-CN', () => {
    assert.equal(recipientLanguage(WRITTEN, 'en', 'zh-TW'), 'en');
    assert.equal(recipientLanguage(WRITTEN, null, 'zh-TW'), 'zh-TW');
    assert.equal(recipientLanguage(WRITTEN, null, null), 'zh-CN');
    assert.equal(recipientLanguage(WRITTEN, null, 'bilingual'), 'bilingual');
    assert.equal(recipientLanguage(ZH_ONLY, 'en', 'bilingual'), 'zh-CN', 'no English written');
    assert.equal(recipientLanguage(ZH_ONLY, 'zh-TW', 'bilingual'), 'zh-TW', 'no Traditional written: converted from Simplified');
    assert.equal(recipientLanguage(ZH_ONLY, null, 'zh-TW'), 'zh-TW', 'NOTICE_LANGUAGE=zh-TW: converted too');
    assert.equal(recipientLanguage(ZH_ONLY, null, 'en'), 'zh-CN');
  });

  it('one language = its text alone; bilingual = every language filled in, as before', () => {
    assert.deepEqual(deliveryText(WRITTEN.title, 'en'), { zh: 'Chat archiving notice', en: '' });
    assert.deepEqual(deliveryText(WRITTEN.title, 'zh-TW'), { zh: '會話存檔告知', en: '' });
    assert.deepEqual(deliveryText(WRITTEN.title, 'zh-CN'), { zh: '会话存档告知', en: '' });
    assert.deepEqual(deliveryText(ZH_ONLY.title, 'bilingual'), { zh: '仅中文', en: '仅中文', 'zh-TW': '僅中文' });
  });

  it('NOTICE_LANGUAGE: default bilingual; one of four values; anything else stops the start naming it', () => {
    assert.equal(loadCoreConfig({}).noticeLanguage, 'bilingual');
    assert.equal(loadCoreConfig({ NOTICE_LANGUAGE: 'zh-TW' }).noticeLanguage, 'zh-TW');
    assert.throws(() => loadCoreConfig({ NOTICE_LANGUAGE: 'fr' }), /NOTICE_LANGUAGE/);
  });

  it('the remembered key is a SHA-256 of platform and user id (no readable id)', () => {
    const k = employeeLanguageKey('wecom', 'zhangsan');
    assert.match(k, /^notice-lang:[0-9a-f]{64}$/);
    assert.notEqual(k, employeeLanguageKey('dingtalk', 'zhangsan'));
  });
});

describe('notice languages: remembered from questions, sent and recorded per recipient', () => {
  let dir: string;
  let file: string;
  let store: NoticeStore;
  let kv: Store;
  const clock = new ManualClock();
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'notice-lang-'));
    file = join(dir, 'privacy-bot.db');
    store = openSqliteNoticeStore(file);
    kv = openSqliteStore(file);
  });
  after(async () => {
    await store.close();
    await kv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A channel that records every call: who, in which language, with which title. */
  function recordingChannel(calls: { users: string[]; language: string | undefined; title: string; titleEn: string }[]): NoticeChannel {
    return {
      platform: 'wecom', maxBatchSize: 100, readSupported: false,
      async resolveAudience(a) {
        return 'userIds' in a ? a.userIds : [];
      },
      async sendBatch(users: string[], d: NoticeDelivery) {
        calls.push({ users: [...users], language: d.language, title: d.title.zh, titleEn: d.title.en });
        return { sent: users, failed: [], retryLater: [] };
      },
    };
  }

  it('questions remember the asker’s language (only a hash of who, 180 days); anonymous askers and greetings are not remembered', async () => {
    const service = new NoticeService({ store, kv, log: silent, clock });
    const kb = await loadKnowledge(join(REPO_ROOT, 'knowledge'));
    const handle = createRouter({ kb, matcher: await createMatcher(kb), store: kv, log: silent, onQuestionLanguage: (m, lang) => service.rememberLanguage(m.platform, m.userId, lang) });
    let n = 0;
    const msg = (userId: string, text: string, over: Partial<InboundMessage> = {}): InboundMessage => ({
      platform: 'wecom', tenant: 'corp', userId, chat: { kind: 'single' }, kind: 'text', text, mentionedBot: false, messageId: `m${++n}`, receivedAt: 0, ...over,
    });
    const before = Date.now();
    await handle(msg('alice', 'Can the company read my chats?'));
    await handle(msg('bob', '公司能看到我的聊天記錄嗎？'));
    await handle(msg('carol', '公司能看到我的聊天记录吗？'));
    await handle(msg('dave', 'zzqx frobnicate quux please')); // "not sure" is a question too
    await handle(msg('erin', 'Can the company read my chats?', { anonymous: true }));
    await handle(msg('frank', 'hello'));
    const after = Date.now();
    const lang = (u: string) => kv.get(employeeLanguageKey('wecom', u));
    assert.deepEqual(await Promise.all(['alice', 'bob', 'carol', 'dave', 'erin', 'frank'].map(lang)), ['en', 'zh-TW', 'zh-CN', 'en', null, null]);
    // What the store holds: the hashed key and the language, expiring in 180 days; no user id, no question.
    const db = new Database(file, { readonly: true });
    try {
      const rows = db.prepare("SELECT key, value, expires_at FROM kv WHERE key LIKE '%notice-lang:%'").all() as { key: string; value: string; expires_at: number }[];
      assert.equal(rows.length, 4);
      for (const r of rows) {
        assert.match(r.key, /notice-lang:[0-9a-f]{64}$/);
        assert.ok(r.expires_at >= before + EMPLOYEE_LANGUAGE_TTL_MS && r.expires_at <= after + EMPLOYEE_LANGUAGE_TTL_MS, 'expires after 180 days');
      }
      const dump = JSON.stringify(db.prepare('SELECT * FROM kv').all());
      for (const text of ['alice', 'bob', 'read my chats', '聊天記錄']) assert.ok(!dump.includes(text), `${text} is not stored`);
    } finally {
      db.close();
    }
  });

  it('each recipient gets their language (one send per language), recorded per recipient, in the audit and in recipients.csv', async () => {
    const calls: { users: string[]; language: string | undefined; title: string; titleEn: string }[] = [];
    // The company sends in Traditional Chinese; alice and dave asked in English, bob in Traditional, carol in Simplified.
    const service = new NoticeService({ store, kv, log: silent, clock, noticeLanguage: 'zh-TW' });
    service.registerChannel(recordingChannel(calls));
    const written = await service.createNotice(WRITTEN);
    const b = await service.createBroadcast({ noticeId: written.noticeId, platform: 'wecom', audience: { userIds: ['alice', 'bob', 'carol', 'dave', 'grace'] }, createdBy: 'test' });
    const w = new BroadcastWorker({ service, log: silent, idleMs: 1 });
    await w.runUntil(async () => (await store.getBroadcast(b.id))!.state === 'done');
    assert.deepEqual(calls.map((c) => [c.language, c.users, c.title, c.titleEn]), [
      ['en', ['alice', 'dave'], 'Chat archiving notice', ''],
      ['zh-TW', ['bob', 'grace'], '會話存檔告知', ''],
      ['zh-CN', ['carol'], '会话存档告知', ''],
    ]);
    const langs = new Map((await store.listRecipients(b.id)).map((r) => [r.userId, r.language]));
    assert.deepEqual(Object.fromEntries(langs), { alice: 'en', bob: 'zh-TW', carol: 'zh-CN', dave: 'en', grace: 'zh-TW' });
    assert.ok((await store.listAudit(b.id)).some((e) => e.userId === 'alice' && e.reason === 'accepted by the platform (language en)'));
    const csv = (await service.recipientsCsv(b.id)).slice(1).split('\r\n');
    assert.ok(csv[0]!.endsWith(',language,remindedLanguage'));
    assert.ok(csv.find((l) => l.startsWith('bob,'))!.endsWith(',zh-TW,'), 'no reminder sent');

    // A version written in Simplified only: English askers get zh-CN (English is never machine-made), Traditional
    // askers the OpenCC twp conversion, recorded as zh-TW; the default company setting (bilingual) keeps the cards
    // of before for those who never asked.
    calls.length = 0;
    const plain = new NoticeService({ store, kv, log: silent, clock });
    plain.registerChannel(recordingChannel(calls));
    const zhOnly = await plain.createNotice(ZH_ONLY);
    const b2 = await plain.createBroadcast({ noticeId: zhOnly.noticeId, platform: 'wecom', audience: { userIds: ['alice', 'bob', 'grace'] }, createdBy: 'test' });
    await new BroadcastWorker({ service: plain, log: silent, idleMs: 1 }).runUntil(async () => (await store.getBroadcast(b2.id))!.state === 'done');
    assert.deepEqual(calls.map((c) => [c.language, c.users, c.title, c.titleEn]), [
      ['zh-CN', ['alice'], '仅中文', ''],
      ['zh-TW', ['bob'], '僅中文', ''],
      ['bilingual', ['grace'], '仅中文', '仅中文'],
    ]);
    const langs2 = Object.fromEntries((await store.listRecipients(b2.id)).map((r) => [r.userId, r.language]));
    assert.deepEqual(langs2, { alice: 'zh-CN', bob: 'zh-TW', grace: 'bilingual' });
  });
});

describe('the core: a language-neutral message is answered in the language the employee last asked in', () => {
  it('"?" and "2" after a non-text message: the remembered question language (the same record as notices); zh-CN when none; not recorded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'neutral-core-'));
    const core = await createCore(loadCoreConfig({ KNOWLEDGE_DIR: join(REPO_ROOT, 'knowledge'), DATA_DIR: dir }), silent);
    try {
      let n = 0;
      const msg = (userId: string, text: string, over: Partial<InboundMessage> = {}): InboundMessage => ({
        platform: 'wecom', tenant: 'corp', userId, chat: { kind: 'single' }, kind: 'text', text, mentionedBot: false, messageId: `n${++n}`, receivedAt: 0, ...over,
      });
      assert.equal((await core.handle(msg('tw-user', '公司能看到我的聊天記錄嗎？'))).lang, 'zh-TW');
      await core.handle(msg('tw-user', '', { kind: 'non-text' })); // ends the memory of the last reply
      for (const t of ['?', '2', '👍']) assert.equal((await core.handle(msg('tw-user', t))).lang, 'zh-TW', `"${t}"`);
      assert.equal(await core.notices.employeeLanguage('wecom', 'tw-user'), 'zh-TW');
      assert.equal((await core.handle(msg('new-user', '？？'))).lang, 'zh-CN');
      assert.equal(await core.notices.employeeLanguage('wecom', 'new-user'), null, 'a neutral message records no language');
    } finally {
      await core.store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
