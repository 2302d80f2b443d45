/**
 * The knowledge base must not contain near-copies of evaluation questions (gains must come from better
 * matching and knowledge, never from copying the dev set). content.test.ts already rejects verbatim copies; this
 * file rejects phrasings that are the same question with a word or two changed. Evaluation questions: the dev set
 * (../shared/eval/dev.jsonl, else its copy in test/fixtures) and our two held-out sets, whose figures would be
 * inflated the same way. Titles are treated apart (see the title tests below).
 *
 * Similarity of a KB phrasing (or title) and an evaluation question, both passed through normalizeQuestion
 * (mentions, traditional -> simplified, typo repair, English glossary):
 * - both Chinese (contain Han characters): Dice coefficient of the sets of character bigrams (spaces removed);
 * - both English: Dice coefficient of the sets of words (the glossary has already folded chat/message, admin …);
 * - one of each: 0 (a translation is not a copy).
 *
 * A pair is a near-copy when
 * - the phrasing's entry is one of the question's accepted topics and similarity >= {@link SAME_TOPIC_THRESHOLD}, or
 * - similarity >= {@link ANY_TOPIC_THRESHOLD} whatever the entries (out-of-scope questions included).
 *
 * How the thresholds were chosen (measured on the KB as it was before the clean-up, against dev, holdout and
 * holdout2): same-topic pairs at 0.70 and above were all copies with one or two words swapped or added
 * ("你会记录我问的问题吗" ~ "你会记录我问你的问题吗" 0.84, "在企业微信里聊私事公司能看到吗" ~ "…会被公司看到吗" 0.76,
 * "Is it legal for my employer to monitor work chats in China?" ~ "…monitor my chats?" 0.86, "个人信息保护法对监控员工聊天
 * 是怎么规定的" ~ "…对员工聊天监控怎么规定的" 0.81). Between 0.60 and 0.70 most pairs were still copies ("撤回的消息公司还能
 * 看到吗" ~ "撤回的消息管理员还能看到吗" 0.70, "查询我的存档状态" ~ "查一下我的存档状态" 0.67, "存档能存到图片和语音吗" ~
 * "存档会保存图片和语音吗" 0.60), with a few short English questions that merely share their frame ("Are WeCom chats
 * end-to-end encrypted?" ~ "Are my messages encrypted?" 0.67). Below 0.60 genuinely different questions about the
 * same topic dominate ("钉钉的已读未读对方看得到吗" ~ "钉钉的已读未读怎么关掉" 0.55, "什么是会话存档" ~ "会话内容存档是
 * 什么功能" 0.57). A missed copy inflates the measured accuracy while a false alarm only costs a rewrite, so the
 * threshold sits at the low end of the copy band: 0.60. Across topics, the same template with another platform
 * ("Can my WeCom admin see my messages?" ~ "Can DingTalk admins see my chats?" 0.83) is a different question, so
 * only near-verbatim pairs (>= 0.90) count there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadKnowledge } from '../../../src/knowledge/load.ts';
import { normalizeQuestion } from '../../../src/matching/normalize.ts';

/** Near-copy threshold for a phrasing of an entry the question is labelled with (see the file comment). */
const SAME_TOPIC_THRESHOLD = 0.6;
/** Near-copy threshold for any other pair, out-of-scope questions included. */
const ANY_TOPIC_THRESHOLD = 0.9;

const repoRoot = path.resolve(fileURLToPath(import.meta.url), '../../../..');
const kbDir = path.join(repoRoot, 'knowledge');
const sharedDev = path.resolve(repoRoot, '../shared/eval/dev.jsonl');
/**
 * Evaluation sets kept out of the knowledge base: the team's dev set, our two held-out sets, both halves of
 * blind set 1 (test/fixtures/blind: the tuning half is looked at while tuning, so it is where copying could
 * creep in; the test half must never be copied either), the validation set and blind sets 2 to 8.
 */
const EVAL_FILES = [
  existsSync(sharedDev) ? sharedDev : path.join(repoRoot, 'test/fixtures/dev.jsonl'),
  path.join(repoRoot, 'test/fixtures/holdout.jsonl'),
  path.join(repoRoot, 'test/fixtures/holdout2.jsonl'),
  path.join(repoRoot, 'test/fixtures/blind/blind1.jsonl'),
  path.join(repoRoot, 'test/fixtures/blind/valid.jsonl'),
  path.join(repoRoot, 'test/fixtures/blind/blind2.jsonl'),
  path.join(repoRoot, 'test/fixtures/blind/blind3.jsonl'),
  path.join(repoRoot, 'test/fixtures/blind/blind4.jsonl'),
  path.join(repoRoot, 'test/fixtures/blind/blind5.jsonl'),
  path.join(repoRoot, 'test/fixtures/blind/blind6.jsonl'),
  path.join(repoRoot, 'test/fixtures/blind/blind7.jsonl'),
  path.join(repoRoot, 'test/fixtures/blind/blind8.jsonl'),
  path.join(repoRoot, 'test/fixtures/blind/blind9.jsonl'),
  path.join(repoRoot, 'test/fixtures/blind/blind10.jsonl'),
  path.join(repoRoot, 'test/fixtures/blind/blind11.jsonl'),
  path.join(repoRoot, 'test/fixtures/blind/blind12.jsonl'),
  path.join(repoRoot, 'test/fixtures/blind/blind13.jsonl'),
  path.join(repoRoot, 'test/fixtures/blind/blind14.jsonl'),
  path.join(repoRoot, 'test/fixtures/blind/blind15.jsonl'),
  path.join(repoRoot, 'test/fixtures/blind/blind16.jsonl'),
  path.join(repoRoot, 'test/fixtures/blind/blind17.jsonl'),
  path.join(repoRoot, 'test/fixtures/blind/blind18.jsonl'),
  path.join(repoRoot, 'test/fixtures/blind/blind19.jsonl'),
  path.join(repoRoot, 'test/fixtures/blind/blind20.jsonl'),
  path.join(repoRoot, 'test/fixtures/blind/blind21.jsonl'),
  path.join(repoRoot, 'test/fixtures/blind/blind22.jsonl'),
  path.join(repoRoot, 'test/fixtures/blind/blind23.jsonl'),
  path.join(repoRoot, 'test/fixtures/blind/blind24.jsonl'),
  path.join(repoRoot, 'test/fixtures/blind/blind25.jsonl'),
];

/**
 * Blind sets 2, 3 and 4 were written by authors who never saw the knowledge base, after some of its phrasings
 * existed; where one of those phrasings resembles one of their questions, both sides wrote the obvious question
 * independently. Those pairs are not copies; every phrasing added after a set was frozen and first run is checked
 * against it like against every other set. Per set, the list of texts that existed before (the first 16 hex digits
 * of each text's SHA-256, made with `node --import tsx bench/kb-text-hashes.ts`):
 * - blind sets 2 and 3: test/fixtures/blind/kb-texts-before-blind3.txt (frozen 2026-12-05 with blind set 3);
 * - blind set 4: test/fixtures/blind/kb-texts-before-blind4.txt (the texts of the third tuning round included: it
 *   ran in a checkout without blind set 4, before that set's first run);
 * - blind sets 5 to 37: kb-texts-before-blind5.txt … kb-texts-before-blind37.txt, made the same way before
 *   each set's first run.
 */
const hashList = (name: string): Set<string> =>
  new Set(
    readFileSync(path.join(repoRoot, 'test/fixtures/blind', name), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#')),
  );
const BEFORE_BLIND3 = hashList('kb-texts-before-blind3.txt');
const WRITTEN_AFTER_KB = new Map<string, Set<string>>([
  ['blind2.jsonl', BEFORE_BLIND3],
  ['blind3.jsonl', BEFORE_BLIND3],
  ['blind4.jsonl', hashList('kb-texts-before-blind4.txt')],
  ['blind5.jsonl', hashList('kb-texts-before-blind5.txt')],
  ['blind6.jsonl', hashList('kb-texts-before-blind6.txt')],
  ['blind7.jsonl', hashList('kb-texts-before-blind7.txt')],
  ['blind8.jsonl', hashList('kb-texts-before-blind8.txt')],
  ['blind9.jsonl', hashList('kb-texts-before-blind9.txt')],
  ['blind10.jsonl', hashList('kb-texts-before-blind10.txt')],
  ['blind11.jsonl', hashList('kb-texts-before-blind11.txt')],
  ['blind12.jsonl', hashList('kb-texts-before-blind12.txt')],
  ['blind13.jsonl', hashList('kb-texts-before-blind13.txt')],
  ['blind14.jsonl', hashList('kb-texts-before-blind14.txt')],
  ['blind15.jsonl', hashList('kb-texts-before-blind15.txt')],
  ['blind16.jsonl', hashList('kb-texts-before-blind16.txt')],
  ['blind17.jsonl', hashList('kb-texts-before-blind17.txt')],
  ['blind18.jsonl', hashList('kb-texts-before-blind18.txt')],
  ['blind19.jsonl', hashList('kb-texts-before-blind19.txt')],
  ['blind20.jsonl', hashList('kb-texts-before-blind20.txt')],
  ['blind21.jsonl', hashList('kb-texts-before-blind21.txt')],
  ['blind22.jsonl', hashList('kb-texts-before-blind22.txt')],
  ['blind23.jsonl', hashList('kb-texts-before-blind23.txt')],
  ['blind24.jsonl', hashList('kb-texts-before-blind24.txt')],
  ['blind25.jsonl', hashList('kb-texts-before-blind25.txt')],
  ['blind26.jsonl', hashList('kb-texts-before-blind26.txt')],
  ['blind27.jsonl', hashList('kb-texts-before-blind27.txt')],
  ['blind28.jsonl', hashList('kb-texts-before-blind28.txt')],
  ['blind29.jsonl', hashList('kb-texts-before-blind29.txt')],
  ['blind30.jsonl', hashList('kb-texts-before-blind30.txt')],
  ['blind31.jsonl', hashList('kb-texts-before-blind31.txt')],
  ['blind32.jsonl', hashList('kb-texts-before-blind32.txt')],
  ['blind33.jsonl', hashList('kb-texts-before-blind33.txt')],
  ['blind34.jsonl', hashList('kb-texts-before-blind34.txt')],
  ['blind35.jsonl', hashList('kb-texts-before-blind35.txt')],
  ['blind36.jsonl', hashList('kb-texts-before-blind36.txt')],
  ['blind37.jsonl', hashList('kb-texts-before-blind37.txt')],
]);
const shortHash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);

const HAN = /\p{Script=Han}/u;

interface Shingles {
  lang: 'zh' | 'en';
  set: Set<string>;
}

/** Character bigrams (Chinese) or words (English) of the normalised text. */
function shingles(text: string): Shingles {
  const n = normalizeQuestion(text);
  if (HAN.test(text)) {
    const chars = Array.from(n.replace(/\s+/gu, ''));
    const set = new Set<string>();
    for (let i = 0; i + 1 < chars.length; i++) set.add(`${chars[i]}${chars[i + 1]}`);
    if (chars.length === 1) set.add(chars[0] as string);
    return { lang: 'zh', set };
  }
  return { lang: 'en', set: new Set(n.split(' ').filter(Boolean)) };
}

/** Dice coefficient of two shingle sets; 0 when the languages differ. */
function similarity(a: Shingles, b: Shingles): number {
  if (a.lang !== b.lang) return 0;
  const total = a.set.size + b.set.size;
  if (total === 0) return 0;
  let shared = 0;
  for (const x of a.set) if (b.set.has(x)) shared++;
  return (2 * shared) / total;
}

const sim = (a: string, b: string): number => similarity(shingles(a), shingles(b));

interface EvalQuestion {
  file: string;
  /** 1-based line in the file. */
  line: number;
  q: string;
  topics: string[];
}

function evalQuestions(): EvalQuestion[] {
  const out: EvalQuestion[] = [];
  for (const file of EVAL_FILES) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((text, i) => {
        if (!text.trim()) return;
        const { q, topics } = JSON.parse(text) as { q: string; topics: string[] };
        out.push({ file: path.basename(file), line: i + 1, q, topics });
      });
  }
  return out;
}

test('similarity: the near-copies that prompted this test score at or above the threshold', () => {
  const copies: Array<[string, string]> = [
    ['你会记录我问的问题吗', '你会记录我问你的问题吗'],
    ['在企业微信里聊私事公司能看到吗', '在企业微信里聊私事会被公司看到吗'],
    ['Is it legal for my employer to monitor work chats in China?', 'Is it legal for my employer to monitor my chats?'],
    ['个人信息保护法对监控员工聊天是怎么规定的', '个人信息保护法对员工聊天监控怎么规定的'],
    ['撤回的消息公司还能看到吗', '撤回的消息管理员还能看到吗'],
    ['存档能存到图片和语音吗', '存档会保存图片和语音吗'],
    // normalisation first: traditional characters, @-mentions and typos do not hide a copy
    ['@隐私助手 會話存檔都存哪些內容？', '会话存挡都存哪些内容'],
  ];
  for (const [a, b] of copies) assert.ok(sim(a, b) >= SAME_TOPIC_THRESHOLD, `${a} ~ ${b}: ${sim(a, b).toFixed(3)}`);
});

test('similarity: different questions about the same topic stay below the threshold', () => {
  const different: Array<[string, string]> = [
    ['钉钉的已读未读对方看得到吗', '钉钉的已读未读怎么关掉'],
    ['会话内容存档是什么功能', '什么是会话存档'],
    ['HR能不能调出我和同事的私聊', '企业微信的管理员能看到我的聊天记录吗'],
    ['Can IT pull up my old conversations?', 'Can my manager read my WeCom messages?'],
    ['Who decides whether my account is archived?', 'Can I opt out of chat archiving?'],
  ];
  for (const [a, b] of different) assert.ok(sim(a, b) < SAME_TOPIC_THRESHOLD, `${a} ~ ${b}: ${sim(a, b).toFixed(3)}`);
  assert.equal(sim('聊天记录是加密的吗', 'Are my messages encrypted?'), 0, 'a translation is not a copy');
  // the same template for another platform is another topic's question: only the near-verbatim bound applies
  const otherPlatform = sim('Can my WeCom admin see my messages?', 'Can DingTalk admins see my chats?');
  assert.ok(otherPlatform >= SAME_TOPIC_THRESHOLD && otherPlatform < ANY_TOPIC_THRESHOLD, otherPlatform.toFixed(3));
});

interface Text {
  id: string;
  text: string;
  sh: Shingles;
  /** The text's short SHA-256 (see WRITTEN_AFTER_KB), computed once. */
  hash?: string;
}

/** Near-copies among `texts`: same-topic pairs at `sameTopic` and above, any pair at ANY_TOPIC_THRESHOLD. */
function nearCopies(texts: Text[], sameTopic: number): string[] {
  const offenders: string[] = [];
  for (const { file, line, q, topics } of evalQuestions()) {
    const qs = shingles(q);
    const before = WRITTEN_AFTER_KB.get(file);
    for (const p of texts) {
      if (before?.has((p.hash ??= shortHash(p.text)))) continue;
      const s = similarity(qs, p.sh);
      // An out-of-scope example (id '') is of the same "topic" as the questions labelled out of scope.
      const same = p.id === '' ? topics.length === 0 : topics.includes(p.id);
      const threshold = same ? sameTopic : ANY_TOPIC_THRESHOLD;
      // The evaluation question is named by file and line, never printed: the dev set and blind set 1's test half
      // are not to be read by whoever fixes the knowledge base.
      if (s >= threshold) offenders.push(`${s.toFixed(3)} ${p.id}: "${p.text}" ~ ${file} line ${line}`);
    }
  }
  return offenders.sort().reverse();
}

const report = (offenders: string[]) =>
  `${offenders.length} near-copies (similarity, entry, KB text ~ file and line of the evaluation question):\n${offenders.join('\n')}`;

test('the evaluation sets are all read', () => {
  const questions = evalQuestions();
  assert.ok(questions.length >= 3300, `expected dev + holdout + holdout2 + blind1 + valid + blind2 + blind3 + blind4 (3,300+ questions), read ${questions.length}`);
});

test('no phrasing of the knowledge base is a near-copy of an evaluation question', async () => {
  const kb = await loadKnowledge(kbDir);
  const texts = kb.entries.flatMap((e) => [...e.questions.zh, ...e.questions.en].map((text) => ({ id: e.id, text, sh: shingles(text) })));
  const offenders = nearCopies(texts, SAME_TOPIC_THRESHOLD);
  assert.equal(offenders.length, 0, report(offenders));
});

test('no out-of-scope example of the lexicon is a near-copy of an evaluation question', () => {
  // The examples play the part of one more topic, "(out of scope)": held to the same-topic bound against the
  // evaluation questions the bot must decline, and to the near-verbatim bound against every other question.
  const file = path.join(repoRoot, 'knowledge/lexicon/out-of-scope.yaml');
  const doc = parse(readFileSync(file, 'utf8')) as { zh: string[]; en: string[] };
  const texts = [...doc.zh, ...doc.en].map((text) => ({ id: '', text, sh: shingles(text) }));
  const offenders = nearCopies(texts, SAME_TOPIC_THRESHOLD);
  assert.equal(offenders.length, 0, report(offenders));
});

// Titles restate the topic definitions of ../shared/eval/topics.tsv, the specification the evaluation sets were
// written against (the English titles are its wording), so a title shares its topic's canonical question by
// design and is held only to the near-verbatim bound here. Measured 2026-11-29: 16 titles are at or above
// SAME_TOPIC_THRESHOLD against an evaluation question of their own topic; with every title blanked the matcher
// scores dev 91.1% / holdout 86.4% / holdout2 94.7% in scope instead of 96.2% / 91.5% / 100%. Decision (lead):
// titles stay as the specification's wording — the topic catalogue is given to us, the questions are not — and are
// held only to the near-verbatim bound.
test('no title of the knowledge base is a near-verbatim copy of an evaluation question', async () => {
  const kb = await loadKnowledge(kbDir);
  const texts = kb.entries.flatMap((e) => [e.title.zh, e.title.en].map((text) => ({ id: e.id, text, sh: shingles(text) })));
  const offenders = nearCopies(texts, ANY_TOPIC_THRESHOLD);
  assert.equal(offenders.length, 0, report(offenders));
});
