/**
 * The DingTalk notice channel over loopback against the fake DingTalk (test/fakes/dingtalk-api.ts):
 * directory walk with paging, batchSend outcomes, throttling, pacing, read status, and a small
 * delivery loop under random throttling that must lose and duplicate nobody.
 */
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createDingtalkNoticeChannel,
  DINGTALK_NOTICE_LABELS,
  dingtalkNoticePreview,
  INVALID_STAFF_REASON,
  isSendStatusSuccess,
  MSG_TOO_LARGE_REASON,
  noticeMessage,
} from '../../../adapters/dingtalk/notices.ts';
import { createDingtalkOpenApi, DingtalkApiError, legacyApiBase, throttleDelayMs } from '../../../adapters/dingtalk/openapi.ts';
import { createDingtalkAdapter } from '../../../adapters/dingtalk/index.ts';
import { IP_BAN_RETRY_MS, NOTICE_TITLE_MAX_CHARS, THROTTLE_RETRY_MS } from '../../../adapters/dingtalk/limits.ts';
import { ThrottledError, type NoticeChannel, type NoticeDelivery } from '../../../src/platform/notices.ts';
import { BotError } from '../../../src/errors.ts';
import { createLogger } from '../../../src/log.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import type { Store } from '../../../src/store/ports/store.ts';
import { generateDirectory, startFakeDingtalk, type FakeDingtalk } from '../../fakes/dingtalk-api.ts';
import { maxInWindow, quietClock } from '../../helpers/virtual-clock.ts';
import { result } from './harness.ts';
import { assertOnly, SAMPLE, single, SINGLE_LANGS } from '../notice-language-check.ts';

const log = createLogger('silent');

function delivery(overrides: Partial<NoticeDelivery> = {}): NoticeDelivery {
  return {
    broadcastId: 'b1',
    noticeId: 'n1',
    version: 2,
    title: { zh: '会话存档告知', en: 'Chat archiving notice' },
    body: { zh: '公司自 2025-01-01 起存档工作聊天。\n保存三年。', en: 'We archive work chats from 2025-01-01.\nKept for three years.' },
    ackKey: 'ack:n1:2',
    deliveryKey: 'b1:n1:2',
    ...overrides,
  };
}

describe('noticeMessage', () => {
  it('is a sampleMarkdown whose msgParam is a JSON string with both languages, the version and how to acknowledge', () => {
    const m = noticeMessage(delivery());
    assert.equal(m.msgKey, 'sampleMarkdown');
    assert.equal(typeof m.msgParam, 'string');
    const p = JSON.parse(m.msgParam) as { title: string; text: string };
    assert.equal(p.title, '会话存档告知 | Chat archiving notice');
    for (const part of ['### 会话存档告知（第 2 版）', '### Chat archiving notice (version 2)', '保存三年', 'Kept for three years', '「确认」', '"I acknowledge"']) {
      assert.ok(p.text.includes(part), `text has ${part}`);
    }
    assert.ok(p.text.indexOf('会话存档告知') < p.text.indexOf('Chat archiving notice'), 'Chinese first');
    assert.ok(p.text.includes('2025-01-01 起存档工作聊天。  \n保存三年。'), 'single line breaks stay line breaks in markdown');
  });

  it('marks a reminder in the title and both headings, so it differs from the first delivery', () => {
    const first = noticeMessage(delivery());
    const again = noticeMessage({ ...delivery(), reminder: 1 } as NoticeDelivery);
    const p = JSON.parse(again.msgParam) as { title: string; text: string };
    assert.notEqual(again.msgParam, first.msgParam);
    assert.equal(p.title, '【提醒】会话存档告知 | Reminder: Chat archiving notice');
    assert.ok(p.text.includes('### 【提醒】会话存档告知（第 2 版）'));
    assert.ok(p.text.includes('### Reminder: Chat archiving notice (version 2)'));
  });

  it('cuts a long title to the limit (characters, not bytes) and drops control characters', () => {
    const p = JSON.parse(noticeMessage(delivery({ title: { zh: '存'.repeat(100), en: 'x' }, body: { zh: 'a\u0007b', en: 'c' } })).msgParam) as {
      title: string;
      text: string;
    };
    assert.equal([...p.title].length, NOTICE_TITLE_MAX_CHARS);
    assert.ok(p.text.includes('ab'));
    assert.ok(!p.text.includes('\u0007'));
  });
});

describe('isSendStatusSuccess / throttleDelayMs', () => {
  it('accepts SUCCESS and the SDK example spelling SUCESS in any case', () => {
    for (const s of ['SUCCESS', 'SUCESS', 'success', 'Sucess']) assert.equal(isSendStatusSuccess(s), true, s);
    for (const s of [null, '', 'PROCESSING', 'FAILED']) assert.equal(isSendStatusSuccess(s), false, String(s));
  });

  it('maps throttling answers to a delay and everything else to null', () => {
    const e = (code: string, http: number | null, errcode: number | null = null, ban = false) => new DingtalkApiError('x', code, http, errcode, ban);
    assert.equal(throttleDelayMs(e('Whatever', 429)), THROTTLE_RETRY_MS);
    assert.equal(throttleDelayMs(e('Forbidden.AccessDenied.QpsLimitForApi', 403)), THROTTLE_RETRY_MS);
    assert.equal(throttleDelayMs(e('errcode 90018', 200, 90018)), THROTTLE_RETRY_MS);
    assert.equal(throttleDelayMs(e('errcode 130101', 200, 130101)), THROTTLE_RETRY_MS);
    assert.equal(throttleDelayMs(e('x', 403, null, true)), IP_BAN_RETRY_MS);
    assert.equal(throttleDelayMs(e('InternalError', 500)), null);
    assert.equal(throttleDelayMs(e('errcode 60003', 200, 60003)), null);
    assert.equal(throttleDelayMs(new Error('x')), null);
  });

  it('legacyApiBase maps api.dingtalk.com to oapi.dingtalk.com and keeps any other origin', () => {
    assert.equal(legacyApiBase('https://api.dingtalk.com'), 'https://oapi.dingtalk.com');
    assert.equal(legacyApiBase('http://127.0.0.1:4567'), 'http://127.0.0.1:4567');
  });
});

describe('DingTalk notice channel against the fake', () => {
  let fake: FakeDingtalk;
  let store: Store;
  let dir: string;
  let channel: NoticeChannel;
  let n = 0;

  before(async () => {
    fake = await startFakeDingtalk();
    dir = mkdtempSync(join(tmpdir(), 'dingtalk-notices-'));
    store = openSqliteStore(join(dir, 'kv.db'));
  });
  after(async () => {
    await fake.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    fake.reset();
    fake.setQpsLimit(20);
    channel = makeChannel();
  });
  afterEach(() => fake.setQpsLimit(20));

  /**
   * A channel with its own pacing keys (each test starts with a clean rate schedule). With `clock`, its gates pace by
   * that virtual clock and the clock stands still while each API call is on its way (so the fake, reading the same
   * clock, stamps a call with the time the gate let it leave, however loaded the machine is).
   */
  function makeChannel(qps?: number, shared = `app${++n}`, clock?: ReturnType<typeof quietClock>): NoticeChannel {
    const config = { appKey: fake.appKey, appSecret: fake.appSecret, robotCode: fake.robotCode, apiBase: fake.apiBase };
    const api = createDingtalkOpenApi(config, store, log);
    if (clock) {
      const send = api.batchSend.bind(api);
      api.batchSend = (...args) => clock.hold(send(...args));
    }
    return createDingtalkNoticeChannel({ api, log, now: Date.now, appKey: shared, kv: store, qps, paceClock: clock });
  }

  describe('resolveAudience', () => {
    it('{all:true} walks every department from the root, pages members by 100, and dedups people in two departments', async () => {
      const d = generateDirectory({ users: 450, departments: 8, multiDeptEvery: 5 });
      // A big root department so its member list needs several pages.
      for (let i = 0; i < 230; i++) d.users.push({ userid: `root${i}`, deptIds: [1] });
      fake.setDirectory(d);
      const ids = await channel.resolveAudience({ all: true });
      assert.equal(ids.length, new Set(ids).size, 'no duplicates');
      assert.deepEqual(new Set(ids), new Set(d.users.map((u) => u.userid)));
      const rootPages = fake.directoryRequests.filter((r) => r.api === 'listsimple' && r.deptId === 1);
      assert.ok(rootPages.length >= 3, `root paged ${rootPages.length} times`);
      assert.deepEqual(rootPages.map((r) => r.cursor).slice(0, 3), [0, 100, 200]);
      assert.ok(rootPages.every((r) => r.size === 100));
      const walked = new Set(fake.directoryRequests.filter((r) => r.api === 'listsub').map((r) => r.deptId));
      assert.deepEqual(walked, new Set([1, ...d.departments.map((x) => x.id)]), 'every department listed once');
      assert.equal(fake.directoryRequests.filter((r) => r.api === 'listsub').length, walked.size);
    });

    it('{departmentIds} covers those departments and their sub-departments, nobody else', async () => {
      fake.setDirectory({
        departments: [
          { id: 10, parentId: 1 },
          { id: 11, parentId: 10 },
          { id: 12, parentId: 11 },
          { id: 20, parentId: 1 },
        ],
        users: [
          { userid: 'a', deptIds: [10] },
          { userid: 'b', deptIds: [11] },
          { userid: 'c', deptIds: [12, 20] },
          { userid: 'd', deptIds: [20] },
          { userid: 'e', deptIds: [1] },
        ],
      });
      assert.deepEqual(new Set(await channel.resolveAudience({ departmentIds: ['11'] })), new Set(['b', 'c']));
      assert.deepEqual(new Set(await channel.resolveAudience({ departmentIds: ['10', '20', '12'] })), new Set(['a', 'b', 'c', 'd']));
      const ids = await channel.resolveAudience({ departmentIds: ['10', '20', '12'] });
      assert.equal(ids.length, 4);
    });

    it('{userIds} are taken as given (trimmed, deduplicated) without any API call', async () => {
      assert.deepEqual(await channel.resolveAudience({ userIds: ['u1', ' u2 ', 'u1', ''] }), ['u1', 'u2']);
      assert.equal(fake.directoryRequests.length, 0);
    });

    it('a department id that is not an integer is DINGTALK_BAD_AUDIENCE; an unknown one DINGTALK_UNKNOWN_DEPARTMENT', async () => {
      fake.setDirectory({ departments: [], users: [] });
      await assert.rejects(channel.resolveAudience({ departmentIds: ['sales'] }), (e: BotError) => e.code === 'DINGTALK_BAD_AUDIENCE' && e.status === 400);
      await assert.rejects(channel.resolveAudience({ departmentIds: ['999'] }), (e: BotError) => e.code === 'DINGTALK_UNKNOWN_DEPARTMENT' && e.status === 400);
    });

    it('throttled directory calls (errcode 90018) are retried; a revoked token (40014) is refreshed once', async () => {
      fake.setDirectory(generateDirectory({ users: 40, departments: 3 }));
      fake.failNext('listsimple', { status: 200, code: '90018' }, 2);
      fake.revokeTokens();
      const before = fake.tokenRequests.length;
      const ids = await channel.resolveAudience({ all: true });
      assert.equal(ids.length, 40);
      assert.equal(fake.tokenRequests.length, before + 1, 'one token refresh');
    });
  });

  describe('sendBatch', () => {
    it('sends one sampleMarkdown batchSend; invalid → failed, flow-controlled → retryLater, the rest sent; readHandle = processQueryKey', async () => {
      fake.setInvalidStaffId('bad');
      fake.setFlowControlledStaffId('slow');
      const r = await channel.sendBatch(['u1', 'bad', 'slow', 'u2', 'u1'], delivery());
      assert.deepEqual(r.sent, ['u1', 'u2']);
      assert.deepEqual(r.failed, [{ userId: 'bad', reason: INVALID_STAFF_REASON }]);
      assert.deepEqual(r.retryLater, ['slow']);
      assert.equal(fake.otoMessages.length, 1);
      const m = fake.otoMessages[0]!;
      assert.equal(r.readHandle, m.processQueryKey);
      assert.deepEqual(m.userIds, ['u1', 'bad', 'slow', 'u2'], 'a duplicate id is sent once');
      assert.equal(m.msgKey, 'sampleMarkdown');
      assert.equal(m.msgParam, noticeMessage(delivery()).msgParam);
      assert.deepEqual([...fake.reachedUsers()].sort(), ['u1', 'u2']);
    });

    it('more than 20 users is a RangeError; none sends nothing', async () => {
      await assert.rejects(channel.sendBatch(Array.from({ length: 21 }, (_, i) => `u${i}`), delivery()), RangeError);
      assert.deepEqual(await channel.sendBatch([], delivery()), { sent: [], failed: [], retryLater: [] });
      assert.equal(fake.otoMessages.length, 0);
    });

    it('HTTP 429 / QpsLimitForApi / the IP ban → ThrottledError with the delay, nothing delivered', async () => {
      const cases: [Parameters<FakeDingtalk['failNext']>[1], number][] = [
        [{ status: 429, code: 'Throttling' }, THROTTLE_RETRY_MS],
        [{ status: 403, code: 'Forbidden.AccessDenied.QpsLimitForApi' }, THROTTLE_RETRY_MS],
        [{ status: 403, code: 'x', body: { status: 1111, wait: 5, punish: 'deny' } }, IP_BAN_RETRY_MS],
      ];
      for (const [error, delay] of cases) {
        channel = makeChannel();
        fake.failNext('batchSend', error);
        await assert.rejects(channel.sendBatch(['u1'], delivery()), (e: unknown) => e instanceof ThrottledError && e.retryAfterMs === delay);
      }
      assert.equal(fake.deliveries.length, 0);
    });

    it('other failures are thrown as they are (DINGTALK_API_ERROR), not as throttling', async () => {
      fake.failNext('batchSend', { status: 500, code: 'InternalError' });
      await assert.rejects(channel.sendBatch(['u1'], delivery()), (e: unknown) => !(e instanceof ThrottledError) && (e as BotError).code === 'DINGTALK_API_ERROR');
    });

    it('a notice too large for one message fails every user with msgParamTooLarge and calls nothing', async () => {
      const r = await channel.sendBatch(['u1', 'u2'], delivery({ body: { zh: '存'.repeat(6000), en: 'x' } }));
      assert.deepEqual(r.failed, [
        { userId: 'u1', reason: MSG_TOO_LARGE_REASON },
        { userId: 'u2', reason: MSG_TOO_LARGE_REASON },
      ]);
      assert.equal(fake.requests.length, 0);
    });

    // The gates and the fake share a virtual clock that stands still while a call is on its way: the times the
    // fake counts are the ones the gates let the calls leave at, not when a loaded machine delivered them.
    const batchSendTimes = () => fake.requests.filter((r) => r.path === '/v1.0/robot/oToMessages/batchSend' && r.status === 200).map((r) => r.at);

    it('unpaced calls beyond 20 in a second are refused by the fake; paced ones never are', async () => {
      const clock = quietClock();
      fake.setClock(clock.now);
      try {
        fake.setQpsLimit(20);
        const unpaced = makeChannel(1000, undefined, clock);
        const burst = await clock.run(Promise.allSettled(Array.from({ length: 30 }, (_, i) => unpaced.sendBatch([`x${i}`], delivery()))));
        assert.ok(burst.some((s) => s.status === 'rejected' && s.reason instanceof ThrottledError), 'the fake enforces its limit');
        assert.ok(fake.throttled.batchSend > 0);
        fake.reset();
        // Production's rate: the documented 20/s × headroom, against the fake's 20/s.
        const paced = makeChannel(undefined, undefined, clock);
        const t0 = clock.now();
        const all = await clock.run(Promise.all(Array.from({ length: 50 }, (_, i) => paced.sendBatch([`p${i}`], delivery()))));
        assert.equal(fake.throttled.batchSend, 0, 'paced sends were never throttled');
        assert.equal(all.flatMap((r) => r.sent).length, 50);
        const times = batchSendTimes();
        assert.equal(times.length, 50);
        assert.ok(maxInWindow(times, 1000) <= 20, `at most 20 in any second: ${maxInWindow(times, 1000)}`);
        assert.ok(clock.now() - t0 >= (49 * 1000) / 20, `50 calls take at least 49 intervals: ${clock.now() - t0} ms`);
      } finally {
        fake.setClock();
      }
    });

    it('two channels (two instances) sharing the store and app keep the rate together', async () => {
      const clock = quietClock();
      fake.setClock(clock.now);
      try {
        fake.setQpsLimit(20);
        const a = makeChannel(undefined, 'shared-app', clock);
        const b = makeChannel(undefined, 'shared-app', clock);
        await clock.run(
          Promise.all([
            ...Array.from({ length: 25 }, (_, i) => a.sendBatch([`a${i}`], delivery())),
            ...Array.from({ length: 25 }, (_, i) => b.sendBatch([`b${i}`], delivery())),
          ]),
        );
        assert.equal(fake.throttled.batchSend, 0);
        assert.equal(fake.reachedUsers().size, 50);
        assert.ok(maxInWindow(batchSendTimes(), 1000) <= 20);
      } finally {
        fake.setClock();
      }
    });
  });

  describe('readStatus', () => {
    it('returns READ entries with their time, leaves UNREAD out, and accepts the SUCESS spelling', async () => {
      const r = await channel.sendBatch(['r1', 'r2', 'r3'], delivery());
      fake.markRead(r.readHandle!, 'r2', 1_700_000_000_123);
      assert.deepEqual(await channel.readStatus!(r.readHandle!), [{ userId: 'r2', readAt: 1_700_000_000_123 }]);
      fake.setReadSendStatus('SUCESS');
      fake.markRead(r.readHandle!, 'r3', 1_700_000_000_456);
      const reads = await channel.readStatus!(r.readHandle!);
      assert.deepEqual(reads.map((x) => x.userId).sort(), ['r2', 'r3']);
      assert.equal(fake.readStatusRequests.at(-1)!.processQueryKey, r.readHandle);
    });

    it('autoRead(1) marks every delivered user read', async () => {
      fake.autoRead(1);
      const r = await channel.sendBatch(['a1', 'a2'], delivery());
      const reads = await channel.readStatus!(r.readHandle!);
      assert.deepEqual(reads.map((x) => x.userId).sort(), ['a1', 'a2']);
      // Stamped at the time of the read (a minute is a failure guard for a loaded machine).
      assert.ok(reads.every((x) => Math.abs(x.readAt - Date.now()) < 60_000));
    });

    it('a throttled readStatus is a ThrottledError', async () => {
      const r = await channel.sendBatch(['t1'], delivery());
      fake.failNext('readStatus', { status: 429, code: 'Throttling' });
      await assert.rejects(channel.readStatus!(r.readHandle!), ThrottledError);
    });
  });

  it('a delivery loop under random throttling and flow control reaches everyone exactly once', async () => {
    fake.setQpsLimit(40);
    fake.setDirectory(generateDirectory({ users: 300, departments: 6 }));
    const ch = makeChannel(36);
    const audience = await ch.resolveAudience({ all: true });
    assert.equal(audience.length, 300);
    fake.throttleRandomly(0.2);
    fake.flowControlRandomly(0.1);
    let pending = [...audience];
    let throttles = 0;
    while (pending.length > 0) {
      const batches: string[][] = [];
      for (let i = 0; i < pending.length; i += ch.maxBatchSize) batches.push(pending.slice(i, i + ch.maxBatchSize));
      const next: string[] = [];
      await Promise.all(
        batches.map(async (batch) => {
          try {
            const r = await ch.sendBatch(batch, delivery());
            assert.equal(r.sent.length + r.failed.length + r.retryLater.length, batch.length, 'every user in one list');
            next.push(...r.retryLater);
          } catch (err) {
            if (!(err instanceof ThrottledError)) throw err;
            throttles++;
            next.push(...batch);
          }
        }),
      );
      pending = next;
    }
    assert.ok(throttles > 0, 'the fake did throttle');
    assert.equal(fake.duplicateDeliveries(), 0);
    assert.equal(fake.reachedUsers().size, 300, 'nobody lost');
  });

  it('the adapter exposes the channel as noticeChannel', () => {
    const adapter = createDingtalkAdapter(
      { appKey: fake.appKey, appSecret: fake.appSecret, robotCode: fake.robotCode, apiBase: fake.apiBase },
      { handle: async () => result([]), kv: store, log, now: Date.now, background: () => undefined },
    );
    assert.equal(adapter.noticeChannel?.platform, 'dingtalk');
    assert.equal(adapter.noticeChannel?.maxBatchSize, 20);
    assert.equal(adapter.noticeChannel?.readSupported, true);
  });
});

describe('DingTalk notices in one language', () => {
  let fake: FakeDingtalk;
  let store: Store;
  let dir: string;
  before(async () => {
    fake = await startFakeDingtalk();
    dir = mkdtempSync(join(tmpdir(), 'dingtalk-notice-lang-'));
    store = openSqliteStore(join(dir, 'kv.db'));
  });
  after(async () => {
    await fake.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('en, zh-CN, zh-TW: the markdown sent has one heading, the body and the acknowledgement line, all in that language', async () => {
    const config = { appKey: fake.appKey, appSecret: fake.appSecret, robotCode: fake.robotCode, apiBase: fake.apiBase };
    const channel = createDingtalkNoticeChannel({ api: createDingtalkOpenApi(config, store, log), log, now: Date.now, appKey: 'lang-app', kv: store });
    for (const lang of SINGLE_LANGS) {
      for (const reminder of [undefined, 1]) {
        fake.reset();
        const d = single(delivery({ ...(reminder ? { reminder } : {}) }), lang);
        const r = await channel.sendBatch(['u1'], d);
        assert.deepEqual(r.sent, ['u1']);
        assert.equal(fake.otoMessages.length, 1);
        const { title, text } = fake.otoMessages[0]!.param as { title: string; text: string };
        const l = DINGTALK_NOTICE_LABELS[lang];
        assert.equal(title, (reminder ? l.reminder : '') + SAMPLE[lang].title, `${lang}: the title alone`);
        assert.equal(text, [`### ${l.heading((reminder ? l.reminder : '') + SAMPLE[lang].title, 2)}`, SAMPLE[lang].body, `> ${l.howToAck}`].join('\n\n'));
        assert.doesNotMatch(text, /---|\|/, `${lang}: no second half`);
        assertOnly(lang, [title, ...text.split('\n\n')], `${lang}${reminder ? ' reminder' : ''}`);
        const p = dingtalkNoticePreview(d);
        assert.deepEqual([p.messages[0]!.title, p.messages[0]!.text], [title, text], `${lang}: preview = what was sent`);
      }
    }
  });

  it('one language keeps the limits: the title cut to 64 characters, an oversized msgParam refused', async () => {
    const long = single(delivery(), 'en', { title: 'Archiving-'.repeat(10), body: 'x' });
    const p = JSON.parse(noticeMessage(long).msgParam) as { title: string };
    assert.equal([...p.title].length, NOTICE_TITLE_MAX_CHARS);
    const preview = dingtalkNoticePreview(long);
    assert.deepEqual(preview.limits.find((l) => l.field === 'title'), { field: 'title', unit: 'chars', used: 100, max: NOTICE_TITLE_MAX_CHARS, cut: true });
    const big = dingtalkNoticePreview(single(delivery(), 'zh-TW', { title: '通知', body: '存'.repeat(5000) }));
    assert.equal(big.refused, MSG_TOO_LARGE_REASON);
  });

  it('language "bilingual" renders exactly as a delivery without the field', () => {
    assert.equal(noticeMessage({ ...delivery(), language: 'bilingual' }).msgParam, noticeMessage(delivery()).msgParam);
    assert.equal(noticeMessage({ ...delivery(), reminder: 2, language: 'bilingual' }).msgParam, noticeMessage({ ...delivery(), reminder: 2 }).msgParam);
  });
});
