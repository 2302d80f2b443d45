import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isGreeting, isHelpRequest, isThanks, platformFollowUp, suggestionChoice } from '../../../src/bot/intents.ts';

describe('intents', () => {
  it('recognises a follow-up naming a platform in any spelling the lexicon knows', () => {
    for (const [t, want] of [['what about lark?', 'feishu'], ['How about DingTalk', 'dingtalk'], ['and WeCom?', 'wecom'], ['what about wechat work', 'wecom'], ['那钉钉呢', 'dingtalk'], ['飞书呢？', 'feishu'], ['企微的呢', 'wecom'], ['換成釘釘呢', 'dingtalk'], ['那飛書的呢', 'feishu']] as const) assert.equal(platformFollowUp(t), want, t);
    for (const t of ['钉钉', 'lark', 'what about the weather', '那工资呢', 'and how long is it kept', '钉钉管理员能看我的聊天吗']) assert.equal(platformFollowUp(t), null, t);
  });
  it('recognises help requests in both languages', () => {
    for (const t of ['帮助', 'help', 'HELP', '菜单', '?', '？', ' 帮助 ', 'help!', '你是谁？', '你是誰', 'Who are you?', 'what can you do']) assert.equal(isHelpRequest(t), true, t);
    for (const t of ['帮助我看看管理员能不能看聊天', 'helpdesk', '怎么', '你是谁的管理员', 'who are you sending this to']) assert.equal(isHelpRequest(t), false, t);
  });
  it('recognises bare greetings and thanks but not questions that start with one', () => {
    for (const t of ['你好', '您好！', 'hi', 'Hello!!', '谢谢', 'thanks', 'Thank you.']) assert.equal(isGreeting(t), true, t);
    for (const t of ['你好，管理员能看我聊天吗', 'hi can admins read my chats']) assert.equal(isGreeting(t), false, t);
    for (const t of ['谢谢', '謝謝！', 'thanks', 'Thank you.', '好的', 'ok', '👍']) assert.equal(isThanks(t), true, t);
    for (const t of ['你好', 'hi', '谢谢你告诉我，那离职以后呢']) assert.equal(isThanks(t), false, t);
  });
  it('reads a suggestion number in ASCII, full width or Chinese', () => {
    assert.equal(suggestionChoice('1'), 1);
    assert.equal(suggestionChoice('２'), 2);
    assert.equal(suggestionChoice('三'), 3);
    assert.equal(suggestionChoice('第2个'), 2);
    assert.equal(suggestionChoice('3。'), 3);
    assert.equal(suggestionChoice('4'), null);
    assert.equal(suggestionChoice('12'), null);
    assert.equal(suggestionChoice('1 个问题'), null);
  });
});
