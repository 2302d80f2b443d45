/**
 * The ranking changes made for questions nobody tuned for (bench/cv.ts), measured with the classifier off (each is a
 * feature of the token-evidence ranking, which the classifier is fused with): each is seen doing its job with the
 * option on and not doing it with the option off, on the real knowledge base. The questions are written for this
 * test, not taken from an evaluation set.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadKnowledge } from '../../../src/knowledge/load.ts';
import { buildMatcher, type ExplainingMatcher } from '../../../src/matching/matcher.ts';
import type { KnowledgeBase } from '../../../src/knowledge/types.ts';
import { CUE_BOT, CUE_HOW_TO, CUE_SELF_STATUS } from '../../../src/matching/vocabulary.ts';

const kbDir = fileURLToPath(new URL('../../../knowledge', import.meta.url));
let kb: KnowledgeBase;
let on: ExplainingMatcher;

before(async () => {
  kb = await loadKnowledge(kbDir);
  on = await buildMatcher(kb, { classifier: false });
});

describe('generalising matcher changes', () => {
  it('a 4+ character stop word is dropped whole, not split into 可不 / 不可', async () => {
    const off = await buildMatcher(kb, { classifier: false, keepStopCompounds: false });
    const q = '可不可以关掉会话存档';
    assert.ok(!on.tokenize(q).some((t) => t === '可不' || t === '不可'), on.tokenize(q).join(' '));
    assert.ok(off.tokenize(q).some((t) => t === '可不' || t === '不可'), 'without the option the parts appear');
  });

  it('cue patterns read a question written word by word as unspaced Chinese', async () => {
    const off = await buildMatcher(kb, { classifier: false, joinHanSpaces: false });
    const q = '我 的 账号 有没有 被 存档';
    assert.ok(on.tokenize(q).includes(CUE_SELF_STATUS));
    assert.ok(!off.tokenize(q).includes(CUE_SELF_STATUS));
  });

  it('an app how-to question carries the how-to cue and a privacy question does not', () => {
    assert.ok(on.tokenize('飞书的消息怎么撤回').includes(CUE_HOW_TO));
    assert.ok(on.tokenize('how do i recall a message').includes(CUE_HOW_TO));
    assert.ok(!on.tokenize('撤回的消息公司还能看到吗').includes(CUE_HOW_TO));
  });

  it('a message that only names the bot is declined; a question to the bot is answered', async () => {
    const off = await buildMatcher(kb, { classifier: false, addresseeNotConcept: false });
    for (const q of ['hello bot', '@bot hey bot']) {
      assert.equal(on.match(q).topic, null, q);
      assert.notEqual(off.match(q).topic, null, `${q}: without the rule the bot's name alone answers`);
    }
    assert.equal(on.match('机器人会把我问的问题存下来吗').topic, 'bot-privacy');
  });

  it('a Latin word of up to 3 letters matches whole words only', async () => {
    const off = await buildMatcher(kb, { classifier: false, latinWholeWord: false });
    const hitsOf = (m: ExplainingMatcher) => m.explain('ma').candidates.length;
    assert.equal(hitsOf(on), 0, '"ma" is no word of any phrasing');
    assert.ok(hitsOf(off) > 0, 'as a substring it hits words such as manager');
  });

  it('a question naming no platform ranks the Feishu / DingTalk-only entries lower, unless asked from that platform', async () => {
    const off = await buildMatcher(kb, { classifier: false, unnamedPlatform: 1 });
    const q = '管理员能看我的私聊吗';
    const rankOf = (m: ExplainingMatcher, id: string, platform?: string) =>
      m.explain(q, platform ? { platform } : undefined).candidates.find((c) => c.id === id)?.rank ?? 0;
    for (const id of ['feishu-admin-access', 'dingtalk-admin-access']) {
      assert.ok(rankOf(off, id) > 0, id);
      assert.ok(Math.abs(rankOf(on, id) - 0.5 * rankOf(off, id)) < 1e-9, `${id}: halved when no platform is named`);
    }
    assert.equal(rankOf(on, 'wecom-admin-access'), rankOf(off, 'wecom-admin-access'), 'WeCom entries are not touched');
    assert.equal(rankOf(on, 'feishu-admin-access', 'feishu'), rankOf(off, 'feishu-admin-access', 'feishu'), 'asked from Feishu');
    assert.equal(on.match('飞书管理员能看我的私聊吗').topic, 'feishu-admin-access');
  });

  it('a question about the company archive that does not address the bot does not land on bot-privacy', async () => {
    const off = await buildMatcher(kb, { classifier: false, addressCue: false });
    const q = '我的聊天记录会保存多久？谁能看？';
    assert.ok(!on.tokenize(q).includes(CUE_BOT));
    assert.equal(off.match(q).topic, 'bot-privacy', 'without the cue the bot entry wins on 保存 and 谁能看');
    assert.ok(['retention', 'archive-viewers'].includes(on.match(q).topic ?? ''), String(on.match(q).topic));
    assert.equal(on.match('你自己是不是也会把我问的东西记下来').topic, 'bot-privacy');
  });

  it('an English question to the bot carries the bot token: "who can see my questions to you", "this chat with you"', () => {
    assert.ok(on.tokenize('who can see my questions to you').includes(CUE_BOT));
    assert.ok(on.tokenize('is this chat with you logged').includes(CUE_BOT));
    assert.ok(!on.tokenize('who can see the archive').includes(CUE_BOT));
  });

  it('an app how-to question ranks entries that never ask how-to lower, so the how-to examples decline it', async () => {
    const off = await buildMatcher(kb, { classifier: false, howToMissing: 1 });
    const q = 'how do i recall a msg in wecom';
    assert.equal(off.match(q).topic, 'recalled-deleted', 'without the factor the recall entry answers an app how-to');
    assert.equal(on.match(q).topic, null);
    assert.equal(on.match('撤回的消息公司还能看到吗').topic, 'recalled-deleted', 'the privacy question is still answered');
  });

  it('a question about pay, leave or probation is declined unless the best topic itself mentions the word', async () => {
    const off = await buildMatcher(kb, { classifier: false, markerMissing: 1 });
    const q = '试用期公司随便辞退我合法吗';
    assert.notEqual(off.match(q).topic, null, 'without the markers the dismissal words answer it');
    assert.equal(on.match(q).topic, null);
    assert.equal(on.match('公司能拿我的聊天记录当辞退的证据吗').topic, 'evidence-in-disputes', 'no marker: answered');
    // A story may mention pay on the way: only the final question's markers count.
    const story = '上周工资条发错了群，大家都看到了彼此的工资，我很生气，后来想到另一件事，公司管理员能看到我们的私聊内容吗';
    assert.notEqual(on.match(story).topic, null, on.match(story).topic ?? 'declined');
  });
});
