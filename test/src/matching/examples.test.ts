// Every example question the product itself shows — help and welcome texts in the three languages, the /try
// placeholder, the README's commands, the knowledge base's titles (the "not sure" suggestions) — and the
// questions of a newcomer's trial land on the right topic, on the real knowledge base.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKnowledge } from '../../../src/knowledge/load.ts';
import { createMatcher } from '../../../src/matching/matcher.ts';
import { messagesFor } from '../../../src/bot/messages.ts';
import { toTaiwanTraditional } from '../../../src/bot/traditional.ts';
import { TRY_PAGE_HTML, TRY_PLACEHOLDER_EXAMPLES } from '../../../src/http/try-page.ts';
import type { Lang } from '../../../src/platform/message.ts';

const repoRoot = path.resolve(fileURLToPath(import.meta.url), '../../../..');
const kb = await loadKnowledge(path.join(repoRoot, 'knowledge'));
const matcher = await createMatcher(kb);

const ADMIN_ACCESS = ['wecom-admin-access', 'dingtalk-admin-access', 'feishu-admin-access'];
/** What each example asks, by its words (punctuation and case ignored). */
const EXPECTED: Record<string, string[]> = {
  公司开了会话存档我能拒绝吗: ['refuse-archiving'],
  公司開了會話存檔我能拒絕嗎: ['refuse-archiving'],
  撤回的消息还会被存档吗: ['recalled-deleted'],
  撤回的訊息還會被存檔嗎: ['recalled-deleted'],
  'are recalled messages still archived': ['recalled-deleted'],
  离职后我的聊天记录会怎样: ['after-leaving'],
  離職後我的聊天記錄會怎樣: ['after-leaving'],
  'what happens to my chats after i leave': ['after-leaving'],
  管理员能看到我的聊天记录吗: ADMIN_ACCESS,
  管理員能看到我的聊天記錄嗎: ADMIN_ACCESS,
  管理员能看到我的聊天吗: ADMIN_ACCESS,
  'can admins read my chats': ADMIN_ACCESS,
  我的聊天有没有被存档: ['am-i-archived'],
  我的聊天有沒有被存檔: ['am-i-archived'],
  'are my chats archived': ['am-i-archived'],
  我可以拒绝会话存档吗: ['refuse-archiving'],
  我可以拒絕會話存檔嗎: ['refuse-archiving'],
  'can i refuse session archiving': ['refuse-archiving'],
  管理员能看我的聊天吗: ADMIN_ACCESS,
  'can my admin read my chats': ADMIN_ACCESS,
  我的会话存档开了吗: ['am-i-archived'],
  'is session archiving (会话存档) on for me': ['am-i-archived'],
  公司监控聊天合法吗: ['legality'],
  公司監控聊天合法嗎: ['legality'],
  'is it legal for my employer to monitor chats': ['legality'],
};
const key = (q: string) => q.toLowerCase().replace(/[?？!！。.,，"“”]/gu, '').trim();

/** The asker's platform decides which admin-access entry answers a question naming none. */
const OWN_PLATFORM: Record<string, string> = { wecom: 'wecom-admin-access', 'wecom-aibot': 'wecom-admin-access', dingtalk: 'dingtalk-admin-access' };

function expectLands(q: string, expected: string[], where: string): void {
  const topic = matcher.match(q).topic;
  assert.ok(topic !== null && expected.includes(topic), `${where}: "${q}" -> ${topic ?? '(declined)'}, expected ${expected.join(' | ')}`);
  if (expected === ADMIN_ACCESS) {
    for (const [platform, entry] of Object.entries(OWN_PLATFORM)) {
      assert.equal(matcher.match(q, { platform }).topic, entry, `${where}: "${q}" asked on ${platform}`);
    }
  }
}

function examplesOf(text: string): string[] {
  const lines = text.split('\n').filter((l) => l.startsWith('- ')).map((l) => l.slice(2));
  const quoted = [...text.matchAll(/[“"]([^”"]+)[”"]/gu)].map((m) => m[1] as string).filter((x) => !/^(帮助|幫助|help|详细|詳細|more)$/iu.test(x));
  return [...lines, ...quoted];
}

test('help and welcome texts: every example lands on its topic (zh-CN, zh-TW, en)', () => {
  let n = 0;
  for (const lang of ['zh-CN', 'zh-TW', 'en'] as Lang[]) {
    const m = messagesFor(lang);
    for (const q of [m.help, m.helpAnonymous, m.helpNoPrivate, m.welcome].flatMap(examplesOf)) {
      const expected = EXPECTED[key(q)];
      assert.ok(expected, `${lang}: example "${q}" has no expected topic in this test: add it`);
      expectLands(q, expected, `${lang} help`);
      n++;
    }
  }
  assert.ok(n >= 3 * 3 * 4, `read ${n} examples`);
});

/** `&quot;` and friends back to text (the page escapes attribute values with src/reply-links.ts escapeHtml). */
const unescapeHtml = (t: string) => t.replace(/&(quot|#39|lt|gt|amp);/g, (_, e: string) => ({ quot: '"', '#39': "'", lt: '<', gt: '>', amp: '&' })[e]!);

test('the /try placeholder examples, read from the served page, land on their topic in zh-CN, zh-TW and en', () => {
  const input = /<input id="q"[^>]*>/.exec(TRY_PAGE_HTML)?.[0] ?? '';
  const data = /data-examples="([^"]*)"/.exec(input)?.[1];
  assert.ok(data, 'the input carries its examples');
  const byLang = JSON.parse(unescapeHtml(data)) as Record<string, string>;
  assert.deepEqual(Object.keys(byLang).sort(), ['en', 'zh-CN', 'zh-TW']);
  assert.deepEqual(byLang, TRY_PLACEHOLDER_EXAMPLES);
  const shown = unescapeHtml(/placeholder="([^"]*)"/.exec(input)?.[1] ?? '').split(/\s*\/\s*/).map((x) => x.replace(/^(例如：|e\.g\. )/, ''));
  assert.equal(shown.length, 2, 'the static placeholder shows a zh and an en example');
  for (const q of [...Object.values(byLang), ...shown]) {
    const expected = EXPECTED[key(q)];
    assert.ok(expected, `/try example "${q}" has no expected topic in this test: add it`);
    expectLands(q, expected, '/try placeholder');
    const onTry = matcher.match(q, { platform: 'try' }).topic;
    assert.ok(onTry !== null && expected.includes(onTry), `/try placeholder "${q}" asked on the page -> ${onTry ?? '(declined)'}`);
  }
});

test('the /try starter questions, read from the served page, land on their topic in zh-CN, zh-TW and en', () => {
  const data = /<div id="log"[^>]*data-starters="([^"]*)"/.exec(TRY_PAGE_HTML)?.[1];
  assert.ok(data, 'the log carries its starter questions');
  const byLang = JSON.parse(unescapeHtml(data)) as Record<string, string[]>;
  assert.deepEqual(Object.keys(byLang).sort(), ['en', 'zh-CN', 'zh-TW']);
  for (const q of Object.values(byLang).flat()) {
    const expected = EXPECTED[key(q)];
    assert.ok(expected, `/try starter "${q}" has no expected topic in this test: add it`);
    expectLands(q, expected, '/try starter');
    const onTry = matcher.match(q, { platform: 'try' }).topic;
    assert.ok(onTry !== null && expected.includes(onTry), `/try starter "${q}" asked on the page -> ${onTry ?? '(declined)'}`);
  }
});

test("the README's example questions (ask commands, quoted questions) land on their topic", () => {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const asks = [...readme.matchAll(/privacy-bot ask (?:--\S+ )*"([^"]+)"|echo "([^"]+)" \| npx privacy-bot ask/gu)].map((m) => (m[1] ?? m[2]) as string);
  // Questions quoted in the text ("…?", “…？”, `…?`) are examples too.
  asks.push(...[...readme.matchAll(/[“"`]([^”"`\n]{4,80}[?？])[”"`]/gu)].map((m) => m[1] as string));
  assert.ok(asks.length >= 3, `found ${asks.length} README examples`);
  for (const q of asks) {
    const expected = EXPECTED[key(q)];
    assert.ok(expected, `README example "${q}" has no expected topic in this test: add it`);
    expectLands(q, expected, 'README');
  }
});

test('every title (shown as a "not sure" suggestion) lands on its own entry in zh-CN, zh-TW and en', () => {
  for (const e of kb.entries) {
    for (const q of [e.title.zh, toTaiwanTraditional(e.title.zh), e.title.en]) expectLands(q, [e.id], `title of ${e.id}`);
  }
});

test("a newcomer's trial: the questions that went wrong land on the right topic", () => {
  const trial: [string, string[]][] = [
    ['公司开了会话存档我能拒绝吗', ['refuse-archiving']],
    ['飞书会被监控吗', ['feishu-admin-access']],
    ['企业微信会被监控吗', ['wecom-admin-access']],
    ['老板能看我微信聊天吗', ['personal-wechat']],
    ['hr can see my wechat private msgs??', ['personal-wechat']],
    ['存档状态@隐私助手', ['am-i-archived']],
    ['我的存档状态', ['am-i-archived']],
  ];
  for (const [q, expected] of trial) expectLands(q, expected, 'trial');
});
