import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBot, type TestBot } from '../../helpers/app.ts';
import { ADMIN_TOKEN, REDIS_TEST_URL, redisUnreachable, startNoticeBot, type NoticeBot } from '../../e2e/notices-harness.ts';
import { ManualClock } from '../notices/helpers.ts';
import { zonedIso } from '../../../src/evidence/time.ts';
import { PREPARE_TTL_MS } from '../../../src/notices/service.ts';

const CONTENT = { title: { zh: '会话存档告知', en: 'Archiving notice' }, body: { zh: '正文', en: 'Body' } };

describe('admin API off without ADMIN_TOKEN', () => {
  let bot: TestBot;
  before(async () => {
    bot = await startTestBot();
  });
  after(() => bot.close());

  it('has no admin routes at all (404), with or without a token', async () => {
    for (const [method, path] of [['GET', '/admin/notices'], ['POST', '/admin/notices'], ['GET', '/admin/broadcasts/b-x'], ['POST', '/admin/broadcasts/b-x/cancel']] as const) {
      const r = await fetch(`${bot.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.equal(r.status, 404, `${method} ${path}`);
    }
  });
});

describe('admin API', () => {
  let bot: NoticeBot;
  before(async () => {
    bot = await startNoticeBot({ fake: { users: ['zhangsan', 'lisi'], departments: { '1': ['zhangsan'] } }, worker: false });
  });
  after(() => bot.close());

  it('answers 401 with WWW-Authenticate without a valid Bearer token, and says nothing else', async () => {
    const cases: Record<string, string>[] = [
      {},
      { authorization: 'Bearer' },
      { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` },
      { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}x` },
      { authorization: `Bearer ${ADMIN_TOKEN}extra` },
      { authorization: `Bearer ${ADMIN_TOKEN} ${ADMIN_TOKEN}` },
    ];
    for (const headers of cases) {
      const r = await fetch(`${bot.url}/admin/notices`, { headers });
      assert.equal(r.status, 401, JSON.stringify(headers));
      assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer realm=/);
      const j = (await r.json()) as { error: { code: string } };
      assert.equal(j.error.code, 'ADMIN_UNAUTHORIZED');
    }
    const ok = await fetch(`${bot.url}/admin/notices`, { headers: { authorization: `bearer   ${ADMIN_TOKEN}` } });
    assert.equal(ok.status, 200, 'the scheme is case-insensitive');
  });

  it('creates and edits notices; old versions stay readable', async () => {
    let r = await bot.admin('POST', '/admin/notices', CONTENT);
    assert.equal(r.status, 201);
    const { id, version } = (await r.json()) as { id: string; version: number };
    assert.equal(version, 1);
    r = await bot.admin('PUT', `/admin/notices/${id}`, { ...CONTENT, body: { zh: '正文二', en: 'Body 2' } });
    assert.equal(r.status, 201);
    assert.deepEqual(await r.json(), { id, version: 2 });
    r = await bot.admin('GET', `/admin/notices/${id}`);
    const n = (await r.json()) as { latestVersion: number; versions: { version: number; body: { en: string }; createdAt: string }[] };
    assert.equal(n.latestVersion, 2);
    assert.deepEqual(n.versions.map((v) => [v.version, v.body.en]), [[1, 'Body'], [2, 'Body 2']]);
    assert.match(n.versions[0]!.createdAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    r = await bot.admin('GET', `/admin/notices/${id}/versions/1`);
    assert.equal(((await r.json()) as { body: { en: string } }).body.en, 'Body');
    r = await bot.admin('GET', '/admin/notices');
    assert.ok(((await r.json()) as { notices: { id: string }[] }).notices.some((x) => x.id === id));
  });

  it('rejects bad input with 400 naming the field, unknown ids with 404, huge bodies with 413', async () => {
    const check = async (r: Response, status: number, code: string, message?: RegExp) => {
      assert.equal(r.status, status);
      const j = (await r.json()) as { error: { code: string; message: string } };
      assert.equal(j.error.code, code);
      if (message) assert.match(j.error.message, message);
    };
    await check(await bot.admin('POST', '/admin/notices', '{not json'), 400, 'ADMIN_BAD_JSON');
    await check(await bot.admin('POST', '/admin/notices', { title: { en: 'x' }, body: CONTENT.body }), 400, 'NOTICE_BAD_REQUEST', /^title\.zh: is required$/);
    await check(await bot.admin('POST', '/admin/notices', { title: CONTENT.title, body: { zh: '', en: 'x' } }), 400, 'NOTICE_BAD_REQUEST', /^body\.zh: must not be empty$/);
    await check(await bot.admin('PUT', '/admin/notices/n-unknown', CONTENT), 404, 'NOTICE_NOT_FOUND');
    await check(await bot.admin('GET', '/admin/notices/n-unknown'), 404, 'NOTICE_NOT_FOUND');
    await check(await bot.admin('GET', '/admin/notices/n-unknown/versions/abc'), 404, 'NOTICE_NOT_FOUND');
    const id = ((await (await bot.admin('POST', '/admin/notices', CONTENT)).json()) as { id: string }).id;
    await check(await bot.admin('POST', '/admin/broadcasts', { noticeId: id, platform: 'wecom' }), 400, 'NOTICE_BAD_REQUEST', /^audience: /);
    await check(await bot.admin('POST', '/admin/broadcasts', { noticeId: id, platform: 'wecom', audience: { departmentIds: [''] } }), 400, 'NOTICE_BAD_REQUEST', /^audience\.departmentIds\.0: must not be empty$/);
    await check(await bot.admin('POST', '/admin/broadcasts', { noticeId: id, platform: 'WeCom', audience: { all: true } }), 400, 'NOTICE_BAD_REQUEST', /^platform: /);
    await check(await bot.admin('POST', '/admin/broadcasts', { noticeId: id, platform: 'feishu', audience: { all: true } }), 400, 'NOTICE_PLATFORM_UNAVAILABLE');
    await check(await bot.admin('POST', '/admin/broadcasts', { noticeId: 'n-unknown', platform: 'wecom', audience: { all: true } }), 404, 'NOTICE_NOT_FOUND');
    await check(await bot.admin('POST', '/admin/broadcasts', { noticeId: id, platform: 'wecom', audience: { departmentIds: ['404'] } }), 502, 'NOTICE_AUDIENCE_FAILED');
    for (const path of ['/admin/broadcasts/b-unknown', '/admin/broadcasts/b-unknown/recipients.csv', '/admin/broadcasts/b-unknown/audit.csv']) {
      await check(await bot.admin('GET', path), 404, 'BROADCAST_NOT_FOUND');
    }
    await check(await bot.admin('POST', '/admin/broadcasts/b-unknown/resend', { only: 'failed' }), 404, 'BROADCAST_NOT_FOUND');
    await check(await bot.admin('POST', '/admin/broadcasts/b-unknown/resend', { only: 'everyone' }), 400, 'NOTICE_BAD_REQUEST', /^only: /);
    await check(await bot.admin('POST', '/admin/broadcasts/b-unknown/cancel'), 404, 'BROADCAST_NOT_FOUND');
    await check(await bot.admin('POST', '/admin/notices', 'x'.repeat(5 * 1024 * 1024)), 413, 'ADMIN_BODY_TOO_LARGE');
  });

  it('creates a broadcast (201 {id}) and shows it with counts', async () => {
    const id = ((await (await bot.admin('POST', '/admin/notices', CONTENT)).json()) as { id: string }).id;
    const r = await bot.admin('POST', '/admin/broadcasts', { noticeId: id, platform: 'wecom', audience: { departmentIds: [1] } });
    assert.equal(r.status, 201);
    const created = (await r.json()) as { id: string; state: string; counts: Record<string, number> };
    assert.match(created.id, /^b-/);
    const view = (await (await bot.admin('GET', `/admin/broadcasts/${created.id}`)).json()) as Record<string, unknown>;
    assert.equal(view.id, created.id);
    assert.equal(view.state, 'sending');
    assert.deepEqual(view.counts, { targeted: 1, pending: 1, sent: 0, failed: 0, read: 0, acknowledged: 0 });
    assert.deepEqual(view.failures, []);
    const list = (await (await bot.admin('GET', '/admin/broadcasts')).json()) as { broadcasts: { id: string }[] };
    assert.equal(list.broadcasts[0]!.id, created.id);
    const csv = await bot.admin('GET', `/admin/broadcasts/${created.id}/recipients.csv`);
    assert.equal(csv.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.match(csv.headers.get('content-disposition') ?? '', /attachment; filename="broadcast-b-\w+-recipients\.csv"/);
    const bytes = Buffer.from(await csv.arrayBuffer());
    assert.equal(bytes.subarray(0, 3).toString('hex'), 'efbbbf');
    const cancel = await bot.admin('POST', `/admin/broadcasts/${created.id}/cancel`);
    assert.equal(cancel.status, 200);
    assert.equal(((await cancel.json()) as { state: string }).state, 'cancelled');
    const resend = await bot.admin('POST', `/admin/broadcasts/${created.id}/resend`, { only: 'failed' });
    assert.equal(resend.status, 409);
  });
});

describe('admin API: a scheduled broadcast (injected clock)', () => {
  let bot: NoticeBot;
  const clock = new ManualClock();
  before(async () => {
    bot = await startNoticeBot({ fake: { users: ['zhangsan', 'lisi'] }, worker: false, clock });
  });
  after(() => bot.close());

  it('exposes notBefore and `scheduled` (true until notBefore, by the notice clock), in the list and the broadcast', async () => {
    const noticeId = ((await (await bot.admin('POST', '/admin/notices', CONTENT)).json()) as { id: string }).id;
    const notBefore = clock.now() + 60 * 60 * 1000;
    const r = await bot.admin('POST', '/admin/broadcasts', { noticeId, platform: 'wecom', audience: { userIds: ['zhangsan'] }, notBefore });
    assert.equal(r.status, 201);
    const id = ((await r.json()) as { id: string }).id;
    const view = async () => (await (await bot.admin('GET', `/admin/broadcasts/${id}`)).json()) as { state: string; notBefore: string; scheduled: boolean };
    const listed = async () => ((await (await bot.admin('GET', '/admin/broadcasts')).json()) as { broadcasts: { id: string; scheduled: boolean }[] }).broadcasts.find((b) => b.id === id)!;
    const waiting = await view();
    assert.deepEqual([waiting.state, waiting.notBefore, waiting.scheduled], ['sending', new Date(notBefore).toISOString(), true]);
    assert.equal((await listed()).scheduled, true);
    clock.advance(60 * 60 * 1000 - 1);
    assert.equal((await view()).scheduled, true);
    clock.advance(1);
    assert.equal((await view()).scheduled, false, 'due: it has started sending');
    assert.equal((await listed()).scheduled, false);
    // A broadcast without a schedule is never "scheduled".
    const now = await bot.admin('POST', '/admin/broadcasts', { noticeId, platform: 'wecom', audience: { userIds: ['lisi'] } });
    const plain = (await (await bot.admin('GET', `/admin/broadcasts/${((await now.json()) as { id: string }).id}`)).json()) as { notBefore: null; scheduled: boolean };
    assert.deepEqual([plain.notBefore, plain.scheduled], [null, false]);
  });
});

const redisDown = await redisUnreachable(REDIS_TEST_URL);

/** The bot with two users on the given store and clock, without a worker. */
const storeBot = (kind: 'sqlite' | 'redis', clock: ManualClock): Promise<NoticeBot> =>
  startNoticeBot({ fake: { users: ['zhangsan', 'lisi'] }, worker: false, clock, ...(kind === 'redis' ? { backend: { kind: 'redis' as const, url: REDIS_TEST_URL } } : {}) });

for (const kind of ['sqlite', 'redis'] as const) {
  describe(`admin API: remind and retry refused while a scheduled broadcast has not started (${kind}, injected clock)`, { skip: kind === 'redis' && redisDown ? `Redis: ${redisDown}` : false }, () => {
    let bot: NoticeBot;
    const clock = new ManualClock();
    before(async () => {
      bot = await storeBot(kind, clock);
    });
    after(() => bot.close());

    it('409 BROADCAST_NOT_STARTED "scheduled for <time>, not started" for both kinds of resend, nothing recorded; accepted once its time has come', async () => {
      const noticeId = ((await (await bot.admin('POST', '/admin/notices', CONTENT)).json()) as { id: string }).id;
      const notBefore = clock.now() + 2 * 60 * 60 * 1000;
      const created = await bot.admin('POST', '/admin/broadcasts', { noticeId, platform: 'wecom', audience: { userIds: ['zhangsan', 'lisi'] }, notBefore });
      assert.equal(created.status, 201);
      const id = ((await created.json()) as { id: string }).id;
      const auditBefore = (await bot.core.notices.store.listAudit(id)).length;
      for (const only of ['unacknowledged', 'failed'] as const) {
        const r = await bot.admin('POST', `/admin/broadcasts/${id}/resend`, { only });
        assert.equal(r.status, 409, only);
        const j = (await r.json()) as { error: { code: string; message: string } };
        assert.equal(j.error.code, 'BROADCAST_NOT_STARTED', only);
        // The time in the company time zone (Asia/Shanghai by default), as the console shows it.
        assert.equal(j.error.message, `scheduled for ${zonedIso(notBefore, 'Asia/Shanghai')}, not started`);
        assert.match(j.error.message, /^scheduled for \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+08:00, not started$/);
      }
      const view = (await (await bot.admin('GET', `/admin/broadcasts/${id}`)).json()) as { state: string; scheduled: boolean; reminder: { round: number }; counts: { pending: number } };
      assert.deepEqual([view.state, view.scheduled, view.reminder.round, view.counts.pending], ['sending', true, 0, 2], 'still scheduled, no reminder round');
      assert.equal((await bot.core.notices.store.listAudit(id)).length, auditBefore, 'nothing appended to the audit trail');
      assert.deepEqual(await bot.core.notices.store.listReminderRounds(id), []);
      // One ms before its time it is still refused; at its time it has started, and both are accepted.
      clock.advance(notBefore - clock.now() - 1);
      assert.equal((await bot.admin('POST', `/admin/broadcasts/${id}/resend`, { only: 'failed' })).status, 409);
      clock.advance(1);
      for (const only of ['unacknowledged', 'failed'] as const) {
        const r = await bot.admin('POST', `/admin/broadcasts/${id}/resend`, { only });
        assert.equal(r.status, 200, only);
        assert.deepEqual(((await r.json()) as { id: string; only: string }).only, only);
      }
      // A broadcast without a schedule was never refused this way.
      const plain = ((await (await bot.admin('POST', '/admin/broadcasts', { noticeId, platform: 'dingtalk', audience: { userIds: ['lisi'] } })).json()) as { id: string }).id;
      assert.equal((await bot.admin('POST', `/admin/broadcasts/${plain}/resend`, { only: 'unacknowledged' })).status, 200);
    });
  });
}

for (const kind of ['sqlite', 'redis'] as const) {
  describe(`admin API: a broadcast stuck resolving expires PREPARE_TTL_MS after its creation (${kind}, injected clock)`, { skip: kind === 'redis' && redisDown ? `Redis: ${redisDown}` : false }, () => {
    let bot: NoticeBot;
    const clock = new ManualClock();
    before(async () => {
      bot = await storeBot(kind, clock);
    });
    after(() => bot.close());

    type Shown = { id: string; state: string; expired?: boolean; confirmBy: string | null };
    const view = async (id: string) => (await (await bot.admin('GET', `/admin/broadcasts/${id}`)).json()) as Shown;
    const listed = async (id: string) => ((await (await bot.admin('GET', '/admin/broadcasts')).json()) as { broadcasts: Shown[] }).broadcasts.find((b) => b.id === id)!;

    it('a send whose resolution never finished (its process died) shows expired from createdAt + PREPARE_TTL_MS, in the list and the broadcast; it cannot be confirmed or resent', async () => {
      const noticeId = ((await (await bot.admin('POST', '/admin/notices', CONTENT)).json()) as { id: string }).id;
      // The first half of a foreground send (POST /admin/broadcasts, the CLI's send), then the process "dies":
      // recorded resolving, one recipient of two added, no preparation lease for a worker to notice.
      const id = await bot.core.notices.recordBroadcast({ noticeId, platform: 'wecom', audience: { userIds: ['zhangsan', 'lisi'] }, createdBy: 'api' });
      await bot.core.notices.store.addRecipients(id, ['zhangsan'], clock.now());
      const created = clock.now();
      const fresh = await view(id);
      assert.deepEqual([fresh.state, fresh.expired, fresh.confirmBy], ['resolving', undefined, null]);
      clock.advance(PREPARE_TTL_MS - 1);
      assert.equal((await view(id)).expired, undefined, 'one ms before the TTL: not yet');
      assert.equal((await listed(id)).expired, undefined);
      clock.advance(1);
      assert.equal(clock.now(), created + PREPARE_TTL_MS);
      const stale = await view(id);
      assert.deepEqual([stale.state, stale.expired], ['resolving', true], 'expired, with no change to the stored broadcast');
      assert.equal((await listed(id)).expired, true);
      const confirm = await bot.admin('POST', `/admin/broadcasts/${id}/confirm`);
      assert.equal(confirm.status, 409);
      assert.equal(((await confirm.json()) as { error: { code: string } }).error.code, 'BROADCAST_NOT_PREPARED');
      assert.equal((await bot.admin('POST', `/admin/broadcasts/${id}/resend`, { only: 'failed' })).status, 409);
      assert.equal((await bot.core.notices.store.getBroadcast(id))!.counts.sent, 0, 'nothing sent');
    });

    it('a prepared broadcast awaiting the confirm expires at its confirmBy, not at createdAt + PREPARE_TTL_MS; a sending or cancelled one never this way', async () => {
      const noticeId = ((await (await bot.admin('POST', '/admin/notices', CONTENT)).json()) as { id: string }).id;
      const store = bot.core.notices.store;
      const t0 = clock.now();
      // Prepared by an instance (its lease), ready an hour later: it awaits the confirm until a day after that.
      await store.createBroadcast({ id: `b-await-${kind}`, noticeId, version: 1, platform: 'wecom', audience: { userIds: ['lisi'] }, readSupported: false, createdBy: 'console:hr', preparation: { owner: 'inst-a', leaseUntil: t0 + 30_000 } }, t0);
      await store.addRecipients(`b-await-${kind}`, ['lisi'], t0);
      const confirmBy = t0 + 60 * 60 * 1000 + PREPARE_TTL_MS;
      await store.endPreparation(`b-await-${kind}`, 'inst-a', t0 + 60 * 60 * 1000, confirmBy);
      // A broadcast resolved at once and sending, and one cancelled by an admin, both as old.
      const sending = ((await (await bot.admin('POST', '/admin/broadcasts', { noticeId, platform: 'wecom', audience: { userIds: ['zhangsan'] } })).json()) as { id: string }).id;
      const cancelled = await bot.core.notices.recordBroadcast({ noticeId, platform: 'wecom', audience: { userIds: ['zhangsan'] }, createdBy: 'api' });
      await bot.admin('POST', `/admin/broadcasts/${cancelled}/cancel`);
      clock.advance(PREPARE_TTL_MS);
      const waiting = await view(`b-await-${kind}`);
      assert.deepEqual([waiting.state, waiting.expired, waiting.confirmBy], ['resolving', undefined, new Date(confirmBy).toISOString()], 'awaiting the confirm: its confirmBy decides');
      clock.advance(confirmBy - clock.now());
      assert.equal((await view(`b-await-${kind}`)).expired, true, 'not confirmed by confirmBy');
      assert.equal((await listed(`b-await-${kind}`)).expired, true);
      assert.equal((await view(sending)).expired, undefined);
      assert.deepEqual([(await view(cancelled)).state, (await view(cancelled)).expired], ['cancelled', undefined]);
    });
  });
}
