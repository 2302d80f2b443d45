import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createWecomNoticeChannel, noticePayloads, noticeTaskId, WECOM_ACK_BUTTON_TEXT, WECOM_NOTICE_LABELS, wecomNoticePreview, type WecomNoticeChannel } from '../../../adapters/wecom/notices.ts';
import { createWecomClient, tokenCacheKey } from '../../../adapters/wecom/outbound.ts';
import { WECOM_CARD_BUTTON_TEXT_MAX_CHARS, WECOM_CARD_SUBTITLE_MAX_CHARS, WECOM_TASK_ID_RE } from '../../../adapters/wecom/limits.ts';
import { assertOnly, SAMPLE, single, SINGLE_LANGS } from '../notice-language-check.ts';
import { createLogger } from '../../../src/log.ts';
import { ThrottledError, type NoticeDelivery } from '../../../src/platform/notices.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import type { Store } from '../../../src/store/ports/store.ts';
import { startFakeWecom, type FakeMember, type FakeWecom } from '../../fakes/wecom-api.ts';
import { jumpClock, VIRTUAL_CLOCK_START } from '../../helpers/virtual-clock.ts';
import type { PaceClock } from '../../../adapters/kit/pace.ts';

const CORP = 'wwnoticetest';
const AGENT = 1000009;
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

let fake: FakeWecom;
let store: Store;
let dir: string;
let channel: WecomNoticeChannel;
const logs: string[] = [];
const log = createLogger(
  'debug',
  new Writable({
    write(chunk, _e, done) {
      logs.push(String(chunk));
      done();
    },
  }),
);

function newChannel(extra: { throttleRetryMs?: Record<number, number>; callsPerMinute?: number; paceClock?: PaceClock } = {}): WecomNoticeChannel {
  const client = createWecomClient({ corpId: CORP, agentId: AGENT, secret: 'sec', apiBase: fake.url, kv: store, log, backoffMs: 5 });
  return createWecomNoticeChannel({ client, agentId: AGENT, corpId: CORP, kv: store, log, ...extra });
}

function delivery(over: Partial<NoticeDelivery> = {}): NoticeDelivery {
  return {
    broadcastId: 'b1',
    noticeId: 'n1',
    version: 2,
    title: { zh: '会话存档告知', en: 'Chat archiving notice' },
    body: { zh: '公司自3月1日起存档工作聊天。', en: 'Work chats are archived from 1 March.' },
    ackKey: 'ack:n1:2',
    deliveryKey: 'b1:n1:2',
    ...over,
  };
}

const sends = () => fake.requests.filter((r) => r.path === '/cgi-bin/message/send');

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wecom-notices-'));
  store = openSqliteStore(join(dir, 'kv.db'));
  fake = await startFakeWecom({ corpId: CORP, secret: 'sec', agentId: AGENT });
});
after(async () => {
  await fake.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  fake.reset();
  fake.denyListId(null);
  fake.clearDirectory();
  fake.setUnlicensed([]);
  fake.enforceRateLimits(false);
  fake.throttleRandomly(0);
  await store.delete(tokenCacheKey(CORP, AGENT));
  channel = newChannel();
  logs.length = 0;
});

test('the channel describes WeCom: 1000 users per batch, no read receipts', () => {
  assert.equal(channel.platform, 'wecom');
  assert.equal(channel.maxBatchSize, 1000);
  assert.equal(channel.readSupported, false);
  assert.equal(channel.readStatus, undefined);
});

test('audience all: user/list_id pages through 27,500 rows with cursors and returns 25,000 distinct members', async () => {
  const members: FakeMember[] = Array.from({ length: 25_000 }, (_, i) => ({ userid: `u${i}`, department: i % 10 === 0 ? [2, 3] : [2] }));
  fake.setDirectory(members, [{ id: 2, parentid: 1 }, { id: 3, parentid: 2 }]);
  const ids = await channel.resolveAudience({ all: true });
  assert.equal(ids.length, 25_000);
  assert.equal(new Set(ids).size, 25_000);
  const calls = fake.requests.filter((r) => r.path === '/cgi-bin/user/list_id');
  assert.equal(calls.length, 3, '27,500 rows in pages of 10,000');
  assert.deepEqual(calls[0]!.json, { limit: 10_000 });
  assert.equal((calls[1]!.json as { cursor: string }).cursor, calls[0]!.answer['next_cursor']);
  assert.equal(calls[2]!.answer['next_cursor'], '');
});

test('audience all with the app secret: list_id refused (48002) -> departments walked, and list_id not tried again', async () => {
  fake.setDirectory(
    [{ userid: 'ZhangSan', department: [2, 4] }, { userid: 'lisi', department: [3] }, { userid: 'wangwu', department: [1, 4] }],
    [{ id: 2, parentid: 1 }, { id: 3, parentid: 2 }, { id: 4, parentid: 1 }],
  );
  fake.denyListId(48002);
  const ids = await channel.resolveAudience({ all: true });
  assert.deepEqual([...ids].sort(), ['ZhangSan', 'lisi', 'wangwu'].sort(), 'each member once');
  assert.equal(fake.requests.filter((r) => r.path === '/cgi-bin/user/list_id').length, 1);
  fake.reset();
  assert.equal((await channel.resolveAudience({ all: true })).length, 3);
  assert.equal(fake.requests.filter((r) => r.path === '/cgi-bin/user/list_id').length, 0, 'remembered for this process');
  assert.ok(fake.requests.some((r) => r.path === '/cgi-bin/department/simplelist' && r.query['id'] === undefined));
});

test('audience departments: each department with its sub-departments, deduplicated; unknown department is an error', async () => {
  fake.setDirectory(
    [
      { userid: 'a', department: [2] },
      { userid: 'b', department: [3] },
      { userid: 'c', department: [4] },
      { userid: 'd', department: [2, 3] },
      { userid: 'e', department: [5] },
    ],
    [{ id: 2, parentid: 1 }, { id: 3, parentid: 2 }, { id: 5, parentid: 3 }, { id: 4, parentid: 1 }],
  );
  assert.deepEqual((await channel.resolveAudience({ departmentIds: ['2'] })).sort(), ['a', 'b', 'd', 'e']);
  assert.deepEqual((await channel.resolveAudience({ departmentIds: ['4', '3'] })).sort(), ['b', 'c', 'd', 'e']);
  await assert.rejects(channel.resolveAudience({ departmentIds: ['99'] }), { code: 'WECOM_API_ERROR', errcode: 60123 });
});

test('audience users: as given, trimmed, deduplicated case-insensitively; bad input is a 400 NOTICE_BAD_AUDIENCE', async () => {
  assert.deepEqual(await channel.resolveAudience({ userIds: [' ZhangSan', 'zhangsan', 'lisi'] }), ['ZhangSan', 'lisi']);
  assert.equal(fake.requests.length, 0, 'no API call for explicit users');
  for (const bad of [{ userIds: [] }, { userIds: [''] }, { userIds: ['a|b'] }, { userIds: ['x'.repeat(65)] }, { departmentIds: [] }, { departmentIds: ['abc'] }, { departmentIds: [0] }, {}, { all: false }]) {
    await assert.rejects(channel.resolveAudience(bad as never), (e: Error & { code: string; status: number }) => {
      assert.equal(e.code, 'NOTICE_BAD_AUDIENCE', JSON.stringify(bad));
      assert.equal(e.status, 400);
      return true;
    });
  }
});

test('a short notice is one template_card: button with the ack key, task_id, sorted touser, duplicate check on', async () => {
  const result = await channel.sendBatch(['lisi', 'ZhangSan', 'wangwu'], delivery());
  assert.deepEqual(result, { sent: ['ZhangSan', 'lisi', 'wangwu'].sort(), failed: [], retryLater: [] });
  assert.equal(fake.sent.length, 1);
  const body = fake.sent[0]!;
  assert.equal(body.msgtype, 'template_card');
  assert.equal(body.touser, ['ZhangSan', 'lisi', 'wangwu'].sort().join('|'));
  assert.equal(body['enable_duplicate_check'], 1);
  assert.equal(body['duplicate_check_interval'], 14_400);
  const card = body.template_card as Record<string, any>;
  assert.equal(card['card_type'], 'button_interaction');
  assert.equal(card['main_title'].title, '会话存档告知');
  assert.match(card['main_title'].desc, /Chat archiving notice · v2/);
  assert.match(card['sub_title_text'], /公司自3月1日起存档工作聊天。\n\nWork chats are archived from 1 March\./);
  assert.deepEqual(card['button_list'], [{ type: 0, text: WECOM_ACK_BUTTON_TEXT, style: 1, key: 'ack:n1:2' }]);
  assert.match(card['task_id'], WECOM_TASK_ID_RE);
  assert.equal(card['task_id'], noticeTaskId('b1:n1:2', ['lisi', 'ZhangSan', 'wangwu']));
  assert.deepEqual(fake.deliveries.map((d) => [d.userId, d.taskId]).sort(), [
    ['ZhangSan', card['task_id']],
    ['lisi', card['task_id']],
    ['wangwu', card['task_id']],
  ]);
});

test('a long notice goes as text parts of ≤ 2048 bytes (full zh and en body) before the card', async () => {
  const long = delivery({ body: { zh: '存档说明。'.repeat(300), en: 'Archiving explained. '.repeat(100) } });
  await channel.sendBatch(['zhangsan'], long);
  const kinds = fake.sent.map((m) => m.msgtype);
  assert.equal(kinds.at(-1), 'template_card');
  const texts = fake.sent.filter((m) => m.msgtype === 'text').map((m) => m.text!.content);
  assert.ok(texts.length >= 2, 'split');
  assert.ok(texts.every((t) => bytes(t) <= 2048));
  const joined = texts.join('');
  assert.ok(joined.includes(long.body.zh) && joined.includes(long.body.en.trim()), 'both bodies in full');
  assert.match(joined, /回复“确认”/);
  const card = fake.sent.at(-1)!.template_card as Record<string, string>;
  assert.ok([...card['sub_title_text']!].length <= 160);
  assert.match(card['sub_title_text']!, /full text above/);
  assert.equal(fake.deliveries.filter((d) => d.userId === 'zhangsan').length, texts.length + 1);
});

test('invaliduser and unlicenseduser (lower-cased by WeCom) become failed with that reason; the rest are sent', async () => {
  fake.setDirectory([{ userid: 'Alice' }, { userid: 'bob' }, { userid: 'Carol' }]);
  fake.setUnlicensed(['Carol']);
  const result = await channel.sendBatch(['Alice', 'bob', 'Ghost', 'Carol'], delivery());
  assert.deepEqual(result.sent.sort(), ['Alice', 'bob']);
  assert.deepEqual(
    result.failed.sort((a, b) => a.userId.localeCompare(b.userId)),
    [{ userId: 'Carol', reason: 'unlicenseduser' }, { userId: 'Ghost', reason: 'invaliduser' }],
  );
  const answer = sends()[0]!.answer;
  assert.equal(answer['invaliduser'], 'ghost');
  assert.equal(answer['unlicenseduser'], 'carol');
  const everyone = [...result.sent, ...result.failed.map((f) => f.userId), ...result.retryLater].sort();
  assert.deepEqual(everyone, ['Alice', 'Carol', 'Ghost', 'bob'], 'every user in exactly one list');
  assert.deepEqual(fake.deliveries.map((d) => d.userId).sort(), ['Alice', 'bob']);
});

test('81013 (all recipients invalid) -> every user failed, no throw', async () => {
  fake.setDirectory([{ userid: 'someone' }]);
  const result = await channel.sendBatch(['ghost1', 'ghost2'], delivery());
  assert.deepEqual(result.sent, []);
  assert.deepEqual(result.failed, [{ userId: 'ghost1', reason: 'invaliduser' }, { userId: 'ghost2', reason: 'invaliduser' }]);
});

test('45009 / 45033 / -1 -> ThrottledError for the whole batch, without retrying inside; the retry delivers once', async () => {
  for (const [errcode, ms] of [[45009, 15_000], [45033, 2_000], [-1, 2_000]] as const) {
    fake.reset();
    fake.failNext(errcode, 1, { path: '/cgi-bin/message/send' });
    await assert.rejects(channel.sendBatch(['a', 'b'], delivery({ deliveryKey: `k${errcode}` })), (e: unknown) => {
      assert.ok(e instanceof ThrottledError);
      assert.equal(e.retryAfterMs, ms);
      assert.equal(e.code, 'PLATFORM_THROTTLED');
      return true;
    });
    assert.equal(sends().length, 1, 'no internal retry');
    assert.equal(fake.deliveries.length, 0);
    const r = await channel.sendBatch(['a', 'b'], delivery({ deliveryKey: `k${errcode}` }));
    assert.deepEqual(r.sent, ['a', 'b']);
    assert.equal(fake.deliveries.length, 2);
  }
  const quick = newChannel({ throttleRetryMs: { 45009: 50 } });
  fake.failNext(45009, 1, { path: '/cgi-bin/message/send' });
  await assert.rejects(quick.sendBatch(['a'], delivery({ deliveryKey: 'quick' })), { retryAfterMs: 50 });
});

test('sending the same batch again (lost answer, crashed instance) is dropped by the duplicate check: no duplicate delivery', async () => {
  await channel.sendBatch(['a', 'b', 'c'], delivery());
  const r = await channel.sendBatch(['c', 'b', 'a'], delivery());
  assert.deepEqual(r.sent, ['a', 'b', 'c'], 'reported sent (WeCom answers ok)');
  assert.equal(fake.duplicatesSuppressed, 1);
  assert.equal(fake.deliveries.length, 3);
  // A reminder must use another delivery key, or WeCom drops it within 4 h.
  await channel.sendBatch(['a', 'b', 'c'], delivery({ deliveryKey: 'b1:n1:2:reminder-1' }));
  assert.equal(fake.deliveries.length, 6);
});

test('text parts delivered, card throttled: the retry re-sends the text (suppressed) and the card; each member gets each message once', async () => {
  const long = delivery({ body: { zh: '很长的说明。'.repeat(100), en: 'Long text. '.repeat(50) } });
  const n = noticePayloads(long, 't').length;
  assert.ok(n >= 2, 'text part(s) and the card');
  fake.failNext(45009, 1, { path: '/cgi-bin/message/send', after: n - 1 });
  await assert.rejects(channel.sendBatch(['x', 'y'], long), ThrottledError);
  assert.equal(fake.deliveries.length, (n - 1) * 2, 'the text parts arrived');
  const r = await channel.sendBatch(['x', 'y'], long);
  assert.deepEqual(r.sent, ['x', 'y']);
  assert.equal(fake.duplicatesSuppressed, n - 1);
  for (const user of ['x', 'y']) {
    const mine = fake.deliveries.filter((d) => d.userId === user);
    assert.equal(mine.length, n);
    assert.equal(new Set(mine.map((d) => d.content)).size, n, 'no message twice');
    assert.equal(mine.filter((d) => d.msgtype === 'template_card').length, 1);
  }
});

test('task ids: same batch -> same id whatever the order or case; another batch or key -> another id; always valid', () => {
  const a = noticeTaskId('b1:n1:2', ['x', 'Y', 'z']);
  assert.equal(a, noticeTaskId('b1:n1:2', ['z', 'y', 'X']));
  assert.notEqual(a, noticeTaskId('b1:n1:2', ['x', 'y']));
  assert.notEqual(a, noticeTaskId('b1:n1:3', ['x', 'y', 'z']));
  for (const key of ['', '通知:1:2', 'a b/c?d'.repeat(40), 'ok_-key']) {
    const id = noticeTaskId(key, ['u']);
    assert.match(id, WECOM_TASK_ID_RE);
    assert.ok(bytes(id) <= 128);
  }
});

test('bad batches are refused before any call: > 1000 users, an empty ack key', async () => {
  await assert.rejects(channel.sendBatch(Array.from({ length: 1001 }, (_, i) => `u${i}`), delivery()), { code: 'WECOM_BAD_ARGUMENT' });
  await assert.rejects(channel.sendBatch(['a'], delivery({ ackKey: '' })), { code: 'WECOM_BAD_ARGUMENT' });
  await assert.rejects(channel.sendBatch([], delivery()), { code: 'NOTICE_BAD_AUDIENCE' });
  assert.equal(sends().length, 0);
});

test('with the fake enforcing the documented limits, a batch over the per-API limit is throttled and the per-member excess is dropped', async () => {
  fake.enforceRateLimits({ apiPerMinute: 2, memberPerMinute: 3 });
  await channel.sendBatch(['a'], delivery({ deliveryKey: 'r1' }));
  await channel.sendBatch(['a'], delivery({ deliveryKey: 'r2' }));
  await assert.rejects(channel.sendBatch(['a'], delivery({ deliveryKey: 'r3' })), ThrottledError);
  fake.enforceRateLimits({ apiPerMinute: 100, memberPerMinute: 3 });
  fake.reset();
  for (let i = 0; i < 4; i++) await channel.sendBatch(['a', 'b'], delivery({ deliveryKey: `m${i}` }));
  assert.equal(fake.deliveries.filter((d) => d.userId === 'a').length, 3, '30/min scaled down to 3');
  assert.deepEqual(fake.dropped.map((d) => d.userId).sort(), ['a', 'b']);
});

test('pacing: a small calls-per-minute budget spreads calls over one-second windows', async () => {
  // The gate runs on a virtual clock that moves only when the gate sleeps (sends go one after another, so
  // the clock read after each send is the time the gate let it through), not on when a loaded machine ran it.
  const clock = jumpClock();
  const slow = newChannel({ callsPerMinute: 122, paceClock: clock }); // 2 calls per second window
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    await slow.sendBatch([`p${i}`], delivery({ deliveryKey: `pace${i}` }));
    times.push(clock.now());
  }
  assert.equal(sends().length, 5);
  const perSecond = new Map<number, number>();
  for (const t of times) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
  assert.ok([...perSecond.values()].every((n) => n <= 2), JSON.stringify(times.map((t) => t - VIRTUAL_CLOCK_START)));
  assert.ok(perSecond.size >= 3, 'five calls at two per one-second window take at least three windows');
});

test('logs carry no user ids, titles or bodies', async () => {
  fake.setDirectory([{ userid: 'secretuser1' }]);
  await channel.sendBatch(['secretuser1', 'ghostuser2'], delivery());
  const all = logs.join('\n');
  assert.ok(all.length > 0);
  for (const s of ['secretuser1', 'ghostuser2', '会话存档告知', 'Work chats']) assert.ok(!all.includes(s), s);
});

test('one language (en, zh-CN, zh-TW): the card and the long text carry only that language, no empty English part', async () => {
  for (const lang of SINGLE_LANGS) {
    fake.reset();
    const short = single(delivery({ deliveryKey: `short-${lang}` }), lang);
    await channel.sendBatch(['zhangsan'], short);
    assert.deepEqual(fake.sent.map((m) => m.msgtype), ['template_card'], lang);
    const card = fake.sent[0]!.template_card as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(card['main_title'].title, SAMPLE[lang].title);
    assert.equal(card['sub_title_text'], SAMPLE[lang].body, `${lang}: the body alone`);
    assert.equal(card['main_title'].desc, WECOM_NOTICE_LABELS[lang].version(2));
    assert.deepEqual(card['button_list'], [{ type: 0, text: WECOM_NOTICE_LABELS[lang].button, style: 1, key: 'ack:n1:2' }]);
    assert.ok([...WECOM_NOTICE_LABELS[lang].button].length <= WECOM_CARD_BUTTON_TEXT_MAX_CHARS, `${lang}: button within WeCom's suggestion`);
    assertOnly(lang, [card['source'].desc, card['main_title'].title, card['main_title'].desc, card['sub_title_text'], WECOM_NOTICE_LABELS[lang].button], `short ${lang}`);

    fake.reset();
    const body = lang === 'en' ? 'Work chats are archived for three years. '.repeat(60).trim() : SAMPLE[lang].body.repeat(60);
    const long = single(delivery({ deliveryKey: `long-${lang}` }), lang, { title: SAMPLE[lang].title, body });
    await channel.sendBatch(['zhangsan'], long);
    const texts = fake.sent.filter((m) => m.msgtype === 'text').map((m) => m.text!.content);
    assert.ok(texts.length >= 1 && texts.every((t) => bytes(t) <= 2048), `${lang}: text parts within 2048 bytes`);
    assert.ok(texts.join('').includes(body), `${lang}: the full body before the card`);
    const longCard = fake.sent.at(-1)!.template_card as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.ok([...longCard['sub_title_text']].length <= WECOM_CARD_SUBTITLE_MAX_CHARS, `${lang}: card body cut to the limit`);
    assert.ok(longCard['sub_title_text'].endsWith(WECOM_NOTICE_LABELS[lang].pointer));
    assertOnly(lang, [...texts, longCard['source'].desc, longCard['main_title'].desc, longCard['sub_title_text'], longCard['button_list'][0].text], `long ${lang}`);

    const preview = wecomNoticePreview(long);
    assertOnly(lang, preview.messages.flatMap((m) => [m.text, ...(m.title ? [m.title] : []), ...(m.button ? [m.button] : [])]), `preview ${lang}`);
    assert.equal(preview.limits.find((l) => l.field === 'sub_title_text')!.used, [...body].length, `${lang}: the limit counts the one body`);
    assert.equal(preview.cut, true);
  }
});

test('language "bilingual" renders exactly as a delivery without the field', () => {
  const without = delivery();
  assert.deepEqual(noticePayloads({ ...without, language: 'bilingual' }, 't'), noticePayloads(without, 't'));
  const long = delivery({ body: { zh: '存档说明。'.repeat(300), en: 'Archiving explained. '.repeat(100) } });
  assert.deepEqual(noticePayloads({ ...long, language: 'bilingual' }, 't'), noticePayloads(long, 't'));
  assert.equal((noticePayloads(without, 't')[0]!.template_card as { button_list: { text: string }[] }).button_list[0]!.text, '确认知悉 / Acknowledge');
});
