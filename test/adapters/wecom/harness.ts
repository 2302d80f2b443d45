/**
 * Test harness for the WeCom adapter: a real Koa server on 127.0.0.1:0 with @koa/router mounting the
 * adapter, the real SQLite store in a temp dir as ctx.kv, a fake WeCom API, a recording handler, an
 * in-memory log sink and a tracked background runner.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import Koa from 'koa';
import Router from '@koa/router';
import { createWecomAdapter, type WecomAdapter, type WecomAdapterOptions } from '../../../adapters/wecom/index.ts';
import { createLogger } from '../../../src/log.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import type { Store } from '../../../src/store/ports/store.ts';
import type { WecomConfig } from '../../../adapters/wecom/config.ts';
import type { BotResult, InboundMessage, MessageHandler } from '../../../src/platform/message.ts';
import { startFakeWecom, type FakeWecom } from '../../fakes/wecom-api.ts';

/** Official sample set A (protocols.md §6.1 V1). */
export const SET_A = {
  token: 'QDG6eK',
  encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  corpId: 'wx5823bf96d3bd56c7',
  agentId: 218,
} as const;

/** Official Python sample set B (protocols.md §6.1 V2). */
export const SET_B = {
  token: 'hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo',
  encodingAESKey: '6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt',
  corpId: 'ww1436e0e65a779aee',
  agentId: 1000002,
} as const;

/** A BotResult with the given reply texts (visibility 'chat'). */
export function result(...texts: string[]): BotResult {
  return {
    replies: texts.map((text) => ({ text, visibility: 'chat' as const })),
    intent: 'faq',
    topic: null,
    score: 1,
    suggestions: [],
    lang: 'en',
  };
}

export interface Harness {
  /** Base URL of the bot server, e.g. http://127.0.0.1:12345 */
  url: string;
  fake: FakeWecom;
  store: Store;
  adapter: WecomAdapter;
  /** Every message the handler received. */
  calls: InboundMessage[];
  /** Errors thrown by background work. */
  backgroundErrors: unknown[];
  /** Every log line written (JSON strings). */
  logs: string[];
  /** Resolves when all background work has finished. */
  idle(): Promise<void>;
  post(query: string, body: string): Promise<Response>;
  get(query: string): Promise<Response>;
  close(): Promise<void>;
}

export async function startHarness(
  opts: {
    keys?: { token: string; encodingAESKey: string; corpId: string; agentId: number };
    handler?: MessageHandler;
    /** Replies to answer with when no handler is given. */
    answer?: BotResult;
    now?: () => number;
    adapterOptions?: WecomAdapterOptions;
    tokenTtlSeconds?: number;
  } = {},
): Promise<Harness> {
  const keys = opts.keys ?? SET_A;
  const fake = await startFakeWecom({ corpId: keys.corpId, secret: 'app-secret', agentId: keys.agentId, tokenTtlSeconds: opts.tokenTtlSeconds });
  const dir = mkdtempSync(join(tmpdir(), 'wecom-adapter-'));
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
  const answer = opts.answer ?? result('hello back');
  const handler: MessageHandler = opts.handler ?? (async () => answer);
  const config: WecomConfig = { ...keys, secret: 'app-secret', apiBase: fake.url };
  const adapter = createWecomAdapter(
    config,
    {
      handle: async (m) => {
        calls.push(m);
        return handler(m);
      },
      kv: store,
      log: createLogger('debug', sink),
      now: opts.now ?? (() => Date.now()),
      background: (_name, work) => {
        const p = work().catch((e: unknown) => {
          backgroundErrors.push(e);
        });
        running.add(p);
        void p.finally(() => running.delete(p));
      },
    },
    opts.adapterOptions ?? { client: { backoffMs: 5 } },
  );
  const app = new Koa();
  const router = new Router();
  adapter.mount(router);
  app.use(router.routes()).use(router.allowedMethods());
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    fake,
    store,
    adapter,
    calls,
    backgroundErrors,
    logs,
    async idle() {
      while (running.size > 0) await Promise.all([...running]);
    },
    post: (query, body) => fetch(`${url}/wecom/callback?${query}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body }),
    get: (query) => fetch(`${url}/wecom/callback?${query}`),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fake.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
