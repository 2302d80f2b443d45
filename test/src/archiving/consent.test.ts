import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWecomArchiveSource, WECOM_PLATFORM_NAME } from '../../../adapters/wecom/msgaudit.ts';
import { createConsentSection, formatConsent } from '../../../src/archiving/consent.ts';
import type { PersonalSection } from '../../../src/platform/plugins.ts';
import type { KnowledgeEntry } from '../../../src/knowledge/types.ts';
import { createLogger } from '../../../src/log.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import type { Store } from '../../../src/store/ports/store.ts';
import type { InboundMessage } from '../../../src/platform/message.ts';
import { startFakeWecom, type FakeWecom } from '../../fakes/wecom-api.ts';

const CORP = 'wwconsenttest';
const CHECKED = Date.parse('2026-05-02T06:30:00.000Z');
let fake: FakeWecom;
let store: Store;
let dir: string;
let section: PersonalSection;

const entry = (id: string) => ({ id, appendStatus: false }) as KnowledgeEntry;
function msg(over: Partial<InboundMessage> = {}): InboundMessage {
  return {
    platform: 'wecom', tenant: CORP, userId: 'zhangsan', chat: { kind: 'single' }, kind: 'text',
    text: '我的客户同意存档了吗', mentionedBot: false, messageId: 'm1', receivedAt: CHECKED, ...over,
  };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'consent-'));
  store = openSqliteStore(join(dir, 'kv.db'));
  fake = await startFakeWecom({ corpId: CORP, secret: 'app', archiveSecret: 'arch' });
  const source = createWecomArchiveSource({
    wecom: { corpId: CORP, agentId: fake.agentId, secret: 'app', token: 't', encodingAESKey: 'k'.repeat(43), apiBase: fake.url },
    archiveSecret: 'arch',
    kv: store,
    log: createLogger('silent'),
    client: { backoffMs: 5 },
  });
  section = createConsentSection({ source, now: () => CHECKED });
  const ids = Array.from({ length: 150 }, (_, i) => `wmZS${i}`);
  fake.setExternalContacts('zhangsan', ids);
  ids.slice(0, 40).forEach((id) => fake.setAgreement('zhangsan', id, 'Agree'));
  ids.slice(40, 50).forEach((id) => fake.setAgreement('zhangsan', id, 'Disagree'));
  fake.setExternalContacts('lisi', ['wmLS1', 'wmLS2']);
  fake.setAgreement('lisi', 'wmLS1', 'Disagree');
});
after(async () => {
  await fake.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => fake.reset());

test('zh-CN: the asker\'s own counts, where they come from, when checked, and what each answer means', async () => {
  const text = (await section(msg(), entry('external-contact-consent'), 'zh-CN'))!;
  assert.match(text, /来源：企业微信，查询于 2026-05-02 06:30 UTC/);
  assert.match(text, /共 150 位，同意 40 位，不同意 10 位，默认同意 100 位。/);
  assert.match(text, /- 同意：/);
  assert.match(text, /- 不同意：.*据集成商介绍/);
  assert.match(text, /- 默认同意：客户尚未作出选择/);
  assert.deepEqual(fake.requests.filter((r) => r.path === '/cgi-bin/externalcontact/list').map((r) => r.query['userid']), ['zhangsan']);
  assert.equal(fake.requests.filter((r) => r.path === '/cgi-bin/msgaudit/check_single_agree').length, 2, '150 contacts = 2 batches');
});

test('en and zh-TW', async () => {
  const en = (await section(msg(), entry('external-contact-consent'), 'en'))!;
  assert.match(en, /^Your external contacts' consent to archiving \(source: WeCom, checked 2026-05-02 06:30 UTC\): 150 in total — 40 agreed, 10 disagreed, 100 default agreement\./);
  assert.match(en, /- Default agreement: the customer has not chosen/);
  const tw = (await section(msg(), entry('external-contact-consent'), 'zh-TW'))!;
  assert.match(tw, /來源：企業微信/);
  assert.match(tw, /不同意 10 位/);
});

test('only ever the asker: another employee asking gets their own two contacts, never zhangsan\'s', async () => {
  const text = (await section(msg({ userId: 'lisi', text: 'zhangsan 的客户同意了吗' }), entry('external-contact-consent'), 'en'))!;
  assert.match(text, /2 in total — 0 agreed, 1 disagreed, 1 default agreement/);
  const asked = fake.requests.filter((r) => r.path === '/cgi-bin/externalcontact/list').map((r) => r.query['userid']);
  assert.deepEqual(asked, ['lisi']);
  for (const r of fake.requests.filter((x) => x.path === '/cgi-bin/msgaudit/check_single_agree')) {
    assert.ok((r.json as { info: { userid: string }[] }).info.every((i) => i.userid === 'lisi'));
  }
});

test('nothing for other topics, other platforms or anonymous askers — and no API call', async () => {
  assert.equal(await section(msg(), entry('am-i-archived'), 'zh-CN'), null);
  assert.equal(await section(msg({ platform: 'dingtalk' }), entry('external-contact-consent'), 'zh-CN'), null);
  assert.equal(await section(msg({ anonymous: true }), entry('external-contact-consent'), 'zh-CN'), null);
  assert.equal(fake.requests.length, 0);
});

test('an employee without customers is told so; a WeCom failure throws (the router says "temporarily unavailable")', async () => {
  assert.match((await section(msg({ userId: 'wangwu' }), entry('external-contact-consent'), 'zh-CN'))!, /企业微信中没有你名下的客户/);
  fake.failNext(48002, 1, { path: '/cgi-bin/externalcontact/list' });
  await assert.rejects(section(msg(), entry('external-contact-consent'), 'en'), { errcode: 48002 });
});

test('a getter source is read at each question; undefined means no section', async () => {
  let current: Parameters<typeof createConsentSection>[0]['source'] | undefined;
  const late = createConsentSection({ source: (platform) => (typeof current === 'function' ? current(platform) : current), now: () => CHECKED });
  assert.equal(await late(msg(), entry('external-contact-consent'), 'en'), null);
  current = createWecomArchiveSource({
    wecom: { corpId: CORP, agentId: fake.agentId, secret: 'app', token: 't', encodingAESKey: 'k'.repeat(43), apiBase: fake.url },
    archiveSecret: 'arch',
    kv: store,
    log: createLogger('silent'),
  });
  assert.match((await late(msg({ userId: 'lisi' }), entry('external-contact-consent'), 'en'))!, /2 in total/);
});

test('formatConsent counts contacts without any answer separately', () => {
  const text = formatConsent({ agree: 1, disagree: 0, defaultAgree: 0, total: 3 }, 'en', new Date(CHECKED), WECOM_PLATFORM_NAME);
  assert.match(text, /3 in total — 1 agreed, 0 disagreed, 0 default agreement, 2 with no answer on record\./);
  assert.match(formatConsent({ agree: 0, disagree: 0, defaultAgree: 0, total: 0 }, 'en', new Date(CHECKED), WECOM_PLATFORM_NAME), /WeCom lists no customers for you\.$/);
  // The platform is named by the source's description, never by src/.
  const other = { en: 'Acme Chat', 'zh-CN': '阿克米', 'zh-TW': '阿克米' };
  assert.match(formatConsent({ agree: 0, disagree: 0, defaultAgree: 0, total: 0 }, 'en', new Date(CHECKED), other), /\(source: Acme Chat, .*Acme Chat lists no customers/);
  assert.doesNotMatch(formatConsent({ agree: 1, disagree: 0, defaultAgree: 0, total: 1 }, 'zh-CN', new Date(CHECKED), other), /企业微信/);
});
