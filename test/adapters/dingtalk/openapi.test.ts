import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  accessTokenKey,
  createDingtalkOpenApi,
  openApiEndpoint,
  tokenCacheTtlMs,
} from '../../../adapters/dingtalk/openapi.ts';
import { ACCESS_TOKEN_REFRESH_MARGIN_MS, GROUP_MSG_PARAM_MAX_BYTES } from '../../../adapters/dingtalk/limits.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import type { Store } from '../../../src/store/ports/store.ts';
import { createLogger } from '../../../src/log.ts';
import { BotError, ConfigError } from '../../../src/errors.ts';
import { startFakeDingtalk, type FakeDingtalk } from '../../fakes/dingtalk-api.ts';

const log = createLogger('silent');

describe('openApiEndpoint', () => {
  it('always names the protocol (an unset one means plain HTTP in the SDK)', () => {
    assert.deepEqual(openApiEndpoint('https://api.dingtalk.com'), { protocol: 'https', endpoint: 'api.dingtalk.com' });
    assert.deepEqual(openApiEndpoint('http://127.0.0.1:8080'), { protocol: 'http', endpoint: '127.0.0.1:8080' });
    assert.deepEqual(openApiEndpoint('https://proxy.example:8443/'), { protocol: 'https', endpoint: 'proxy.example:8443' });
  });
  it('rejects other schemes and paths with ConfigError', () => {
    for (const bad of ['ftp://api.dingtalk.com', 'api.dingtalk.com', 'https://api.dingtalk.com/v1.0', 'https://u:p@api.dingtalk.com']) {
      assert.throws(() => openApiEndpoint(bad), ConfigError, bad);
    }
  });
});

describe('tokenCacheTtlMs', () => {
  it('drops 7200-s tokens 5 minutes early and short ones at 90 %', () => {
    assert.equal(tokenCacheTtlMs(7200), 7_200_000 - ACCESS_TOKEN_REFRESH_MARGIN_MS);
    assert.equal(tokenCacheTtlMs(60), 54_000);
    assert.equal(tokenCacheTtlMs(1), 900);
  });
});

describe('createDingtalkOpenApi against the fake', () => {
  let fake: FakeDingtalk;
  let store: Store;
  let dir: string;
  before(async () => {
    fake = await startFakeDingtalk({ appKey: 'dingak', appSecret: 'as', robotCode: 'dingrc' });
    dir = mkdtempSync(join(tmpdir(), 'dingtalk-openapi-'));
    store = openSqliteStore(join(dir, 'kv.db'));
  });
  after(async () => {
    await fake.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const config = () => ({ appKey: 'dingak', appSecret: 'as', robotCode: 'dingrc', apiBase: fake.apiBase });

  it('sends the documented batchSend request (msgParam a JSON string, token header, chunked body)', async () => {
    fake.reset();
    await store.delete(accessTokenKey('dingak'));
    const api = createDingtalkOpenApi(config(), store, log);
    const r = await api.batchSendText(['u1', 'u2'], 'hi "there"\n第二行');
    assert.equal(fake.tokenRequests.length, 1);
    assert.deepEqual(fake.tokenRequests[0]!.appKey, 'dingak');
    const req = fake.requests.find((x) => x.path === '/v1.0/robot/oToMessages/batchSend')!;
    assert.equal(req.headers['x-acs-dingtalk-access-token'], fake.issuedTokens[0]);
    assert.equal(req.headers['transfer-encoding'], 'chunked');
    assert.deepEqual(JSON.parse(req.body), {
      msgKey: 'sampleText',
      msgParam: JSON.stringify({ content: 'hi "there"\n第二行' }),
      robotCode: 'dingrc',
      userIds: ['u1', 'u2'],
    });
    assert.equal(r.processQueryKey, fake.otoMessages[0]!.processQueryKey);
    assert.deepEqual(r.invalidStaffIdList, []);
  });

  it('reports invalid and flow-controlled staffIds', async () => {
    fake.reset();
    fake.setInvalidStaffId('gone');
    fake.setFlowControlledStaffId('busy');
    const api = createDingtalkOpenApi(config(), store, log);
    const r = await api.batchSendText(['gone', 'busy', 'ok'], 'x');
    assert.deepEqual(r.invalidStaffIdList, ['gone']);
    assert.deepEqual(r.flowControlledStaffIdList, ['busy']);
  });

  it('refuses 0 or more than 20 userIds before calling DingTalk', async () => {
    fake.reset();
    const api = createDingtalkOpenApi(config(), store, log);
    await assert.rejects(api.batchSendText([], 'x'), RangeError);
    await assert.rejects(api.batchSendText(Array.from({ length: 21 }, (_, i) => `u${i}`), 'x'), RangeError);
    const ok = await api.batchSendText(Array.from({ length: 20 }, (_, i) => `u${i}`), 'x');
    assert.ok(ok.processQueryKey);
    assert.equal(fake.otoMessages.length, 1);
  });

  it('sends groupMessages/send with openConversationId and refuses an oversized msgParam', async () => {
    fake.reset();
    const api = createDingtalkOpenApi(config(), store, log);
    await api.groupSendText('cidG==', '群消息');
    assert.equal(fake.groupMessages.length, 1);
    assert.equal(fake.groupMessages[0]!.openConversationId, 'cidG==');
    assert.equal(fake.groupMessages[0]!.msgParam, '{"content":"群消息"}');
    await assert.rejects(api.groupSendText('cidG==', '存'.repeat(GROUP_MSG_PARAM_MAX_BYTES / 3)), (e: unknown) => e instanceof BotError && e.code === 'DINGTALK_MSG_TOO_LARGE');
    assert.equal(fake.groupMessages.length, 1);
  });

  it('the token cache is shared by instances through the store; concurrent callers share one fetch', async () => {
    fake.reset();
    await store.delete(accessTokenKey('dingak'));
    const a = createDingtalkOpenApi(config(), store, log);
    const b = createDingtalkOpenApi(config(), store, log);
    const tokens = await Promise.all([a.accessToken(), a.accessToken(), a.accessToken()]);
    assert.equal(new Set(tokens).size, 1);
    assert.equal(await b.accessToken(), tokens[0]);
    assert.equal(fake.tokenRequests.length, 1);
    assert.equal(await store.get(accessTokenKey('dingak')), tokens[0]);
  });

  it('a cached token past its store TTL is fetched again', async () => {
    const short = await startFakeDingtalk({ appKey: 'dingshort', appSecret: 's', tokenTtlSeconds: 1 });
    try {
      const api = createDingtalkOpenApi({ appKey: 'dingshort', appSecret: 's', robotCode: 'dingshort', apiBase: short.apiBase }, store, log);
      const t1 = await api.accessToken();
      await new Promise((r) => setTimeout(r, 950));
      await api.batchSendText(['u1'], 'x');
      assert.equal(short.tokenRequests.length, 2);
      assert.notEqual(short.otoMessages[0]!.token, t1);
    } finally {
      await short.close();
    }
  });

  it('API errors become DINGTALK_API_ERROR naming the DingTalk code, without retrying non-token errors', async () => {
    fake.reset();
    const api = createDingtalkOpenApi(config(), store, log);
    fake.failNext('groupSend', { status: 403, code: 'Forbidden.AccessDenied.AccessTokenPermissionDenied', message: 'no perm' });
    await assert.rejects(api.groupSendText('cid', 'x'), (e: unknown) => {
      assert.ok(e instanceof BotError);
      assert.equal(e.code, 'DINGTALK_API_ERROR');
      assert.match(e.message, /Forbidden\.AccessDenied\.AccessTokenPermissionDenied.*HTTP 403/);
      return true;
    });
    assert.equal(fake.requests.filter((r) => r.path === '/v1.0/robot/groupMessages/send').length, 1);
  });

  it('an unreachable API is DINGTALK_API_ERROR', async () => {
    const api = createDingtalkOpenApi({ ...config(), appKey: 'dingdown', apiBase: 'http://127.0.0.1:9' }, store, log);
    await assert.rejects(api.accessToken(), (e: unknown) => e instanceof BotError && e.code === 'DINGTALK_API_ERROR');
  });
});
