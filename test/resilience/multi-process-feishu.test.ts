/**
 * Several instances on Feishu: three real bot processes (prefixed-bot.ts, the `serve` wiring) on
 * the shared Redis under one private key prefix, talking to one fake Feishu — each process through
 * its own recording proxy, so the test knows which process made which call. Shown:
 * - the tenant_access_token is fetched once for the three (their start-up checks race on a cold
 *   store) and once again after Feishu revoked it, while all three are answering;
 * - the same event delivered to all three at once gives one answer; the same message redelivered
 *   later with another event_id to the two other instances gives none;
 * - a notice to 200 employees (more than one process takes at once: 4 batches of 20) is sent by
 *   more than one process, one card per employee, never a second send (not even one that Feishu's
 *   uuid would have swallowed);
 * - a card click delivered twice, to two instances at once, is acknowledged once (both answers
 *   show the acknowledged card; one confirmation message).
 * Every wait is for an event (the processes' log lines, the fake's recorded requests); the
 * 30-60 s bounds are failure guards only.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { cardActionEvent, messageEvent, postCallback, startFakeFeishu, type FakeFeishu, type SentRecord } from '../fakes/feishu-api.ts';
import { deleteRedisPrefix } from '../helpers/redis-prefix.ts';
import { hashUserId } from '../../src/log.ts';
import {
  FEISHU,
  REPO_ROOT,
  SHARED_REDIS_URL,
  sharedRedisReachable,
  spawnBot,
  startFaultProxy,
  feishuEnv,
  uniquePrefix,
  waitUntil,
  type BotProcess,
  type FaultProxy,
} from './harness.ts';

const ADMIN_TOKEN = 'multi-process-feishu-admin-token-0123';
const VERIFICATION_TOKEN = FEISHU.verificationToken;
const ENCRYPT_KEY = FEISHU.encryptKey;
const N = 3;
const TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';
const SEND_PATH = '/open-apis/im/v1/messages';

const redisUp = await sharedRedisReachable();

describe('three Feishu bot processes on one Redis (one key prefix)', { skip: redisUp ? false : `no Redis at ${SHARED_REDIS_URL}` }, () => {
  const prefix = uniquePrefix('mp-feishu');
  let fake: FakeFeishu;
  const proxies: FaultProxy[] = [];
  const bots: BotProcess[] = [];

  before(async () => {
    fake = await startFakeFeishu();
    for (let i = 0; i < N; i++) proxies.push(await startFaultProxy(fake.apiBase));
    bots.push(
      ...(await Promise.all(
        proxies.map((p) =>
          spawnBot(
            { ...feishuEnv(fake, p.url), REDIS_URL: SHARED_REDIS_URL, ADMIN_TOKEN, DATA_DIR: join(REPO_ROOT, '.unused-data') },
            { redisPrefix: prefix },
          ),
        ),
      )),
    );
  });
  after(async () => {
    await Promise.all(bots.map((b) => b.stop()));
    for (const p of proxies) await p.close();
    await fake?.close();
    await deleteRedisPrefix(SHARED_REDIS_URL, prefix);
  });

  /** JSON log lines of every process, with the process index. */
  function logLines(): { proc: number; j: Record<string, unknown> }[] {
    const out: { proc: number; j: Record<string, unknown> }[] = [];
    bots.forEach((b, proc) => {
      for (const l of b.lines) {
        try {
          out.push({ proc, j: JSON.parse(l) as Record<string, unknown> });
        } catch {
          // not JSON
        }
      }
    });
    return out;
  }

  /** Log lines `msg` about the employee `openId` (hashed as the bot logs it). */
  function about(openId: string, msg: string): { proc: number; j: Record<string, unknown> }[] {
    const user = hashUserId('feishu', openId);
    return logLines().filter((l) => l.j.user === user && l.j.msg === msg);
  }

  /** What Feishu recorded for one employee: replies to their messages and 1:1 sends to them. */
  function sentTo(openId: string, messageIds: readonly string[]): SentRecord[] {
    return fake.sent.filter((s) => s.receiveId === openId || (s.parentId !== null && messageIds.includes(s.parentId)));
  }

  function event(openId: string, messageId: string, eventId?: string): Record<string, unknown> {
    return messageEvent({ appId: fake.appId, token: VERIFICATION_TOKEN, messageId, openId, text: '飞书管理员能看到我的私聊吗', ...(eventId ? { eventId } : {}) });
  }

  function post(proc: number, body: unknown): Promise<Response> {
    return postCallback(`${bots[proc]!.url}/feishu/callback`, body, { encryptKey: ENCRYPT_KEY });
  }

  const tokenFetchers = (): number[] => proxies.map((p, i) => (p.seen.some((s) => s.path === TOKEN_PATH) ? i : -1)).filter((i) => i >= 0);

  it('fetches the tenant_access_token once for the three processes, and once again after Feishu revoked it', async (t) => {
    // The three start-up credential checks raced on an empty store: one fetch, the others read it.
    await waitUntil(() => fake.tokensIssued >= 1, 30_000, 'the start-up token fetch');
    const ask = async (tag: string): Promise<void> => {
      const users = Array.from({ length: 30 }, (_, i) => `ou_mp_tok_${tag}_${i}`);
      const answers = await Promise.all(users.map((u, i) => post(i % N, event(u, `om_mp_tok_${tag}_${i}`))));
      assert.deepEqual([...new Set(answers.map((r) => r.status))], [200]);
      await waitUntil(() => users.every((u) => about(u, 'replies delivered').length === 1), 60_000, `30 replies (${tag})`);
      for (const u of users) {
        const [line] = about(u, 'replies delivered');
        assert.equal(line!.j.failed, 0, `${tag}: a reply to ${u} failed`);
      }
    };
    await ask('cold');
    const cold = fake.tokensIssued;
    const coldFetchers = tokenFetchers();
    const senders = proxies.map((p) => p.seen.filter((s) => s.path.startsWith(SEND_PATH)).length);

    fake.revokeTokens();
    await ask('revoked');
    const revoked = fake.tokensIssued - cold;
    t.diagnostic(`3 processes, 30 questions each round: token fetches at start ${cold} (by process ${coldFetchers.join(',')}), after a revocation ${revoked}; message calls per process ${senders.join('/')}`);
    assert.equal(cold, 1);
    assert.equal(coldFetchers.length, 1);
    assert.equal(revoked, 1);
    assert.ok(senders.every((n) => n > 0), 'every process answered');
  });

  it('one answer per message when the same event reaches all three, none when it comes again with another event_id', async (t) => {
    const repeatsBefore = fake.repeatedUuids.length;
    let answers = 0;
    for (let i = 0; i < 10; i++) {
      const openId = `ou_mp_dup_${i}`;
      const messageId = `om_mp_dup_${i}_${randomBytes(4).toString('hex')}`;
      const body = event(openId, messageId);
      const statuses = await Promise.all(bots.map((_, proc) => post(proc, body)));
      assert.deepEqual(statuses.map((r) => r.status), [200, 200, 200]);
      const decided = () => [...about(openId, 'message accepted'), ...about(openId, 'duplicate message ignored')];
      await waitUntil(() => decided().length >= N, 30_000, `all ${N} processes decided about ${openId}`);
      const accepted = about(openId, 'message accepted');
      assert.equal(accepted.length, 1, `exactly one process accepted it: ${JSON.stringify(decided())}`);
      await waitUntil(() => about(openId, 'replies delivered').length >= 1, 30_000, `reply to ${openId} delivered`);
      const [delivered] = about(openId, 'replies delivered');
      const parts = Number(delivered!.j.chat) + Number(delivered!.j.private);
      assert.ok(parts >= 1);
      assert.equal(sentTo(openId, [messageId]).length, parts, `message ${i}: the one answer only`);

      // Redelivered hours later (for the store) with another event_id, to the two other processes.
      const others = [0, 1, 2].filter((p) => p !== accepted[0]!.proc);
      const again = event(openId, messageId, `ev_again_${i}_${randomBytes(4).toString('hex')}`);
      const redelivered = await Promise.all(others.map((p) => post(p, again)));
      assert.deepEqual(redelivered.map((r) => r.status), [200, 200]);
      await waitUntil(() => about(openId, 'duplicate message ignored').length >= N - 1 + others.length, 30_000, `redelivery of ${openId} decided`);
      assert.equal(about(openId, 'message accepted').length, 1);
      assert.equal(about(openId, 'replies delivered').length, 1);
      assert.equal(sentTo(openId, [messageId]).length, parts);
      answers++;
    }
    t.diagnostic(`10 messages, each to all ${N} processes at once and again with another event_id to two: ${answers} answers, ${fake.repeatedUuids.length - repeatsBefore} repeated sends`);
    assert.equal(fake.repeatedUuids.length, repeatsBefore, 'no process sent an answer a second time');
  });

  it('a notice to 200 employees is sent by more than one process, one card each; a click delivered to two instances is acknowledged once', async (t) => {
    const users = Array.from({ length: 200 }, (_, i) => `ou_mp_staff_${String(i).padStart(3, '0')}`);
    const sendsBefore = proxies.map((p) => p.seen.filter((s) => s.path === SEND_PATH).length);
    const repeatsBefore = fake.repeatedUuids.length;
    const admin = (method: string, path: string, body?: unknown) =>
      fetch(`${bots[0]!.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const n = (await (await admin('POST', '/admin/notices', { title: { zh: '会话存档告知', en: 'Archiving notice' }, body: { zh: '公司对工作聊天存档。', en: 'Work chats are archived.' } })).json()) as { id: string };
    const created = await admin('POST', '/admin/broadcasts', { noticeId: n.id, platform: 'feishu', audience: { userIds: users } });
    assert.equal(created.status, 201, await created.clone().text());
    const b = (await created.json()) as { id: string };
    type View = { state: string; counts: { sent: number; failed: number; acknowledged: number } };
    const view = async (): Promise<View> => (await (await admin('GET', `/admin/broadcasts/${b.id}`)).json()) as View;
    await waitUntil(async () => {
      const v = await view();
      return v.counts.sent + v.counts.failed === users.length;
    }, 120_000, 'broadcast finished');
    assert.equal((await view()).counts.sent, users.length);
    const cards = fake.sent.filter((s) => s.msgType === 'interactive' && s.receiveId !== null && users.includes(s.receiveId));
    const perUser = new Map<string, SentRecord[]>();
    for (const c of cards) perUser.set(c.receiveId!, [...(perUser.get(c.receiveId!) ?? []), c]);
    const sendsPerProcess = proxies.map((p, i) => p.seen.filter((s) => s.path === SEND_PATH).length - sendsBefore[i]!);
    t.diagnostic(`200 employees: ${cards.length} cards, card sends per process ${sendsPerProcess.join('/')}, ${fake.repeatedUuids.length - repeatsBefore} repeated sends`);
    assert.equal(perUser.size, users.length);
    assert.ok([...perUser.values()].every((l) => l.length === 1), 'one card per employee');
    assert.equal(fake.repeatedUuids.length, repeatsBefore, 'no card sent twice');
    assert.ok(sendsPerProcess.filter((c) => c > 0).length >= 2, `sent by more than one process: ${sendsPerProcess.join('/')}`);

    // Five employees click; each click reaches two instances at the same time.
    const clickers = users.slice(0, 5);
    for (const [i, u] of clickers.entries()) {
      const card = perUser.get(u)![0]!;
      const button = (card.content.body as { elements: Record<string, unknown>[] }).elements.find((e) => e.tag === 'button')!;
      const value = (button.behaviors as { value: Record<string, unknown> }[])[0]!.value;
      const click = cardActionEvent({ appId: fake.appId, token: VERIFICATION_TOKEN, openId: u, openMessageId: card.messageId, value });
      const [a, c] = await Promise.all([post(i % N, click), post((i + 1) % N, click)]);
      assert.equal(a.status, 200);
      assert.equal(c.status, 200);
      const [ja, jc] = (await Promise.all([a.json(), c.json()])) as { toast?: { type: string } }[];
      assert.equal(ja!.toast?.type, 'success');
      assert.deepEqual(jc, ja);
      const decided = () => [...about(u, 'card click accepted'), ...about(u, 'repeated card click: nothing recorded again')];
      await waitUntil(() => decided().length >= 2, 30_000, `both instances decided about ${u}'s click`);
      assert.equal(about(u, 'card click accepted').length, 1, `one acknowledgement: ${JSON.stringify(decided())}`);
      await waitUntil(() => about(u, 'replies delivered').length >= 1, 30_000, `confirmation to ${u}`);
    }
    const confirmations = fake.sent.filter((s) => s.msgType === 'text' && s.receiveId !== null && clickers.includes(s.receiveId));
    const v = await view();
    t.diagnostic(`5 clicks, each delivered to two instances: ${v.counts.acknowledged} acknowledged, ${confirmations.length} confirmations`);
    assert.equal(v.counts.acknowledged, clickers.length);
    assert.deepEqual(confirmations.map((s) => s.receiveId).sort(), [...clickers].sort());
    assert.equal(fake.repeatedUuids.length, repeatsBefore, 'no confirmation sent twice');
  });
});
