/**
 * DingTalk Stream mode end to end over loopback: the real adapter with the real dingtalk-stream SDK
 * against the fake Stream gateway (test/fakes/dingtalk-stream.ts) and the fake OpenAPI/sessionWebhook
 * server, the real SQLite store and BackgroundTasks. protocols.md §3.3, pitfalls #7 and #8.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import Koa from 'koa';
import Router from '@koa/router';
import { createDingtalkAdapter } from '../../../adapters/dingtalk/index.ts';
import type { PlatformAdapter } from '../../../src/platform/adapter.ts';
import { BackgroundTasks } from '../../../src/http/background.ts';
import { createLogger } from '../../../src/log.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import type { Store } from '../../../src/store/ports/store.ts';
import type { DingtalkConfig } from '../../../adapters/dingtalk/config.ts';
import type { InboundMessage } from '../../../src/platform/message.ts';
import { sendRobotCallback, startFakeDingtalk, type FakeDingtalk } from '../../fakes/dingtalk-api.ts';
import { FAKE_TOPIC_ROBOT, startFakeStreamGateway, type FakeStreamGateway } from '../../fakes/dingtalk-stream.ts';
import { streamGatewayUrl } from '../../../adapters/dingtalk/stream.ts';
import { result } from './harness.ts';

const RECONNECT_MS = 150;

interface StreamRig {
  api: FakeDingtalk;
  gw: FakeStreamGateway;
  store: Store;
  adapter: PlatformAdapter;
  background: BackgroundTasks;
  /** Messages the core received, with whether the gateway got their ack while the core was working. */
  handled: { message: InboundMessage; ackedBefore: boolean }[];
  /** Starts another adapter on the same fakes and store (a "reload"). */
  another(): PlatformAdapter;
  logText(): string;
  close(): Promise<void>;
}

let rig: StreamRig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

async function startRig(options: { repushAfterMs?: number; handleDelayMs?: number; viaApiBase?: boolean } = {}): Promise<StreamRig> {
  const api = await startFakeDingtalk();
  const gw = await startFakeStreamGateway({ clientId: api.appKey, clientSecret: api.appSecret, repushAfterMs: options.repushAfterMs });
  const dir = mkdtempSync(join(tmpdir(), 'dingtalk-stream-'));
  const store = openSqliteStore(join(dir, 'bot.db'));
  const lines: string[] = [];
  const log = createLogger('debug', { write: (s: string) => void lines.push(s) });
  const background = new BackgroundTasks(log);
  const handled: StreamRig['handled'] = [];
  const currentFrames = new Map<string, string>();
  const config: DingtalkConfig = { appKey: api.appKey, appSecret: api.appSecret, robotCode: api.robotCode, apiBase: api.apiBase, mode: 'stream' };
  const adapters: PlatformAdapter[] = [];
  const make = (): PlatformAdapter => {
    const a = createDingtalkAdapter(
      config,
      {
        handle: async (m) => {
          // The ack of this message's frame was sent before the core was called: it reaches the
          // gateway while the core is still working (an adapter that acked after handling would
          // time out here).
          const ackedBefore = await gw
            .waitFor(() => gw.acks.some((ack) => !ack.lost && currentFrames.get(ack.messageId) === m.messageId), 1000)
            .then(() => true, () => false);
          handled.push({ message: m, ackedBefore });
          if (options.handleDelayMs) await new Promise((r) => setTimeout(r, options.handleDelayMs));
          return result([{ text: `answer to ${m.messageId}`, visibility: 'chat' }]);
        },
        kv: store,
        log,
        now: Date.now,
        background: (name, work) => background.run(name, work),
      },
      options.viaApiBase
        ? { streamReconnectIntervalMs: RECONNECT_MS }
        : { streamGatewayUrl: gw.gatewayUrl, streamReconnectIntervalMs: RECONNECT_MS },
    );
    adapters.push(a);
    return a;
  };
  if (options.viaApiBase) api.setStreamGateway(gw.gatewayUrl);
  const adapter = make();
  const r: StreamRig = {
    api,
    gw,
    store,
    adapter,
    background,
    handled,
    another: make,
    logText: () => lines.join(''),
    async close() {
      for (const a of adapters) await a.stop?.();
      await background.idle();
      await gw.close();
      await api.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  // Remember which msgId each pushed frame carries (for the ack-before-handle check).
  const push = gw.pushCallback.bind(gw);
  gw.pushCallback = (body, o) => {
    const id = push(body, o);
    const msgId = (body as { msgId?: string } | null)?.msgId;
    if (msgId) currentFrames.set(id, msgId);
    return id;
  };
  rig = r;
  return r;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('streamGatewayUrl', () => {
  it('keeps the SDK default for api.dingtalk.com and uses the apiBase origin otherwise', () => {
    assert.equal(streamGatewayUrl('https://api.dingtalk.com'), undefined);
    assert.equal(streamGatewayUrl('http://127.0.0.1:4567'), 'http://127.0.0.1:4567/v1.0/gateway/connections/open');
  });
});

describe('DingTalk Stream mode', () => {
  it('with configuration only (apiBase = the fake), the connection goes through <apiBase>/v1.0/gateway/connections/open', async () => {
    const x = await startRig({ viaApiBase: true });
    await x.adapter.start!();
    await x.gw.waitFor(() => x.gw.openConnections().length === 1);
    assert.ok(x.api.requests.some((r) => r.path === '/v1.0/gateway/connections/open' && r.status === 200));
    x.gw.pushCallback(x.api.robotMessage());
    await x.api.waitFor(() => x.api.webhookMessages.length === 1);
  });

  it('start() opens one connection with the app credentials and subscribes to the robot topic', async () => {
    const x = await startRig();
    await x.adapter.start!();
    await x.gw.waitFor(() => x.gw.openConnections().length === 1);
    assert.equal(x.gw.openRequests.length, 1);
    const open = x.gw.openRequests[0]!;
    assert.equal(open.clientId, x.api.appKey);
    assert.equal(open.clientSecret, x.api.appSecret);
    assert.match(open.accept ?? '', /application\/json/);
    assert.ok(open.subscriptions.some((s) => s.type === 'CALLBACK' && s.topic === FAKE_TOPIC_ROBOT), JSON.stringify(open.subscriptions));
    await x.adapter.start!();
    await sleep(50);
    assert.equal(x.gw.connections.length, 1, 'a second start() opens no second connection');
  });

  it('acknowledges a callback before handling it, then answers through the sessionWebhook', async () => {
    const x = await startRig({ handleDelayMs: 100 });
    await x.adapter.start!();
    await x.gw.waitFor(() => x.gw.openConnections().length === 1);
    const body = x.api.robotMessage();
    const messageId = x.gw.pushCallback(body, { messageId: 'm-1' });
    await x.gw.waitFor(() => x.api.webhookMessages.length === 1);
    await x.background.idle();
    assert.equal(x.handled.length, 1);
    assert.equal(x.handled[0]!.message.messageId, body.msgId);
    assert.equal(x.handled[0]!.ackedBefore, true, 'ack frame arrived before the core was called');
    const ack = x.gw.acks.find((a) => a.messageId === messageId)!;
    assert.ok(ack, 'ack recorded');
    assert.equal(ack.frame.code, 200);
    assert.equal(ack.frame.message, 'OK');
    assert.deepEqual(ack.frame.headers, { contentType: 'application/json', messageId: 'm-1' });
    assert.equal(x.api.webhookMessages[0]!.content, `answer to ${body.msgId}`);
    assert.equal(x.api.otoMessages.length, 0);
    assert.doesNotMatch(x.logText(), /我的聊天会被存档吗/, 'question text is never logged');
  });

  it('a re-pushed callback (ack lost) and a second frame with the same msgId get one answer', async () => {
    const x = await startRig({ repushAfterMs: 150 });
    await x.adapter.start!();
    await x.gw.waitFor(() => x.gw.openConnections().length === 1);
    x.gw.loseAcks(1);
    const body = x.api.robotMessage();
    const messageId = x.gw.pushCallback(body);
    await x.gw.waitFor(() => x.gw.pushes.filter((p) => p.messageId === messageId).length === 2);
    await x.gw.waitFor(() => x.gw.isAcked(messageId));
    x.gw.pushCallback(body, { messageId: 'another-frame-same-msg' });
    await x.gw.waitFor(() => x.gw.isAcked('another-frame-same-msg'));
    await sleep(50);
    await x.background.idle();
    assert.equal(x.gw.acks.filter((a) => a.messageId === messageId).length, 2, 'both pushes were acknowledged');
    assert.equal(x.handled.length, 1, 'handled once');
    assert.equal(x.api.webhookMessages.length, 1, 'answered once');
    assert.match(x.logText(), /duplicate message ignored/);
  });

  it('reconnects after the connection drops and keeps answering', async () => {
    const x = await startRig();
    await x.adapter.start!();
    await x.gw.waitFor(() => x.gw.openConnections().length === 1);
    x.gw.dropConnections();
    await x.gw.waitFor(() => x.gw.connections.length === 2 && x.gw.openConnections().length === 1, 5000);
    assert.equal(x.gw.openRequests.length, 2, 'a fresh ticket was asked for');
    assert.equal(x.gw.connections[0]!.droppedByServer, true);
    const body = x.api.robotMessage();
    x.gw.pushCallback(body);
    await x.api.waitFor(() => x.api.webhookMessages.length === 1);
    await sleep(RECONNECT_MS * 3);
    assert.equal(x.gw.connections.length, 2, 'exactly one reconnect');
    assert.equal(x.gw.openConnections().length, 1);
  });

  it('stop() closes the socket and never reconnects', async () => {
    const x = await startRig();
    await x.adapter.start!();
    await x.gw.waitFor(() => x.gw.openConnections().length === 1);
    await x.adapter.stop!();
    await x.gw.waitFor(() => x.gw.openConnections().length === 0);
    assert.notEqual(x.gw.connections[0]!.closedAt, null);
    assert.equal(x.gw.connections[0]!.droppedByServer, false);
    await sleep(RECONNECT_MS * 4);
    assert.equal(x.gw.openRequests.length, 1, 'no new connection request after stop');
    assert.equal(x.gw.connections.length, 1);
    await x.adapter.stop!();
    await x.adapter.start!();
    await sleep(RECONNECT_MS * 2);
    assert.equal(x.gw.connections.length, 1, 'start() after stop() does nothing');
  });

  it('stop() during a pending reconnect cancels it (pitfall #8)', async () => {
    const x = await startRig();
    await x.adapter.start!();
    await x.gw.waitFor(() => x.gw.openConnections().length === 1);
    x.gw.dropConnections();
    await x.gw.waitFor(() => x.gw.openConnections().length === 0);
    await x.adapter.stop!();
    await sleep(RECONNECT_MS * 4);
    assert.equal(x.gw.openRequests.length, 1);
    assert.equal(x.gw.connections.length, 1);
  });

  it('after a reload (stop A, start B) one callback pushed to every socket is handled once', async () => {
    const x = await startRig();
    await x.adapter.start!();
    await x.gw.waitFor(() => x.gw.openConnections().length === 1);
    await x.adapter.stop!();
    const b = x.another();
    await b.start!();
    await x.gw.waitFor(() => x.gw.openConnections().length === 1 && x.gw.connections.length === 2);
    x.gw.pushCallback(x.api.robotMessage(), { toAll: true });
    await x.api.waitFor(() => x.api.webhookMessages.length === 1);
    await sleep(100);
    await x.background.idle();
    assert.equal(x.handled.length, 1);
    assert.equal(x.gw.connections[0]!.closedAt !== null, true, 'A is closed');
  });

  it('wrong credentials: start() resolves, the failure is logged, and it keeps retrying until stopped', async () => {
    const x = await startRig();
    const bad = createDingtalkAdapter(
      { appKey: 'dingwrong', appSecret: 'nope', robotCode: 'dingwrong', apiBase: x.api.apiBase, mode: 'stream' },
      {
        handle: async () => result([]),
        kv: x.store,
        log: createLogger('silent'),
        now: Date.now,
        background: (name, work) => x.background.run(name, work),
      },
      { streamGatewayUrl: x.gw.gatewayUrl, streamReconnectIntervalMs: 50 },
    );
    await bad.start!();
    await x.gw.waitFor(() => x.gw.openRequests.length >= 3);
    assert.ok(x.gw.openRequests.every((r) => !r.ok));
    await bad.stop!();
    const n = x.gw.openRequests.length;
    await sleep(200);
    assert.equal(x.gw.openRequests.length, n, 'no attempt after stop');
    assert.equal(x.gw.connections.length, 0);
  });

  it('acks and drops frames that are not valid robot messages; nothing is handled', async () => {
    const x = await startRig();
    await x.adapter.start!();
    await x.gw.waitFor(() => x.gw.openConnections().length === 1);
    const a = x.gw.pushCallback(null, { rawData: 'not json' });
    const b = x.gw.pushCallback(x.api.robotMessage({ robotCode: 'dingsomeoneelse' }));
    const c = x.gw.pushCallback({ msgId: 'x1', msgtype: 'text' });
    await x.gw.waitFor(() => [a, b, c].every((id) => x.gw.isAcked(id)));
    await sleep(50);
    await x.background.idle();
    assert.equal(x.handled.length, 0);
    assert.equal(x.api.webhookMessages.length + x.api.otoMessages.length, 0);
    assert.match(x.logText(), /DINGTALK_WRONG_ROBOT/);
    assert.match(x.logText(), /DINGTALK_BAD_REQUEST/);
  });

  it('in stream mode POST /dingtalk/callback is not mounted', async () => {
    const x = await startRig();
    const app = new Koa();
    const router = new Router();
    x.adapter.mount(router);
    app.use(router.routes());
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dingtalk/callback`;
      const r = await sendRobotCallback(url, x.api.robotMessage(), x.api.appSecret);
      assert.equal(r.status, 404);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    assert.equal(x.handled.length, 0);
  });
});
