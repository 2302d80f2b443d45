/**
 * Test harness for the DingTalk adapter: a real Koa app with @koa/router on 127.0.0.1:0 mounting
 * the adapter, the real SQLite store in a fresh temp dir as ctx.kv, the real BackgroundTasks, a
 * log capture, and the fake DingTalk server. The handler is a plain function (the router is
 * tested end to end elsewhere).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import Koa from 'koa';
import Router from '@koa/router';
import { createLogger } from '../../../src/log.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import type { Store } from '../../../src/store/ports/store.ts';
import { BackgroundTasks } from '../../../src/http/background.ts';
import type { BotResult, InboundMessage, Reply } from '../../../src/platform/message.ts';
import type { DingtalkConfig } from '../../../adapters/dingtalk/config.ts';
import { createDingtalkAdapter } from '../../../adapters/dingtalk/index.ts';
import { sendRobotCallback, startFakeDingtalk, type FakeDingtalk, type FakeDingtalkOptions } from '../../fakes/dingtalk-api.ts';

/** A BotResult with the given replies (intent 'faq'). */
export function result(replies: Reply[]): BotResult {
  return { replies, intent: 'faq', topic: 'archiving-basics', score: 1, suggestions: [], lang: 'zh-CN' };
}

export interface Harness {
  fake: FakeDingtalk;
  store: Store;
  config: DingtalkConfig;
  /** `${url}/dingtalk/callback` */
  callbackUrl: string;
  /** Messages the handler received, in order. */
  handled: InboundMessage[];
  /** Every log line (parsed JSON). */
  logs: Record<string, unknown>[];
  /** The raw log output, for "no text leaked" checks. */
  logText(): string;
  /** Signed POST of `body` (object → JSON) with the fake's appSecret. */
  send(body: unknown, options?: { timestampMs?: number; headers?: Record<string, string> }): Promise<Response>;
  /** Resolves when no background delivery is running. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Replies for a message; default: one 'chat' reply "answer". */
  replies?: (m: InboundMessage) => Reply[];
  fake?: FakeDingtalkOptions;
  /** Overrides of the adapter's config (default: the fake's credentials). */
  config?: Partial<DingtalkConfig>;
  /** Store to use instead of a fresh one (e.g. shared by two adapters); not closed by close(). */
  store?: Store;
  /** Fake to use instead of a fresh one; not closed by close(). */
  sharedFake?: FakeDingtalk;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const fake = options.sharedFake ?? (await startFakeDingtalk(options.fake));
  const dir = options.store ? null : mkdtempSync(join(tmpdir(), 'dingtalk-adapter-'));
  const store = options.store ?? openSqliteStore(join(dir!, 'bot.db'));
  const lines: string[] = [];
  const log = createLogger('debug', { write: (s: string) => void lines.push(s) });
  const background = new BackgroundTasks(log);
  const handled: InboundMessage[] = [];
  const replies = options.replies ?? (() => [{ text: 'answer', visibility: 'chat' as const }]);
  const config: DingtalkConfig = {
    appKey: fake.appKey,
    appSecret: fake.appSecret,
    robotCode: fake.robotCode,
    apiBase: fake.apiBase,
    ...options.config,
  };
  const adapter = createDingtalkAdapter(config, {
    handle: async (m) => {
      handled.push(m);
      return result(replies(m));
    },
    kv: store,
    log,
    now: Date.now,
    background: (name, work) => background.run(name, work),
  });
  const app = new Koa();
  const router = new Router();
  adapter.mount(router);
  app.use(router.routes()).use(router.allowedMethods());
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const callbackUrl = `${url}/dingtalk/callback`;
  return {
    fake,
    store,
    config,
    callbackUrl,
    handled,
    get logs() {
      return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    logText: () => lines.join(''),
    send: (body, o) => sendRobotCallback(callbackUrl, body, fake.appSecret, o),
    idle: () => background.idle(),
    async close() {
      await background.idle();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (!options.sharedFake) await fake.close();
      if (!options.store) {
        await store.close();
        rmSync(dir!, { recursive: true, force: true });
      }
    },
  };
}
