/**
 * The adapters' notice previews (NoticeChannel.preview): each describes what its own sendBatch would
 * send — messages, button, limits — and says when a text is cut or the notice would be refused.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NoticeDelivery, NoticePreview } from '../../src/platform/notices.ts';
import { assertOnly, SAMPLE, single, SINGLE_LANGS } from './notice-language-check.ts';
import { noticePayloads, wecomNoticePreview } from '../../adapters/wecom/notices.ts';
import { dingtalkNoticePreview, noticeMessage } from '../../adapters/dingtalk/notices.ts';
import { feishuNoticePreview } from '../../adapters/feishu/notices.ts';
import { sandboxNoticePreview } from '../../adapters/sandbox/notices.ts';
import { WECOM_CARD_SUBTITLE_MAX_CHARS } from '../../adapters/wecom/limits.ts';

function delivery(body: string, title = '会话存档告知'): NoticeDelivery {
  return {
    broadcastId: 'preview', noticeId: 'n-1', version: 2, ackKey: 'ack:n-1:2', deliveryKey: 'preview-v2',
    title: { zh: title, en: 'Archiving notice', 'zh-TW': '會話存檔告知' },
    body: { zh: body, en: 'Work chats are archived.', 'zh-TW': body },
  };
}

describe('notice previews of the adapters', () => {
  it('WeCom: a short notice is one card with the button; a long one adds the full text first and cuts the card', () => {
    const short = wecomNoticePreview(delivery('工作聊天将被存档。'));
    assert.deepEqual(short.messages.map((m) => [m.kind, m.title, m.button]), [['template_card', '会话存档告知', '确认知悉 / Acknowledge']]);
    assert.equal(short.cut, false);
    const long = wecomNoticePreview(delivery('存'.repeat(300)));
    assert.deepEqual(long.messages.map((m) => m.kind), noticePayloads(delivery('存'.repeat(300)), 't').map((p) => String(p.msgtype)));
    assert.equal(long.messages[0]!.kind, 'text');
    const sub = long.limits.find((l) => l.field === 'sub_title_text')!;
    assert.deepEqual([sub.max, sub.cut, long.cut], [WECOM_CARD_SUBTITLE_MAX_CHARS, true, true]);
    assert.match(long.messages.at(-1)!.text, /全文见上一条消息/);
  });

  it('DingTalk: one markdown message without a button; over the msgParam limit it is refused', () => {
    const p = dingtalkNoticePreview(delivery('工作聊天将被存档。'));
    const sent = JSON.parse(noticeMessage(delivery('工作聊天将被存档。')).msgParam) as { title: string; text: string };
    assert.deepEqual(p.messages, [{ kind: 'sampleMarkdown', title: sent.title, text: sent.text, format: 'markdown', button: null }]);
    assert.equal(p.refused, undefined);
    const big = dingtalkNoticePreview(delivery('存'.repeat(5000)));
    assert.equal(big.refused, 'msgParamTooLarge');
    assert.equal(big.cut, true);
    const longTitle = dingtalkNoticePreview(delivery('x', '标'.repeat(80)));
    assert.equal(longTitle.limits.find((l) => l.field === 'title')!.cut, true);
    assert.equal([...longTitle.messages[0]!.title].length, 64);
  });

  it('Feishu: one card with the header title and button; a card over 30 KB is refused', () => {
    const p = feishuNoticePreview(delivery('工作聊天将被存档。'));
    assert.deepEqual(p.messages.map((m) => [m.kind, m.title, m.button]), [['interactive card', '会话存档告知 | Archiving notice', '确认已读 / Acknowledge']]);
    assert.match(p.messages[0]!.text, /工作聊天将被存档。[\s\S]*---[\s\S]*Work chats are archived\./);
    assert.equal(p.cut, false);
    const huge = delivery('😀'.repeat(5000));
    huge.body.en = '😀'.repeat(5000);
    assert.equal(feishuNoticePreview(huge).refused, 'cardTooLarge', 'two 5000-character bodies of 4-byte characters');
  });

  it('sandbox: the inbox card, nothing cut', () => {
    const p = sandboxNoticePreview(delivery('工作聊天将被存档。'));
    assert.deepEqual(p.messages, [{ kind: 'sandbox card', title: '会话存档告知 / Archiving notice (v2)', text: '工作聊天将被存档。\n\nWork chats are archived.', format: 'text', button: '确认知悉 / Acknowledge' }]);
    assert.deepEqual([p.limits, p.cut], [[], false]);
  });
});

describe('notice previews in one language (NoticeDelivery.language)', () => {
  const previews = { wecom: wecomNoticePreview, dingtalk: dingtalkNoticePreview, feishu: feishuNoticePreview };
  const shown = (p: NoticePreview) => p.messages.flatMap((m) => [m.text, ...(m.title ? [m.title] : []), ...(m.button ? [m.button] : [])]);

  it('each platform previews en, zh-CN and zh-TW in that language only, nothing cut for a short notice', () => {
    for (const [platform, preview] of Object.entries(previews)) {
      for (const lang of SINGLE_LANGS) {
        const p = preview(single(delivery('x'), lang));
        assertOnly(lang, shown(p), `${platform} ${lang}`);
        assert.ok(shown(p).some((t) => t.includes(SAMPLE[lang].body)), `${platform} ${lang}: the body`);
        assert.equal(p.cut, false, `${platform} ${lang}`);
      }
    }
  });

  it('the check is not vacuous: a bilingual preview fails it in every language', () => {
    for (const [platform, preview] of Object.entries(previews)) {
      const p = preview(delivery('工作聊天将被存档。'));
      for (const lang of SINGLE_LANGS) assert.throws(() => assertOnly(lang, shown(p), platform), assert.AssertionError, `${platform} ${lang}`);
    }
  });
});
