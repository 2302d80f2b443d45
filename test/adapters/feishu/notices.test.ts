import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BroadcastWorker } from '../../../src/notices/worker.ts';
import { createLogger } from '../../../src/log.ts';
import { cardActionEvent, postCallback, readEvent } from '../../fakes/feishu-api.ts';
import { ENCRYPT_KEY, VERIFICATION_TOKEN, startFeishuHarness, type FeishuHarness } from './harness.ts';
import { ackAnswer, acknowledgedCard, FEISHU_NOTICE_LABELS, noticeCard, retryAnswer } from '../../../adapters/feishu/cards.ts';
import type { NoticeDelivery } from '../../../src/platform/notices.ts';
import { assertOnly, SAMPLE, single, SINGLE_LANGS } from '../notice-language-check.ts';

/** Every text a card shows: the `content` of its plain_text and markdown parts, in order. */
function visibleTexts(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(visibleTexts);
  if (node === null || typeof node !== 'object') return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(node)) {
    if (k === 'content' && typeof v === 'string') out.push(v);
    else out.push(...visibleTexts(v));
  }
  return out;
}

const A = 'ou_employee_a00000000000000000001';
const B = 'ou_employee_b00000000000000000002';
const C = 'ou_employee_c00000000000000000003';

const CONTENT = {
  title: { zh: '会话存档通知', en: 'Chat archiving notice' },
  body: { zh: '公司将对工作群聊进行存档。', en: 'The company archives work group chats.' },
};

describe('Feishu notices end to end (cards, acknowledgement, read receipts, audience)', () => {
  let h: FeishuHarness;
  let worker: BroadcastWorker;
  before(async () => {
    h = await startFeishuHarness();
    worker = new BroadcastWorker({ service: h.core.notices, log: createLogger('silent'), kv: h.core.store, readPollMs: 1 });
  });
  after(async () => {
    await h.close();
  });

  async function broadcast(audience: unknown): Promise<string> {
    const notice = await h.core.notices.createNotice(CONTENT);
    const b = await h.core.notices.createBroadcast({ noticeId: notice.noticeId, platform: 'feishu', audience, createdBy: 'api' });
    await worker.tick();
    return b.id;
  }

  it('resolves "all" through find_by_department with every child department, deduplicated', async () => {
    h.fake.setDirectory([
      { id: '0', parentId: '', members: [A] },
      { id: 'od-sales', parentId: '0', members: [B, A] },
      { id: 'od-sales-east', parentId: 'od-sales', members: [C] },
    ]);
    const users = await h.adapter.noticeChannel!.resolveAudience({ all: true });
    assert.deepEqual([...users].sort(), [A, B, C].sort());
    assert.deepEqual([...(await h.adapter.noticeChannel!.resolveAudience({ departmentIds: ['od-sales'] }))].sort(), [A, B, C].sort());
  });

  it('reports each department outside the contact scope by id and code', async () => {
    h.fake.setDirectory([
      { id: '0', parentId: '', members: [] },
      { id: 'od-hr', parentId: '0', members: [A], outOfScope: true },
      { id: 'od-legal', parentId: '0', members: [B], outOfScope: true },
      { id: 'od-ops', parentId: '0', members: [C] },
    ]);
    await assert.rejects(h.adapter.noticeChannel!.resolveAudience({ departmentIds: ['od-hr', 'od-ops', 'od-legal'] }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'FEISHU_DEPARTMENT_OUT_OF_SCOPE');
      assert.match(err.message, /od-hr \(code 40004\)/);
      assert.match(err.message, /od-legal \(code 40004\)/);
      assert.doesNotMatch(err.message, /od-ops/);
      return true;
    });
  });

  it('sends one 1:1 card per employee; two clicks on the button acknowledge once and update the card', async () => {
    h.fake.sent.length = 0;
    const id = await broadcast({ userIds: [A, B] });
    const cards = h.fake.sent.filter((s) => s.msgType === 'interactive');
    assert.equal(cards.length, 2);
    assert.deepEqual(cards.map((c) => [c.receiveIdType, c.receiveId]).sort(), [['open_id', A], ['open_id', B]]);
    const card = cards.find((c) => c.receiveId === A)!;
    const button = (card.content.body as { elements: Record<string, unknown>[] }).elements.find((e) => e.tag === 'button')!;
    const behaviors = button.behaviors as { type: string; value: { ack: string } }[];
    assert.equal(behaviors[0]!.type, 'callback');
    assert.match(behaviors[0]!.value.ack, /^ack:[A-Za-z0-9_-]+:1$/);
    let view = await h.core.notices.getBroadcast(id);
    assert.equal(view.counts.sent, 2);

    h.fake.sent.length = 0;
    const click = () =>
      postCallback(
        h.callbackUrl,
        cardActionEvent({ appId: h.fake.appId, token: VERIFICATION_TOKEN, openId: A, openMessageId: card.messageId, value: behaviors[0]!.value }),
        { encryptKey: ENCRYPT_KEY },
      );
    const first = await click();
    assert.equal(first.status, 200);
    const answer = (await first.json()) as { toast: { type: string }; card?: { type: string; data: { body: { elements: Record<string, unknown>[] } } } };
    assert.equal(answer.toast.type, 'success');
    const updated = answer.card!.data.body.elements.find((e) => e.tag === 'button')!;
    assert.equal(updated.disabled, true);
    assert.equal(updated.behaviors, undefined);
    const second = await click();
    assert.equal(second.status, 200);
    assert.deepEqual(await second.json(), answer);
    await h.idle();
    view = await h.core.notices.getBroadcast(id);
    assert.equal(view.counts.acknowledged, 1);
    // One confirmation, 1:1 to the employee who clicked.
    assert.equal(h.fake.sent.length, 1);
    assert.equal(h.fake.sent[0]!.receiveId, A);
    assert.match(String(h.fake.sent[0]!.content.text), /会话存档通知/);
  });

  it('en, zh-CN, zh-TW: the card, the acknowledged card and the toasts are in that language only; bilingual unchanged', async () => {
    const notice = await h.core.notices.createNotice(CONTENT);
    const base: NoticeDelivery = { broadcastId: 'b-lang', noticeId: notice.noticeId, version: 1, ackKey: `ack:${notice.noticeId}:1`, deliveryKey: 'x', title: CONTENT.title, body: CONTENT.body };
    for (const lang of SINGLE_LANGS) {
      h.fake.sent.length = 0;
      const d = single({ ...base, deliveryKey: `lang-${lang}` }, lang);
      const r = await h.adapter.noticeChannel!.sendBatch([C], d);
      assert.deepEqual(r.sent, [C]);
      const sent = h.fake.sent.find((s) => s.msgType === 'interactive')!;
      const card = sent.content as { header: unknown; body: { elements: Record<string, unknown>[] } };
      const l = FEISHU_NOTICE_LABELS[lang];
      assert.deepEqual(card.body.elements.map((e) => e.tag), ['markdown', 'button'], `${lang}: one body, no rule, no empty English part`);
      assert.equal(card.body.elements[0]!.content, SAMPLE[lang].body);
      assert.deepEqual(visibleTexts(card), [SAMPLE[lang].title, l.version(1), SAMPLE[lang].body, l.button]);
      assertOnly(lang, visibleTexts(card), `card ${lang}`);
      const preview = h.adapter.noticeChannel!.preview!(d).messages[0]!;
      assertOnly(lang, [preview.title, preview.text, preview.button!], `preview ${lang}`);
      assert.equal(preview.text, `${l.version(1)}\n\n${SAMPLE[lang].body}`);

      const button = card.body.elements[1]!;
      const value = (button.behaviors as { value: Record<string, unknown> }[])[0]!.value;
      assert.deepEqual(value, { ack: base.ackKey, lang });
      const res = await postCallback(h.callbackUrl, cardActionEvent({ appId: h.fake.appId, token: VERIFICATION_TOKEN, openId: C, openMessageId: sent.messageId, value }), { encryptKey: ENCRYPT_KEY });
      assert.equal(res.status, 200);
      const answer = (await res.json()) as { toast: { type: string; content: string; i18n?: unknown }; card?: { data: Record<string, unknown> } };
      assert.deepEqual(answer.toast, { type: 'success', content: l.received }, `${lang}: toast`);
      const updated = (answer.card!.data as { body: { elements: Record<string, unknown>[] } }).body.elements.find((e) => e.tag === 'button')!;
      assert.equal(updated.disabled, true);
      assert.deepEqual(updated.text, { tag: 'plain_text', content: l.acknowledged });
      assertOnly(lang, [answer.toast.content, ...visibleTexts(answer.card!.data)], `acknowledged ${lang}`);

      // A card the adapter no longer knows (lookup failed): the toast still answers in the click's language.
      const unknown = await postCallback(h.callbackUrl, cardActionEvent({ appId: h.fake.appId, token: VERIFICATION_TOKEN, openId: C, openMessageId: `om_gone_${lang}`, value }), { encryptKey: ENCRYPT_KEY });
      assert.deepEqual(await unknown.json(), { toast: { type: 'success', content: l.received } });
      assert.deepEqual(retryAnswer(lang), { toast: { type: 'error', content: l.retry } });
      assertOnly(lang, [l.retry], `retry ${lang}`);
    }
    await h.idle();

    // Bilingual (absent or 'bilingual'): the card of before, bilingual labels and toast.
    assert.deepEqual(noticeCard({ ...base, language: 'bilingual' }), noticeCard(base));
    const bi = noticeCard(base);
    assert.deepEqual(bi.body.elements.map((e) => e.tag), ['markdown', 'hr', 'markdown', 'button']);
    assert.deepEqual((bi.body.elements[3]!.behaviors as { value: unknown }[])[0]!.value, { ack: base.ackKey });
    assert.deepEqual(acknowledgedCard(bi).body.elements.find((e) => e.tag === 'button')!.text, { tag: 'plain_text', content: '已确认 / Acknowledged' });
    assert.equal(ackAnswer(bi).toast.content, '已收到您的确认 / Acknowledgement received');
    assert.equal(retryAnswer().toast.content, '暂时无法记录，请稍后再点一次 / Could not record it, please try again');
  });

  it('records read receipts from im.message.message_read_v1 for notice cards only', async () => {
    h.fake.sent.length = 0;
    const id = await broadcast({ userIds: [C] });
    const card = h.fake.sent.find((s) => s.msgType === 'interactive')!;
    const readAt = Date.now() - 1000;
    // B reading C's card (impossible, but forged) and C reading another message count for nothing.
    for (const body of [
      readEvent({ appId: h.fake.appId, token: VERIFICATION_TOKEN, openId: B, messageIds: [card.messageId], readTime: readAt }),
      readEvent({ appId: h.fake.appId, token: VERIFICATION_TOKEN, openId: C, messageIds: ['om_not_a_notice', card.messageId], readTime: readAt }),
    ]) {
      assert.equal((await postCallback(h.callbackUrl, body, { encryptKey: ENCRYPT_KEY })).status, 200);
    }
    await h.idle();
    const handles = await h.core.notices.store.listReadHandles(id);
    assert.equal(handles.length, 1);
    assert.deepEqual(await h.adapter.noticeChannel!.readStatus!(handles[0]!.handle), [{ userId: C, readAt }]);
    await worker.pollReads();
    const view = await h.core.notices.getBroadcast(id);
    assert.equal(view.counts.read, 1);
  });
});
