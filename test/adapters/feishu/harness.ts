/**
 * Test harness of the Feishu adapter without the app's wiring: the same AdapterContext the server
 * gives the other adapters (src/http/server.ts) — the real core (knowledge base, matcher, router
 * with its commands, notices) over the real embedded SQLite store in a temp dir, real
 * BackgroundTasks, a captured log — a Koa app with @koa/router on 127.0.0.1:0 mounting the
 * adapter, and the fake Feishu (test/fakes/feishu-api.ts). The adapter's notice channel is
 * registered with the core's notice service, as the server does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import Koa from 'koa';
import Router from '@koa/router';
import { loadConfig } from '../../../src/app/config.ts';
import { createCore, type Core } from '../../../src/core.ts';
import { createLogger } from '../../../src/log.ts';
import { BackgroundTasks } from '../../../src/http/background.ts';
import type { InboundMessage } from '../../../src/platform/message.ts';
import { createFeishuAdapter, FEISHU_CALLBACK_PATH, type FeishuAdapter, type FeishuAdapterOptions } from '../../../adapters/feishu/index.ts';
import type { FeishuConfig } from '../../../adapters/feishu/config.ts';
import type { PaceClock } from '../../../adapters/kit/pace.ts';
import { startFakeFeishu, type FakeFeishu } from '../../fakes/feishu-api.ts';
import { REPO_ROOT } from '../../helpers/app.ts';

export const VERIFICATION_TOKEN = 'verification-token-1';
export const ENCRYPT_KEY = 'feishu-encrypt-key-1';

export interface FeishuHarness {
  fake: FakeFeishu;
  core: Core;
  adapter: FeishuAdapter;
  config: FeishuConfig;
  callbackUrl: string;
  /** Messages the core was asked to handle or commit, in order. */
  handled: InboundMessage[];
  logText(): string;
  idle(): Promise<void>;
  close(): Promise<void>;
}

export interface FeishuHarnessOptions {
  config?: Partial<FeishuConfig>;
  adapter?: FeishuAdapterOptions;
  /** Clock handed to the adapter (default Date.now). */
  now?: () => number;
  /** Commits wait for this promise first (a store too slow for the platform's deadline). */
  holdCommits?: Promise<void>;
  /**
   * One clock for the adapter's pace gates and the fake's record of when sends arrived (ms; default
   * the real one): with a virtual clock, `fake.sent[i].at` is the time the gates released send i.
   */
  paceClock?: PaceClock;
}

export async function startFeishuHarness(options: FeishuHarnessOptions = {}): Promise<FeishuHarness> {
  const fake = await startFakeFeishu(options.paceClock ? { now: options.paceClock.now } : {});
  const dir = mkdtempSync(join(tmpdir(), 'feishu-adapter-'));
  const lines: string[] = [];
  const log = createLogger('debug', { write: (s: string) => void lines.push(s) });
  const appConfig = loadConfig({ KNOWLEDGE_DIR: join(REPO_ROOT, 'knowledge'), DATA_DIR: dir, PORT: '0' });
  const core = await createCore(appConfig, log);
  const background = new BackgroundTasks(log);
  const handled: InboundMessage[] = [];
  const config: FeishuConfig = {
    appId: fake.appId,
    appSecret: fake.appSecret,
    verificationToken: VERIFICATION_TOKEN,
    encryptKey: ENCRYPT_KEY,
    apiBase: fake.apiBase,
    mode: 'http',
    ...options.config,
  };
  const adapter = createFeishuAdapter(
    config,
    {
      handle: (m) => {
        handled.push(m);
        return core.handle(m);
      },
      committer: {
        mayChangeState: (m) => core.committer.mayChangeState(m),
        commit: async (m) => {
          handled.push(m);
          if (options.holdCommits) await options.holdCommits;
          return core.committer.commit(m);
        },
      },
      kv: core.store,
      log,
      now: options.now ?? Date.now,
      background: (name, work) => background.run(name, work),
    },
    options.paceClock ? { ...options.adapter, paceClock: options.paceClock } : options.adapter,
  );
  if (adapter.noticeChannel) core.notices.registerChannel(adapter.noticeChannel);
  const app = new Koa();
  const router = new Router();
  adapter.mount(router);
  app.use(router.routes()).use(router.allowedMethods());
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const callbackUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}${FEISHU_CALLBACK_PATH}`;
  return {
    fake,
    core,
    adapter,
    config,
    callbackUrl,
    handled,
    logText: () => lines.join(''),
    idle: () => background.idle(),
    async close() {
      await background.idle();
      await adapter.stop?.();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await fake.close();
      await core.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
