import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../../src/log.ts';
import { BackgroundTasks } from '../../../src/http/background.ts';
import { createFeishuAdapter, type FeishuAdapter } from '../../../adapters/feishu/index.ts';
import { cardActionEvent, messageEvent, postCallback } from '../../fakes/feishu-api.ts';
import { ENCRYPT_KEY, VERIFICATION_TOKEN, startFeishuHarness, type FeishuHarness } from './harness.ts';

const ASKER = 'ou_ws_asker0000000000000000000001';

describe('Feishu long connection (FEISHU_MODE=ws) through the SDK EventDispatcher', () => {
  let h: FeishuHarness;
  let ws: FeishuAdapter;
  let background: BackgroundTasks;
  const health: { platform: string; problem: { code: string; message: string } | null }[] = [];
  let healthWaiter: (() => void) | null = null;
  before(async () => {
    // The HTTP adapter of the harness and a long-connection adapter share one store: two instances.
    h = await startFeishuHarness();
    const log = createLogger('silent');
    background = new BackgroundTasks(log);
    ws = createFeishuAdapter(
      { ...h.config, mode: 'ws', verificationToken: null, encryptKey: null },
      {
        handle: (m) => h.core.handle(m),
        committer: h.core.committer,
        kv: h.core.store,
        log,
        now: Date.now,
        background: (name, work) => background.run(name, work),
        health: (platform, problem) => {
          health.push({ platform, problem });
          healthWaiter?.();
        },
      },
    );
  });
  after(async () => {
    await ws.stop?.();
    await background.idle();
    await h.close();
  });

  it('answers a 1:1 message delivered through the dispatcher, and dedups its HTTP redelivery through the store', async () => {
    h.fake.sent.length = 0;
    const body = messageEvent({ appId: h.fake.appId, token: VERIFICATION_TOKEN, openId: ASKER, messageId: 'om_ws_1', eventId: 'ev_ws_1', text: '撤回的消息公司还能看到吗' });
    const answer = await ws.eventDispatcher.invoke(body, { needCheck: false });
    assert.equal(answer, undefined);
    await background.idle();
    assert.equal(h.fake.sent.length, 1);
    assert.equal(h.fake.sent[0]!.parentId, 'om_ws_1');
    // The same message again over the connection, and over HTTP to the other instance: no second answer.
    await ws.eventDispatcher.invoke({ ...body, header: { ...(body.header as object), event_id: 'ev_ws_2' } }, { needCheck: false });
    const res = await postCallback(h.callbackUrl, { ...body, header: { ...(body.header as object), event_id: 'ev_ws_3' } }, { encryptKey: ENCRYPT_KEY });
    assert.equal(res.status, 200);
    await background.idle();
    await h.idle();
    assert.equal(h.fake.sent.length, 1);
  });

  it('answers a card click with the toast the SDK sends back over the connection', async () => {
    const body = cardActionEvent({ appId: h.fake.appId, token: VERIFICATION_TOKEN, openId: ASKER, openMessageId: 'om_unknown_card', value: { ack: 'ack:nonexistent:1' } });
    const answer = (await ws.eventDispatcher.invoke(body, { needCheck: false })) as { toast?: { type: string }; card?: unknown };
    assert.equal(answer.toast?.type, 'success');
    assert.equal(answer.card, undefined); // not a card this bot sent: nothing to update
    await background.idle();
  });

  it('mounts no route in ws mode', () => {
    const routes: string[] = [];
    ws.mount({ post: (path: string) => void routes.push(path) } as never);
    assert.deepEqual(routes, []);
  });

  it('start() asks the endpoint with the app credentials, reports a refusal to /readyz, and stop() ends it cleanly', async () => {
    const reported = new Promise<void>((resolve) => {
      healthWaiter = resolve;
    });
    await ws.start!();
    await reported;
    assert.equal(h.fake.wsEndpointRequests.length, 1);
    assert.deepEqual(h.fake.wsEndpointRequests[0], { AppID: h.fake.appId, AppSecret: h.fake.appSecret });
    const last = health.at(-1)!;
    assert.equal(last.platform, 'feishu');
    assert.equal(last.problem?.code, 'FEISHU_LONG_CONNECTION_FAILED');
    assert.ok(!last.problem!.message.includes(h.fake.appSecret));
    await ws.stop!();
    await ws.stop!(); // idempotent
  });
});

describe('Feishu long connection: the SDK WSClient against the fake (frames, reconnect, stop)', () => {
  let h: FeishuHarness;
  let ws: FeishuAdapter;
  let background: BackgroundTasks;
  /** Times the adapter reported the connection ready (the SDK's onReady / onReconnected, after its frame handler is attached). */
  let ready = 0;
  let readyWaiters: (() => void)[] = [];
  const waitReady = (n: number): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => (ready >= n ? resolve() : void readyWaiters.push(check));
      check();
    });
  before(async () => {
    h = await startFeishuHarness();
    h.fake.enableLongConnection(50);
    const log = createLogger('silent');
    background = new BackgroundTasks(log);
    ws = createFeishuAdapter(
      { ...h.config, mode: 'ws', verificationToken: null, encryptKey: null },
      {
        handle: (m) => h.core.handle(m),
        committer: h.core.committer,
        kv: h.core.store,
        log,
        now: Date.now,
        background: (name, work) => background.run(name, work),
        health: (_platform, problem) => {
          if (problem !== null) return;
          ready++;
          for (const w of readyWaiters.splice(0)) w();
        },
      },
    );
  });
  after(async () => {
    await ws.stop?.();
    await background.idle();
    await h.close();
  });

  const msg = (messageId: string, eventId: string) =>
    messageEvent({ appId: h.fake.appId, token: VERIFICATION_TOKEN, openId: ASKER, messageId, eventId, text: '撤回的消息公司还能看到吗' });

  it('receives an event frame, answers it with code 200, replies once, and dedups the redelivery', async () => {
    await ws.start!();
    await waitReady(1);
    assert.equal(h.fake.longConnection.opened, 1);
    h.fake.sent.length = 0;
    assert.deepEqual(await h.fake.longConnection.push(msg('om_lc_1', 'ev_lc_1')), { code: 200 });
    await background.idle();
    assert.equal(h.fake.sent.length, 1);
    assert.equal(h.fake.sent[0]!.parentId, 'om_lc_1');
    assert.deepEqual(await h.fake.longConnection.push(msg('om_lc_1', 'ev_lc_2')), { code: 200 });
    await background.idle();
    assert.equal(h.fake.sent.length, 1);
  });

  it('sends the card answer back in the frame', async () => {
    const a = await h.fake.longConnection.push(cardActionEvent({ appId: h.fake.appId, token: VERIFICATION_TOKEN, openId: ASKER, openMessageId: 'om_card_x', value: { ack: 'ack:nothing:1' } }));
    assert.equal(a.code, 200);
    assert.equal((a.data as { toast: { type: string } }).toast.type, 'success');
    await background.idle();
  });

  it('reconnects after the connection is cut and keeps answering', async () => {
    const before = h.fake.longConnection.opened;
    const readyBefore = ready;
    h.fake.longConnection.dropAll();
    await waitReady(readyBefore + 1);
    assert.equal(h.fake.longConnection.opened, before + 1);
    h.fake.sent.length = 0;
    assert.deepEqual(await h.fake.longConnection.push(msg('om_lc_2', 'ev_lc_3')), { code: 200 });
    await background.idle();
    assert.equal(h.fake.sent.length, 1);
    assert.ok(h.fake.wsEndpointRequests.length >= 2);
  });

  it('stop() closes the connection for good', async () => {
    const opened = h.fake.longConnection.opened;
    await ws.stop!();
    await h.fake.longConnection.waitAllClosed();
    assert.equal(h.fake.longConnection.open, 0);
    assert.equal(h.fake.longConnection.opened, opened);
  });
});
