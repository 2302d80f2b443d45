/**
 * Test harness for the WeCom AI bot adapter: a real Koa server on 127.0.0.1:0 mounting the adapter,
 * the real SQLite store in a temp dir as ctx.kv, a fake WeCom API (for 1:1 private replies through
 * the self-built app's message/send), optionally the fake long-connection server, a recording
 * handler, an in-memory log sink and a tracked background runner.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import Koa from 'koa';
import Router from '@koa/router';
import { createWecomAibotAdapter, type WecomAibotAdapter, type WecomAibotAdapterOptions } from '../../../adapters/wecom-aibot/index.ts';
import { createWecomClient } from '../../../adapters/wecom/outbound.ts';
import { openAibotCiphertext } from '../../../adapters/wecom-aibot/crypto.ts';
import { createLogger } from '../../../src/log.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import type { Store } from '../../../src/store/ports/store.ts';
import type { BotResult, InboundMessage, MessageHandler } from '../../../src/platform/message.ts';
import { startFakeWecom, type FakeWecom } from '../../fakes/wecom-api.ts';
import { buildAibotCallback, startFakeAibotWs, type FakeAibotWs } from '../../fakes/wecom-aibot-ws.ts';

/** The AI bot's secrets in tests: official key set A (protocols.md §6.1 V1), as in vector S3. */
export const AIBOT_KEYS = { token: 'QDG6eK', encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C' } as const;
/** protocols.md §6.2 S3 (self-computed; key set A, receiveid ""). */
export const S3 = {
  msgSignature: 'c42c84ac0b7c193a9794ad273a9dc9342aa39064',
  timestamp: '1409659813',
  nonce: '1372623149',
  encrypt:
    'RypEvHKD8QQKFhvQ6QleEOgzV1IWS19cjBNRVNamGYe9h/WQqhBjsxWekT7Bteb2OLvDY2qszXfen8yL4C0oa33kz1r9b1vvRN52oi5V5KB3HjkLo7IGb8gdHoTm4GzenYw07XTovImfmwZXprAdUahkSiGOnI8A5nKW3Z9i6LD71zq6h71efwkIerlUrNsSkiuRvkQ+JhLkRYqAePPBb5m71v9vuv4fHXY5LLoxv9P+YcgF6/FPhs3r0uoiLTGJV5Oq32Hny3T100243ahchS/ha30IAmm3CbOXm/1XwbXlSBZOPTH45qjevFl/ZeqvDt2+kJSmIsnPxlL98g5yAg==',
  plaintext:
    '{"msgid":"m1","aibotid":"aib1","chatid":"c1","chattype":"group","from":{"userid":"zhangsan"},"response_url":"https://example.invalid/r","msgtype":"text","text":{"content":"@bot 我的聊天会被存档吗"}}',
};

/** The self-built app that sends private replies. */
export const APP = { corpId: 'wwaibotcorp0001', agentId: 1000002, secret: 'app-secret' } as const;

export const GENERAL_ANSWER = '公司可以按规定存档工作聊天。来源：example';
export const PRIVATE_STATUS = '你的存档状态：自 2026-03-01 起已存档';

/** The fixed result of the brief: one 'chat' reply (general answer) and one 'private' reply (status). */
export function chatAndPrivate(): BotResult {
  return {
    replies: [
      { text: GENERAL_ANSWER, visibility: 'chat', mentionAsker: true },
      { text: PRIVATE_STATUS, visibility: 'private' },
    ],
    intent: 'faq',
    topic: 'wecom-archive-overview',
    score: 1,
    suggestions: [],
    lang: 'zh-CN',
  };
}

export interface Harness {
  url: string;
  fake: FakeWecom;
  /** Present in ws mode. */
  ws: FakeAibotWs | null;
  store: Store;
  adapter: WecomAibotAdapter;
  calls: InboundMessage[];
  backgroundErrors: unknown[];
  logs: string[];
  idle(): Promise<void>;
  /** POSTs a callback body (object -> encrypted + signed with receiveid ""). */
  postJson(json: object | string): Promise<Response>;
  post(query: string, body: string): Promise<Response>;
  get(query: string): Promise<Response>;
  close(): Promise<void>;
}

/** Vector S3's signing time in ms: the clock to give the adapter for S3 (see startHarness `now`). */
export const S3_NOW = 1409659813_000;

/** Decrypts a passive reply body ({"encrypt","msgsignature","timestamp","nonce"}) and parses its JSON. */
export function openPassive(body: string): Record<string, any> {
  const outer = JSON.parse(body) as { encrypt: string; msgsignature: string; timestamp: string; nonce: string };
  const plain = openAibotCiphertext(AIBOT_KEYS, { msgSignature: outer.msgsignature, timestamp: outer.timestamp, nonce: outer.nonce, encrypt: outer.encrypt });
  return JSON.parse(plain) as Record<string, any>;
}

export async function startHarness(
  opts: {
    handler?: MessageHandler;
    /** false: no self-built app configured (private replies dropped). Default true. */
    withApp?: boolean;
    mode?: 'http' | 'ws';
    options?: WecomAibotAdapterOptions;
    /** ws mode: credentials the adapter presents (default the fake's). */
    wsSecret?: string;
    /** The adapter's clock (default Date.now); vector S3 needs its own time, or its timestamp is stale. */
    now?: () => number;
  } = {},
): Promise<Harness> {
  const fake = await startFakeWecom({ corpId: APP.corpId, secret: APP.secret, agentId: APP.agentId });
  const ws = opts.mode === 'ws' ? await startFakeAibotWs({ botId: 'bot-1', secret: 'bot-secret' }) : null;
  const dir = mkdtempSync(join(tmpdir(), 'wecom-aibot-adapter-'));
  const store = openSqliteStore(join(dir, 'bot.db'));
  const calls: InboundMessage[] = [];
  const backgroundErrors: unknown[] = [];
  const logs: string[] = [];
  const running = new Set<Promise<void>>();
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const log = createLogger('debug', sink);
  const handler: MessageHandler = opts.handler ?? (async () => chatAndPrivate());
  const ctx = {
    handle: async (m: InboundMessage) => {
      calls.push(m);
      return handler(m);
    },
    kv: store,
    log,
    now: opts.now ?? (() => Date.now()),
    background: (_name: string, work: () => Promise<void>) => {
      const p = work().catch((e: unknown) => {
        backgroundErrors.push(e);
      });
      running.add(p);
      void p.finally(() => running.delete(p));
    },
  };
  const privateClient =
    opts.withApp === false
      ? null
      : createWecomClient({ corpId: APP.corpId, agentId: APP.agentId, secret: APP.secret, apiBase: fake.url, kv: store, log, backoffMs: 5 });
  const config =
    opts.mode === 'ws'
      ? { mode: 'ws' as const, botId: 'bot-1', secret: opts.wsSecret ?? 'bot-secret', wsUrl: ws!.url }
      : { mode: 'http' as const, ...AIBOT_KEYS };
  const adapter = createWecomAibotAdapter(config, ctx, { privateClient, tenant: APP.corpId }, opts.options ?? { wsClient: { reconnectInterval: 50 } });
  const app = new Koa();
  const router = new Router();
  adapter.mount(router);
  app.use(router.routes()).use(router.allowedMethods());
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const post = (query: string, body: string) =>
    fetch(`${url}/wecom/aibot/callback?${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return {
    url,
    fake,
    ws,
    store,
    adapter,
    calls,
    backgroundErrors,
    logs,
    async idle() {
      while (running.size > 0) await Promise.all([...running]);
    },
    postJson(json) {
      const cb = buildAibotCallback({ ...AIBOT_KEYS, json });
      return post(cb.query, cb.body);
    },
    post,
    get: (query) => fetch(`${url}/wecom/aibot/callback?${query}`),
    async close() {
      await adapter.stop?.();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      while (running.size > 0) await Promise.all([...running]);
      await fake.close();
      await ws?.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
