import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isGreeting, isHelpRequest, isThanks, suggestionChoice } from '../../../src/bot/intents.ts';

describe('intents', () => {
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
