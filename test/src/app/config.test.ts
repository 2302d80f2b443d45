import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../helpers/app.ts';
import { loadConfig } from '../../../src/app/config.ts';
import { ConfigError } from '../../../src/errors.ts';

const wecom = {
  WECOM_CORP_ID: 'wx5823bf96d3bd56c7',
  WECOM_AGENT_ID: '1000002',
  WECOM_SECRET: 's',
  WECOM_TOKEN: 'QDG6eK',
  WECOM_ENCODING_AES_KEY: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
};

function fails(env: Record<string, string>, variable: RegExp): void {
  assert.throws(() => loadConfig(env), (e: unknown) => e instanceof ConfigError && e.code === 'CONFIG_INVALID' && variable.test(e.message));
}

describe('loadConfig', () => {
  it('runs with no configuration at all: embedded store, both platforms off', () => {
    const c = loadConfig({});
    assert.equal(c.port, 3000);
    assert.equal(c.dataDir, './data');
    assert.equal(c.redisUrl, null);
    assert.equal(c.knowledgeDir, join(REPO_ROOT, 'knowledge'), "the package's own, whatever the working directory");
    assert.equal(c.wecom, null);
    assert.equal(c.dingtalk, null);
    assert.equal(c.tryPage, true);
  });
  it('reads a complete WeCom block with the default API base', () => {
    const c = loadConfig(wecom);
    assert.deepEqual(c.wecom, {
      corpId: 'wx5823bf96d3bd56c7', agentId: 1000002, secret: 's', token: 'QDG6eK',
      encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', apiBase: 'https://qyapi.weixin.qq.com',
    });
  });
  it('EVIDENCE_SIGNING_KEY: unset = unsigned exports; a seed or PEM is read; anything else is named, never shown', () => {
    assert.equal(loadConfig({}).evidenceKey, null);
    const seed = readFileSync(new URL('../../fixtures/evidence/seed.b64', import.meta.url), 'utf8').trim();
    const fingerprint = readFileSync(new URL('../../fixtures/evidence/fingerprint.txt', import.meta.url), 'utf8').trim();
    assert.equal(loadConfig({ EVIDENCE_SIGNING_KEY: seed }).evidenceKey?.publicKey.fingerprint, fingerprint);
    const pem = readFileSync(new URL('../../fixtures/evidence/key.pem', import.meta.url), 'utf8');
    assert.equal(loadConfig({ EVIDENCE_SIGNING_KEY: pem }).evidenceKey?.publicKey.fingerprint, fingerprint);
    fails({ EVIDENCE_SIGNING_KEY: 'hunter2-secret' }, /^EVIDENCE_SIGNING_KEY is invalid: .*\(got a value of 14 characters\)$/);
    assert.throws(() => loadConfig({ EVIDENCE_SIGNING_KEY: 'hunter2-secret' }), (e: Error) => !e.message.includes('hunter2'));
  });
  it('names the missing variables of a partial platform block', () => {
    const { WECOM_SECRET: _s, ...partial } = wecom;
    fails(partial, /WECOM_SECRET is not set/);
    fails({ DINGTALK_APP_KEY: 'k' }, /DINGTALK_APP_SECRET, DINGTALK_ROBOT_CODE are not set/);
  });
  it('names the bad variable and says why', () => {
    fails({ PORT: 'eighty' }, /^PORT is invalid/);
    fails({ PORT: '70000' }, /^PORT is invalid/);
    fails({ ...wecom, WECOM_ENCODING_AES_KEY: 'short' }, /^WECOM_ENCODING_AES_KEY is invalid: must be exactly 43/);
    fails({ ...wecom, WECOM_AGENT_ID: 'abc' }, /^WECOM_AGENT_ID is invalid/);
    fails({ REDIS_URL: 'localhost:6379' }, /^REDIS_URL is invalid/);
    fails({ LOG_LEVEL: 'loud' }, /^LOG_LEVEL is invalid/);
    fails({ WECOM_API_BASE: 'ftp://x' }, /^WECOM_API_BASE is invalid/);
    fails({ TRY_PAGE: 'maybe' }, /^TRY_PAGE is invalid/);
  });
  it('treats empty values as unset and strips a trailing slash from API bases', () => {
    const c = loadConfig({ REDIS_URL: '', DINGTALK_API_BASE: 'http://127.0.0.1:9000/', DINGTALK_APP_KEY: 'k', DINGTALK_APP_SECRET: 's', DINGTALK_ROBOT_CODE: 'k' });
    assert.equal(c.redisUrl, null);
    assert.equal(c.dingtalk?.apiBase, 'http://127.0.0.1:9000');
    assert.equal(loadConfig({ TRY_PAGE: 'off' }).tryPage, false);
  });
  it('admin surface: loopback only by default, ADMIN_ALLOW_FROM replaces it, TRUSTED_PROXIES and ADMIN_PORT read', () => {
    const d = loadConfig({});
    assert.deepEqual(d.adminAllowFrom.map((n) => `${n.address}/${n.prefix}`), ['127.0.0.0/8', '::1/128']);
    assert.deepEqual(d.trustedProxies, []);
    assert.equal(d.adminPort, null);
    const c = loadConfig({ ADMIN_ALLOW_FROM: '10.8.0.0/16, fd00::/8', TRUSTED_PROXIES: '172.30.0.10', ADMIN_PORT: '3001' });
    assert.deepEqual(c.adminAllowFrom.map((n) => `${n.address}/${n.prefix}`), ['10.8.0.0/16', 'fd00::/8']);
    assert.deepEqual(c.trustedProxies.map((n) => `${n.address}/${n.prefix}`), ['172.30.0.10/32']);
    assert.equal(c.adminPort, 3001);
    assert.equal(loadConfig({ ADMIN_PORT: '0', PORT: '0' }).adminPort, 0, 'any free port (tests)');
  });
  it('admin surface: a bad network or port names its variable', () => {
    fails({ ADMIN_ALLOW_FROM: '10.0.0.0/33' }, /^ADMIN_ALLOW_FROM is invalid: "10\.0\.0\.0\/33" is not a network/);
    fails({ ADMIN_ALLOW_FROM: 'intranet' }, /^ADMIN_ALLOW_FROM is invalid/);
    fails({ ADMIN_ALLOW_FROM: ',' }, /^ADMIN_ALLOW_FROM is invalid: it lists no network/);
    fails({ TRUSTED_PROXIES: '10.0.0.1/8,nginx' }, /^TRUSTED_PROXIES is invalid: "nginx"/);
    fails({ ADMIN_PORT: '70000' }, /^ADMIN_PORT is invalid/);
    fails({ ADMIN_PORT: 'admin' }, /^ADMIN_PORT is invalid/);
    fails({ PORT: '3000', ADMIN_PORT: '3000' }, /^ADMIN_PORT is invalid: must differ from PORT/);
  });
});
