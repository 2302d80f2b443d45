/** The WECOM_AIBOT_* configuration block (adapters/wecom-aibot/config.ts) and the registry entry (adapters/index.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Router from '@koa/router';
import { createAdapters } from '../../../adapters/index.ts';
import { ENVIRONMENT_VARIABLES, loadConfig } from '../../../src/app/config.ts';
import { ConfigError } from '../../../src/errors.ts';
import { createLogger } from '../../../src/log.ts';
import type { KeyValueStore } from '../../../src/store/ports/store.ts';

const HTTP_ENV = { WECOM_AIBOT_TOKEN: 'QDG6eK', WECOM_AIBOT_ENCODING_AES_KEY: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C' };
const APP_ENV = {
  WECOM_CORP_ID: 'wwcorp', WECOM_AGENT_ID: '1000002', WECOM_SECRET: 's', WECOM_TOKEN: 'QDG6eK',
  WECOM_ENCODING_AES_KEY: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
};

const configError = (pattern: RegExp) => (e: unknown) => e instanceof ConfigError && pattern.test(e.message);

test('absent by default; every variable is listed', () => {
  assert.equal(loadConfig({}).wecomAibot, null);
  for (const v of ['WECOM_AIBOT_MODE', 'WECOM_AIBOT_TOKEN', 'WECOM_AIBOT_ENCODING_AES_KEY', 'WECOM_AIBOT_BOT_ID', 'WECOM_AIBOT_SECRET', 'WECOM_AIBOT_WS_URL']) {
    assert.ok((ENVIRONMENT_VARIABLES as readonly string[]).includes(v), v);
  }
});

test('http mode (the default) needs the token and the AES key', () => {
  assert.deepEqual(loadConfig(HTTP_ENV).wecomAibot, { mode: 'http', token: 'QDG6eK', encodingAESKey: HTTP_ENV.WECOM_AIBOT_ENCODING_AES_KEY });
  assert.throws(() => loadConfig({ WECOM_AIBOT_TOKEN: 'QDG6eK' }), configError(/WECOM_AIBOT_ENCODING_AES_KEY is not set/));
  assert.throws(() => loadConfig({ ...HTTP_ENV, WECOM_AIBOT_ENCODING_AES_KEY: 'short' }), configError(/^WECOM_AIBOT_ENCODING_AES_KEY is invalid/));
  assert.throws(() => loadConfig({ ...HTTP_ENV, WECOM_AIBOT_TOKEN: 'has space' }), configError(/^WECOM_AIBOT_TOKEN is invalid/));
  assert.throws(() => loadConfig({ WECOM_AIBOT_MODE: 'http' }), configError(/WECOM_AIBOT_TOKEN, WECOM_AIBOT_ENCODING_AES_KEY are not set/));
});

test('ws mode needs the bot id and secret; the URL defaults to WeCom and is overridable', () => {
  assert.deepEqual(loadConfig({ WECOM_AIBOT_MODE: 'ws', WECOM_AIBOT_BOT_ID: 'b1', WECOM_AIBOT_SECRET: 's1' }).wecomAibot, {
    mode: 'ws', botId: 'b1', secret: 's1', wsUrl: 'wss://openws.work.weixin.qq.com',
  });
  const local = loadConfig({ WECOM_AIBOT_MODE: 'ws', WECOM_AIBOT_BOT_ID: 'b1', WECOM_AIBOT_SECRET: 's1', WECOM_AIBOT_WS_URL: 'ws://127.0.0.1:9/' });
  assert.equal(local.wecomAibot?.mode === 'ws' && local.wecomAibot.wsUrl, 'ws://127.0.0.1:9');
  assert.throws(() => loadConfig({ WECOM_AIBOT_MODE: 'ws', WECOM_AIBOT_BOT_ID: 'b1' }), configError(/WECOM_AIBOT_SECRET is not set/));
  assert.throws(() => loadConfig({ WECOM_AIBOT_MODE: 'ws', WECOM_AIBOT_BOT_ID: 'b', WECOM_AIBOT_SECRET: 's', WECOM_AIBOT_WS_URL: 'http://x' }), configError(/^WECOM_AIBOT_WS_URL is invalid/));
  assert.throws(() => loadConfig({ WECOM_AIBOT_MODE: 'websocket' }), configError(/^WECOM_AIBOT_MODE is invalid/));
});

function fakeCtx() {
  const kv: KeyValueStore = {
    claim: async () => true, get: async () => null, set: async () => undefined, delete: async () => undefined, deleteIf: async () => false, increment: async () => 1,
  };
  return { handle: async () => { throw new Error('not called'); }, kv, log: createLogger('silent'), now: () => 0, background: () => undefined };
}

test('registry: the AI bot is mounted when configured (alone or with the self-built app), listed as disabled otherwise', () => {
  const none = createAdapters(loadConfig({}), fakeCtx());
  assert.ok(none.disabled.some((d) => d.platform === 'wecom-aibot' && d.variables.includes('WECOM_AIBOT_TOKEN')));

  const alone = createAdapters(loadConfig(HTTP_ENV), fakeCtx());
  assert.deepEqual(alone.adapters.map((a) => a.platform), ['wecom-aibot']);
  const router = new Router();
  alone.adapters[0]!.mount(router);
  assert.ok(router.stack.some((l) => l.path === '/wecom/aibot/callback' && l.methods.includes('POST')));
  assert.ok(router.stack.some((l) => l.path === '/wecom/aibot/callback' && l.methods.includes('GET')));

  const both = createAdapters(loadConfig({ ...HTTP_ENV, ...APP_ENV }), fakeCtx());
  assert.deepEqual(both.adapters.map((a) => a.platform), ['wecom', 'wecom-aibot']);
});
