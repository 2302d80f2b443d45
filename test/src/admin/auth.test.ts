import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tokensEqual } from '../../../src/admin/auth.ts';
import { loadConfig } from '../../../src/app/config.ts';

describe('admin token comparison', () => {
  it('is true only for the same token', () => {
    assert.equal(tokensEqual('0123456789abcdef', '0123456789abcdef'), true);
    assert.equal(tokensEqual('0123456789abcdeX', '0123456789abcdef'), false);
    assert.equal(tokensEqual('0123456789abcdef0', '0123456789abcdef'), false, 'longer');
    assert.equal(tokensEqual('', '0123456789abcdef'), false, 'empty');
    assert.equal(tokensEqual('秘密秘密秘密秘密', '0123456789abcdef'), false, 'non-ASCII');
  });
});

describe('ADMIN_TOKEN and ADMIN_USERS configuration', () => {
  const fails = (env: Record<string, string>, re: RegExp) =>
    assert.throws(() => loadConfig(env), (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID' && re.test(e.message));

  it('are off by default', () => {
    const c = loadConfig({});
    assert.equal(c.adminToken, null);
    assert.deepEqual(c.adminUsers, []);
    assert.deepEqual(loadConfig({ ADMIN_USERS: ' ' }).adminUsers, []);
  });

  it('reads a token and a comma-separated admin list (trimmed, deduplicated)', () => {
    const c = loadConfig({ ADMIN_TOKEN: 'a'.repeat(32), ADMIN_USERS: ' wecom:zhangsan, dingtalk:0123-4,,wecom:zhangsan ' });
    assert.equal(c.adminToken, 'a'.repeat(32));
    assert.deepEqual(c.adminUsers, ['wecom:zhangsan', 'dingtalk:0123-4']);
  });

  it('rejects a short or spaced token without echoing it', () => {
    const secret = 'short-secret';
    assert.throws(() => loadConfig({ ADMIN_TOKEN: secret }), (e: Error) => /^ADMIN_TOKEN is invalid: must be 16–256/.test(e.message) && !e.message.includes(secret));
    fails({ ADMIN_TOKEN: 'has spaces in it 0123456789' }, /^ADMIN_TOKEN is invalid/);
  });

  it('rejects admin entries that are not platform:userId, naming the variable', () => {
    fails({ ADMIN_USERS: 'zhangsan' }, /^ADMIN_USERS is invalid: each entry must be platform:userId/);
    fails({ ADMIN_USERS: 'wecom:zhangsan,WeCom:lisi' }, /^ADMIN_USERS is invalid/);
    fails({ ADMIN_USERS: 'wecom:' }, /^ADMIN_USERS is invalid/);
    fails({ ADMIN_USERS: 'wecom:a b' }, /^ADMIN_USERS is invalid/);
  });
});
