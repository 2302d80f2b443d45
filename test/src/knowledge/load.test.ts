import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadKnowledge, KnowledgeError, type KnowledgeProblem } from '../../../src/knowledge/load.ts';
import { BotError } from '../../../src/errors.ts';

const NOW = new Date('2026-11-29T12:00:00Z');

/** A valid entry; `over` replaces top-level keys (undefined deletes one). */
function entry(id: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    id,
    title: { zh: `标题 ${id}`, en: `Title ${id}` },
    questions: {
      zh: [1, 2, 3, 4, 5].map((n) => `${id} 的问题 ${n}`),
      en: [`${id} question one`, `${id} question two`],
    },
    keywords: ['存档', 'archive'],
    answer: { zh: '可以。细节如下。', en: 'Yes. Details follow.' },
    sources: [{ title: '《个人信息保护法》第十七条 / PIPL art. 17', url: 'https://wechat.estsglobal.com/wechat/law_contents/310' }],
    reviewed: '2026-11-01',
    appendStatus: true,
    platforms: ['wecom'],
  };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete base[k];
    else base[k] = v;
  }
  return base;
}

async function tempDir(t: { after: (fn: () => Promise<void>) => void }, files: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'kb-load-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const [name, content] of Object.entries(files)) {
    await writeFile(path.join(dir, name), typeof content === 'string' ? content : stringify(content));
  }
  return dir;
}

async function problemsOf(dirs: string | string[]): Promise<KnowledgeProblem[]> {
  try {
    await loadKnowledge(dirs, { now: NOW });
  } catch (err) {
    assert.ok(err instanceof KnowledgeError, `expected KnowledgeError, got ${String(err)}`);
    assert.ok(err instanceof BotError);
    assert.equal(err.code, 'KB_INVALID');
    return err.problems;
  }
  assert.fail('expected loadKnowledge to throw');
}

test('loads valid files, skips _ and . files and non-YAML files', async (t) => {
  const dir = await tempDir(t, {
    'a-topic.yaml': entry('a-topic'),
    'b-topic.yml': entry('b-topic', { appendStatus: false, platforms: ['dingtalk', 'feishu'] }),
    '_draft.yaml': 'not: [valid',
    '.hidden.yaml': 'nonsense: true',
    'README.md': '# notes',
  });
  const kb = await loadKnowledge(dir, { now: NOW });
  assert.deepEqual(kb.entries.map((e) => e.id), ['a-topic', 'b-topic']);
  assert.equal(kb.byId.get('b-topic')?.appendStatus, false);
  assert.deepEqual(kb.byId.get('b-topic')?.platforms, ['dingtalk', 'feishu']);
  assert.equal(kb.byId.get('a-topic')?.sources[0]?.url, 'https://wechat.estsglobal.com/wechat/law_contents/310');
  assert.deepEqual(kb.dirs, [path.resolve(dir)]);
});

test('missing field: message names the file and the field path', async (t) => {
  const e = entry('retention');
  e.answer = { zh: '保存多久取决于公司。' };
  const dir = await tempDir(t, { 'retention.yaml': e });
  try {
    await loadKnowledge(dir, { now: NOW });
    assert.fail('should throw');
  } catch (err) {
    assert.ok(err instanceof KnowledgeError);
    assert.deepEqual(err.problems.map((p) => [path.basename(p.file), p.field, p.message]), [['retention.yaml', 'answer.en', 'required']]);
    assert.match(err.message, /retention\.yaml: answer\.en: required$/);
  }
});

test('collects every problem of every file, never a half-loaded base', async (t) => {
  const dir = await tempDir(t, {
    'good-one.yaml': entry('good-one'),
    'bad-one.yaml': entry('bad-one', { keywords: [], platforms: ['slack'] }),
    'bad-two.yaml': entry('bad-two', { title: undefined, appendStatus: 'yes' }),
  });
  const problems = await problemsOf(dir);
  const seen = problems.map((p) => `${path.basename(p.file)} ${p.field}`).sort();
  assert.deepEqual(seen, ['bad-one.yaml keywords', 'bad-one.yaml platforms.0', 'bad-two.yaml appendStatus', 'bad-two.yaml title']);
  assert.equal(problems.find((p) => p.field === 'appendStatus')?.message, 'must be true or false, got string');
  assert.equal(problems.find((p) => p.field === 'title')?.message, 'required');
});

test('bad dates: not a real date, wrong format, in the future', async (t) => {
  const dir = await tempDir(t, {
    'feb-thirty.yaml': entry('feb-thirty', { reviewed: '2026-02-30' }),
    'slashes.yaml': entry('slashes', { reviewed: '2026/11/01' }),
    'future.yaml': entry('future', { reviewed: '2026-12-01' }),
    'today-in-china.yaml': entry('today-in-china', { reviewed: '2026-11-30' }),
  });
  const problems = await problemsOf(dir);
  const byFile = Object.fromEntries(problems.map((p) => [path.basename(p.file), `${p.field}: ${p.message}`]));
  assert.match(byFile['feb-thirty.yaml'] ?? '', /^reviewed: must be a real date/);
  assert.match(byFile['slashes.yaml'] ?? '', /^reviewed: must be a real date/);
  assert.equal(byFile['future.yaml'], 'reviewed: 2026-12-01 is in the future');
  // 12:00 UTC on the 29th is already the 30th east of UTC+12: not an error.
  assert.equal(byFile['today-in-china.yaml'], undefined);
});

test('unknown keys are errors, at any depth, with the allowed keys', async (t) => {
  const e = entry('typo', { answers: 'x' });
  (e.answer as Record<string, string>).fr = 'Oui';
  (e.sources as Record<string, string>[])[0]!.link = 'https://example.org';
  const dir = await tempDir(t, { 'typo.yaml': e });
  const problems = await problemsOf(dir);
  const fields = problems.map((p) => p.field).sort();
  assert.deepEqual(fields, ['answer.fr', 'answers', 'sources.0.link']);
  assert.match(problems.find((p) => p.field === 'answers')!.message, /^unknown key \(allowed: id, title, questions, keywords, answer, detail, leads, sources, reviewed, appendStatus, statusFirst, platforms\)$/);
  assert.match(problems.find((p) => p.field === 'answer.fr')!.message, /allowed: zh, en/);
});

test('statusFirst: accepted with appendStatus, an error without it', async (t) => {
  const dir = await tempDir(t, {
    'leads.yaml': entry('leads', { appendStatus: true, statusFirst: true }),
    'no-status.yaml': entry('no-status', { appendStatus: false, statusFirst: true }),
  });
  const problems = await problemsOf(dir);
  const byFile = Object.fromEntries(problems.map((p) => [path.basename(p.file), `${p.field}: ${p.message}`]));
  assert.equal(byFile['leads.yaml'], undefined);
  assert.equal(byFile['no-status.yaml'], 'statusFirst: true only together with appendStatus: true');
});

test('leads: one short sentence per language, cues required, and the answer with its lead fits one phone screen', async (t) => {
  const ok = { cues: ['关掉', 'turn off'], zh: '要看设置。', en: 'It depends on the settings.' };
  const at1000 = `Yes.\n${'a'.repeat(1000 - 2 - ok.en.length - 5)}`;
  const dir = await tempDir(t, {
    'fine.yaml': entry('fine', { leads: [ok] }),
    'fits.yaml': entry('fits', { answer: { zh: '是。', en: at1000 }, leads: [ok] }),
    'long.yaml': entry('long', { leads: [{ ...ok, zh: `${'长'.repeat(80)}。` }] }),
    'two.yaml': entry('two', { leads: [{ ...ok, en: 'It depends. Ask IT.' }] }),
    'nocue.yaml': entry('nocue', { leads: [{ ...ok, cues: [] }] }),
    'empty.yaml': entry('empty', { leads: [] }),
    'over.yaml': entry('over', { answer: { zh: '是。', en: `${at1000}b` }, leads: [ok] }),
    'extra.yaml': entry('extra', { leads: [{ ...ok, fr: 'Non.' }] }),
  });
  const problems = await problemsOf(dir);
  const byFile = Object.fromEntries(problems.map((p) => [path.basename(p.file), `${p.field}: ${p.message}`]));
  assert.equal(byFile['fine.yaml'], undefined);
  assert.equal(byFile['fits.yaml'], undefined, 'exactly 1,000 characters with the lead and the blank line');
  assert.equal(byFile['long.yaml'], 'leads.0.zh: too long: 81 characters, at most 80 (a lead is the reply\'s first sentence)');
  assert.equal(byFile['two.yaml'], 'leads.0.en: one sentence only (the answer follows it)');
  assert.equal(byFile['nocue.yaml'], 'leads.0.cues: at least one cue required');
  assert.equal(byFile['empty.yaml'], 'leads: leave leads out rather than empty');
  assert.equal(byFile['over.yaml'], 'leads.0.en: with the answer too long: 1001 characters, at most 1000 (one phone screen)');
  assert.equal(byFile['extra.yaml'], 'leads.0.fr: unknown key (allowed: cues, zh, en)');
});

test('duplicate id: an overlay directory replaces it, one directory may not hold it twice', async (t) => {
  const base = await tempDir(t, {
    'shared-topic.yaml': entry('shared-topic'),
    'other-topic.yaml': entry('other-topic'),
  });
  const overlay = await tempDir(t, {
    'shared-topic.yaml': entry('shared-topic', { answer: { zh: '公司版本。', en: 'Company version.' } }),
    'company-only.yaml': entry('company-only'),
  });
  const kb = await loadKnowledge([base, overlay], { now: NOW });
  assert.deepEqual(kb.entries.map((e) => e.id), ['other-topic', 'shared-topic', 'company-only']);
  assert.equal(kb.byId.get('shared-topic')?.answer.en, 'Company version.');
  assert.equal(kb.entries.find((e) => e.id === 'shared-topic')?.answer.en, 'Company version.');
  assert.deepEqual(kb.dirs, [path.resolve(base), path.resolve(overlay)]);

  const same = await tempDir(t, { 'twice.yaml': entry('twice'), 'twice.yml': entry('twice') });
  const problems = await problemsOf(same);
  assert.equal(problems.length, 1);
  assert.equal(problems[0]!.field, 'id');
  assert.match(problems[0]!.message, /duplicate id "twice"/);

  const renamed = await tempDir(t, { 'one.yaml': entry('one'), 'two.yaml': entry('one') });
  const p2 = await problemsOf(renamed);
  assert.deepEqual(p2.map((p) => [path.basename(p.file), p.field, p.message]), [['two.yaml', 'id', '"one" must equal the file name stem "two"']]);
});

test('duplicate phrasings within an entry and across entries (ignoring case and trailing punctuation)', async (t) => {
  const a = entry('alpha');
  (a.questions as { zh: string[] }).zh.push('管理员能看我的聊天吗？', '管理员能看我的聊天吗');
  const b = entry('beta');
  (b.questions as { en: string[] }).en.push('Can my Boss read my chats?');
  const c = entry('gamma');
  (c.questions as { en: string[] }).en.push('can my boss read my chats');
  const dir = await tempDir(t, { 'alpha.yaml': a, 'beta.yaml': b, 'gamma.yaml': c });
  const problems = await problemsOf(dir);
  assert.equal(problems.length, 2);
  assert.deepEqual([path.basename(problems[0]!.file), problems[0]!.field], ['alpha.yaml', 'questions.zh.6']);
  assert.match(problems[0]!.message, /duplicate phrasing/);
  assert.deepEqual([path.basename(problems[1]!.file), problems[1]!.field], ['gamma.yaml', 'questions.en.2']);
  assert.match(problems[1]!.message, /also in entry "beta"/);
});

test('source URLs: https and http accepted, anything else rejected', async (t) => {
  const ok = await tempDir(t, {
    'plain-http.yaml': entry('plain-http', { sources: [{ title: 'PIPL (NPC)', url: 'http://en.npc.gov.cn.cdurl.cn/2021-12/29/c_694559.htm' }] }),
  });
  assert.equal((await loadKnowledge(ok, { now: NOW })).entries.length, 1);
  const dir = await tempDir(t, {
    'ftp-url.yaml': entry('ftp-url', { sources: [{ title: 'x', url: 'ftp://example.org/file' }] }),
    'bare-url.yaml': entry('bare-url', { sources: [{ title: 'x', url: 'www.example.org/page' }] }),
    'no-source.yaml': entry('no-source', { sources: [] }),
    'no-title.yaml': entry('no-title', { sources: [{ title: ' ', url: 'https://example.org' }] }),
  });
  const problems = await problemsOf(dir);
  const byFile = Object.fromEntries(problems.map((p) => [path.basename(p.file), `${p.field}: ${p.message}`]));
  assert.match(byFile['ftp-url.yaml']!, /^sources\.0\.url: must be an absolute https/);
  assert.match(byFile['bare-url.yaml']!, /^sources\.0\.url: must be an absolute https/);
  assert.equal(byFile['no-source.yaml'], 'sources: at least one source required');
  assert.equal(byFile['no-title.yaml'], 'sources.0.title: source title must not be empty');
});

test('Chinese answer is limited to 600 characters, counted as characters not bytes', async (t) => {
  const exactly600 = '短答。' + '隐'.repeat(587) + '\n\n- ' + '私'.repeat(9); // 3 + 587 + '-' + 9 = 600 counted
  const dir1 = await tempDir(t, { 'at-limit.yaml': entry('at-limit', { answer: { zh: exactly600, en: 'ok' } }) });
  assert.equal((await loadKnowledge(dir1, { now: NOW })).entries.length, 1);
  const dir2 = await tempDir(t, { 'too-long.yaml': entry('too-long', { answer: { zh: '短答。' + '隐'.repeat(598), en: 'ok' } }) });
  const problems = await problemsOf(dir2);
  assert.deepEqual(problems.map((p) => `${p.field}: ${p.message}`), [
    'answer.zh: too long: 601 characters, at most 600 (one phone screen, whitespace not counted); move the rest to detail.zh',
  ]);
});

test('English answer is limited to 1,000 characters (spaces counted), detail to the same screen', async (t) => {
  const first = 'Yes. ';
  const at1000 = first + 'a'.repeat(995);
  const dir1 = await tempDir(t, { 'at-limit.yaml': entry('at-limit', { answer: { zh: '是。', en: at1000 }, detail: { zh: '细节。', en: at1000 } }) });
  assert.equal((await loadKnowledge(dir1, { now: NOW })).entries.length, 1);
  const dir2 = await tempDir(t, {
    'too-long.yaml': entry('too-long', { answer: { zh: '是。', en: at1000 + 'b' }, detail: { zh: '细'.repeat(601), en: at1000 + ' c' } }),
  });
  const lines = (await problemsOf(dir2)).map((p) => `${p.field}: ${p.message}`).sort();
  assert.deepEqual(lines, [
    'answer.en: too long: 1001 characters, at most 1000 (one phone screen); move the rest to detail.en',
    'detail.en: too long: 1002 characters, at most 1000 (one phone screen)',
    'detail.zh: too long: 601 characters, at most 600 (one phone screen, whitespace not counted)',
  ]);
});

test('the first sentence must be short and direct: 80 Chinese / 160 English characters', async (t) => {
  const zhOk = '隐'.repeat(79) + '。后面可以很长：' + '私'.repeat(100);
  const enOk = 'It depends on ' + 'x'.repeat(145) + '. Then more text follows here.';
  const dir1 = await tempDir(t, { 'ok.yaml': entry('ok', { answer: { zh: zhOk, en: enOk } }) });
  assert.equal((await loadKnowledge(dir1, { now: NOW })).entries.length, 1);
  const dir2 = await tempDir(t, {
    'rambling.yaml': entry('rambling', { answer: { zh: '隐'.repeat(81) + '。短。', en: 'x'.repeat(161) + '. Short.' } }),
  });
  const lines = (await problemsOf(dir2)).map((p) => `${p.field}: ${p.message}`).sort();
  assert.deepEqual(lines, [
    'answer.en: first sentence too long: 162 characters, at most 160; open with a direct yes / no / it depends on X',
    'answer.zh: first sentence too long: 82 characters, at most 80; open with a direct yes / no / it depends on X',
  ]);
});

test('detail is optional but, when given, needs both languages and nothing else', async (t) => {
  const dir = await tempDir(t, {
    'half.yaml': entry('half', { detail: { zh: '只有中文。' } }),
    'extra.yaml': entry('extra', { detail: { zh: '中文。', en: 'English.', fr: 'Non.' } }),
  });
  const lines = (await problemsOf(dir)).map((p) => `${path.basename(p.file)} ${p.field}: ${p.message}`).sort();
  assert.deepEqual(lines, ['extra.yaml detail.fr: unknown key (allowed: zh, en)', 'half.yaml detail.en: required']);
});

test('too few phrasings, bad id, empty strings', async (t) => {
  const e = entry('few', { questions: { zh: ['一', '二', '三', '四'], en: ['one', ''] } });
  const dir = await tempDir(t, {
    'few.yaml': e,
    'Bad_Id.yaml': entry('Bad_Id'),
  });
  const problems = await problemsOf(dir);
  const lines = problems.map((p) => `${path.basename(p.file)} ${p.field}: ${p.message}`).sort();
  assert.deepEqual(lines, [
    'Bad_Id.yaml id: must be kebab-case (a-z, 0-9, single hyphens)',
    'few.yaml questions.en.1: a phrasing must not be empty',
    'few.yaml questions.zh: at least 5 Chinese phrasings required',
  ]);
});

test('YAML syntax errors and non-mapping documents name the file', async (t) => {
  const dir = await tempDir(t, {
    'broken.yaml': 'id: broken\ntitle: [unclosed\n',
    'list-doc.yaml': '- a\n- b\n',
    'dup-key.yaml': stringify(entry('dup-key')) + 'id: dup-key\n',
  });
  const problems = await problemsOf(dir);
  const byFile = Object.fromEntries(problems.map((p) => [path.basename(p.file), p.message]));
  assert.match(byFile['broken.yaml']!, /^YAML syntax/);
  assert.match(byFile['dup-key.yaml']!, /^YAML syntax.*unique/i);
  assert.equal(byFile['list-doc.yaml'], 'must be a YAML mapping with the keys of one entry');
});

test('a missing or empty directory is an error naming it', async (t) => {
  const good = await tempDir(t, { 'fine.yaml': entry('fine') });
  const empty = await tempDir(t, { 'notes.txt': 'nothing here' });
  await mkdir(path.join(empty, 'sub.yaml')); // a directory named like a file is not a knowledge file
  const missing = path.join(good, 'does-not-exist');
  const problems = await problemsOf([good, empty, missing]);
  assert.deepEqual(
    problems.map((p) => [p.file, p.message]),
    [
      [path.resolve(empty), 'no knowledge files (*.yaml, *.yml) in this directory'],
      [path.resolve(missing), 'directory does not exist'],
    ],
  );
  await assert.rejects(loadKnowledge([], { now: NOW }), { code: 'KB_INVALID' });
});
