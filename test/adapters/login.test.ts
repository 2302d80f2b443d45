/**
 * The three platform sign-in adapters (adapters/<platform>/login.ts) alone against the fakes of their
 * login servers (test/fakes/login-servers.ts): expired codes on the fake's clock, wrong secrets and
 * trusted-domain errors mapped to "misconfigured", an unreachable platform, and the error-code tables.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LoginRefused, type LoginRefusalReason } from '../../src/platform/login.ts';
import { createWecomLogin, wecomLoginRefusal } from '../../adapters/wecom/login.ts';
import { createDingtalkLogin } from '../../adapters/dingtalk/login.ts';
import { createFeishuLogin, feishuLoginRefusal } from '../../adapters/feishu/login.ts';
import { FAKE_CODE_MS, FakeDingtalkLogin, FakeFeishuLogin, FakeWecomLogin, approveUrl } from '../fakes/login-servers.ts';

const REDIRECT = 'http://127.0.0.1:9/console/login/x/callback';
const refusedAs = (reason: LoginRefusalReason) => (e: unknown) => e instanceof LoginRefused && e.reason === reason;

async function codeFrom(authorize: string, who: string, param = 'code'): Promise<string> {
  return new URL(approveUrl(await (await fetch(authorize)).text(), who)).searchParams.get(param)!;
}

describe('platform sign-in adapters against the fakes', () => {
  let clock = 1_000_000;
  const wecom = new FakeWecomLogin({ corpId: 'wwcorp', agentId: 1000002, secret: 's' }, ['Zhang']);
  const ding = new FakeDingtalkLogin({ appKey: 'k', appSecret: 's', corpId: 'dingours' }, ['m1']);
  const feishu = new FakeFeishuLogin({ appId: 'cli_x', appSecret: 's', tenantKey: 't' }, [{ openId: 'ou_a' }]);
  before(async () => {
    for (const f of [wecom, ding, feishu]) {
      f.now = () => clock;
      await f.start();
    }
  });
  after(async () => {
    await Promise.all([wecom.close(), ding.close(), feishu.close()]);
  });

  it('WeCom: userid lower case; a wrong secret is "misconfigured" (40001); an expired code is "bad_code" (40029)', async () => {
    const login = createWecomLogin({ corpId: 'wwcorp', agentId: 1000002, secret: 's', apiBase: wecom.url, loginBase: wecom.url });
    const url = login.authorizeUrl({ state: 'st', redirectUri: REDIRECT, lang: 'en' });
    assert.equal(new URL(url).searchParams.get('lang'), 'en');
    assert.equal(await login.identify({ query: { code: await codeFrom(url, 'Zhang'), state: 'st' }, redirectUri: REDIRECT }), 'zhang');
    const wrong = createWecomLogin({ corpId: 'wwcorp', agentId: 1000002, secret: 'nope', apiBase: wecom.url, loginBase: wecom.url });
    await assert.rejects(wrong.identify({ query: { code: await codeFrom(url, 'Zhang') }, redirectUri: REDIRECT }), refusedAs('misconfigured'));
    const old = await codeFrom(url, 'Zhang');
    clock += FAKE_CODE_MS + 1;
    await assert.rejects(login.identify({ query: { code: old }, redirectUri: REDIRECT }), refusedAs('bad_code'));
    await assert.rejects(login.identify({ query: { code: 'x'.repeat(513) }, redirectUri: REDIRECT }), refusedAs('bad_code'));
  });

  it('DingTalk: a wrong app secret is "misconfigured"; a used code is "bad_code"', async () => {
    const login = createDingtalkLogin({ appKey: 'k', appSecret: 's', apiBase: ding.url, loginBase: ding.url, corpId: 'dingours' });
    const url = login.authorizeUrl({ state: 'st', redirectUri: REDIRECT, lang: 'zh' });
    assert.match(url, /scope=openid%20corpid/);
    const code = await codeFrom(url, 'm1', 'authCode');
    assert.equal(await login.identify({ query: { authCode: code }, redirectUri: REDIRECT }), 'm1');
    await assert.rejects(login.identify({ query: { authCode: code }, redirectUri: REDIRECT }), refusedAs('bad_code'));
    const wrong = createDingtalkLogin({ appKey: 'k', appSecret: 'nope', apiBase: ding.url, loginBase: ding.url, corpId: 'dingours' });
    await assert.rejects(wrong.identify({ query: { authCode: await codeFrom(url, 'm1', 'authCode') }, redirectUri: REDIRECT }), refusedAs('misconfigured'));
  });

  it('Feishu: an expired code is "expired" (20004); another redirect_uri is "misconfigured" (20071); no verifier fails PKCE', async () => {
    const login = createFeishuLogin({ appId: 'cli_x', appSecret: 's', apiBase: feishu.url, accountsBase: feishu.url, tenantKey: null });
    const verifier = 'v'.repeat(43);
    const { createHash } = await import('node:crypto');
    const url = login.authorizeUrl({ state: 'st', redirectUri: REDIRECT, lang: 'zh', codeChallenge: createHash('sha256').update(verifier).digest('base64url') });
    assert.equal(await login.identify({ query: { code: await codeFrom(url, 'ou_a') }, redirectUri: REDIRECT, codeVerifier: verifier }), 'ou_a');
    const old = await codeFrom(url, 'ou_a');
    clock += FAKE_CODE_MS + 1;
    await assert.rejects(login.identify({ query: { code: old }, redirectUri: REDIRECT, codeVerifier: verifier }), refusedAs('expired'));
    await assert.rejects(login.identify({ query: { code: await codeFrom(url, 'ou_a') }, redirectUri: `${REDIRECT}2`, codeVerifier: verifier }), refusedAs('misconfigured'));
    await assert.rejects(login.identify({ query: { code: await codeFrom(url, 'ou_a') }, redirectUri: REDIRECT }), refusedAs('misconfigured'));
    await assert.rejects(login.identify({ query: { error: 'access_denied' }, redirectUri: REDIRECT }), refusedAs('denied'));
  });

  it('an unreachable platform is "unreachable"; the error tables', async () => {
    const login = createFeishuLogin({ appId: 'cli_x', appSecret: 's', apiBase: 'http://127.0.0.1:9', accountsBase: feishu.url, tenantKey: null });
    await assert.rejects(login.identify({ query: { code: 'c' }, redirectUri: REDIRECT, codeVerifier: 'v' }), refusedAs('unreachable'));
    assert.equal(wecomLoginRefusal('x', 50001, '').reason, 'misconfigured');
    assert.equal(wecomLoginRefusal('x', 40029, '').reason, 'bad_code');
    assert.equal(feishuLoginRefusal('x', 20010, '').reason, 'no_access');
    assert.equal(feishuLoginRefusal('x', 20029, '').reason, 'misconfigured');
    assert.equal(feishuLoginRefusal('x', 20065, '').reason, 'bad_code');
  });
});
