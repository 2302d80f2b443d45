/**
 * Console sign-in with the work platform, over real HTTP on loopback: the bot with WeCom, DingTalk and
 * Feishu configured against fakes of their login servers (test/fakes/login-servers.ts). For each
 * platform the whole round trip (sign-in page → authorize page → callback → session), and the
 * refusals: a state that does not match the browser's cookie, a callback replayed, a code replayed
 * under a new state, an identity linked to no account (refused and audited with its id), DingTalk
 * another organisation's corpId, Feishu another tenant and a PKCE verifier the fake rejects; the
 * offered platforms and the cookies' attributes; nothing offered without CONSOLE_PUBLIC_URL.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../../helpers/free-port.ts';
import { startTestBot, type TestBot } from '../../helpers/app.ts';
import { ConsoleClient } from '../../helpers/console-client.ts';
import { AccountStore } from '../../../src/console/accounts.ts';
import { ConsoleAudit } from '../../../src/console/sessions.ts';
import { LoginRefused } from '../../../src/platform/login.ts';
import { createFeishuLogin } from '../../../adapters/feishu/login.ts';
import { FakeDingtalkLogin, FakeFeishuLogin, FakeWecomLogin, approveUrl } from '../../fakes/login-servers.ts';
import { LOGIN_PLATFORMS } from '../../../adapters/login.ts';

const WECOM = { corpId: 'ww0123456789abcdef', agentId: 1000002, secret: 'wecom-secret' };
const DING = { appKey: 'dingappkey123', appSecret: 'ding-secret', corpId: 'dingcorp0001' };
const FEISHU = { appId: 'cli_a1b2c3d4e5f60718', appSecret: 'feishu-secret', tenantKey: 'tenant-ours' };

/** Outcome of one browser-like trip through the platform sign-in. */
interface Trip {
  status: number;
  location: string;
  sessionCookie: string;
}

describe('console sign-in with the work platform (fakes of the three login servers)', () => {
  let bot: TestBot;
  let wecom: FakeWecomLogin;
  let ding: FakeDingtalkLogin;
  let feishu: FakeFeishuLogin;
  let accounts: AccountStore;
  let audit: ConsoleAudit;
  let publicUrl = '';

  before(async () => {
    wecom = await new FakeWecomLogin(WECOM, ['ZhangSan', 'lisi'], ['guest']).start();
    ding = await new FakeDingtalkLogin(DING, ['manager01', 'staff02'], ['outsider']).start();
    feishu = await new FakeFeishuLogin(FEISHU, [{ openId: 'ou_owner' }, { openId: 'ou_stranger' }, { openId: 'ou_elsewhere', tenantKey: 'tenant-other' }]).start();
    const port = await freePort();
    publicUrl = `http://127.0.0.1:${port}`;
    wecom.trustedDomain = `127.0.0.1:${port}`;
    bot = await startTestBot({
      PORT: String(port),
      CONSOLE_PUBLIC_URL: publicUrl,
      WECOM_CORP_ID: WECOM.corpId, WECOM_AGENT_ID: String(WECOM.agentId), WECOM_SECRET: WECOM.secret, WECOM_TOKEN: 'tok123', WECOM_ENCODING_AES_KEY: 'a'.repeat(43),
      WECOM_API_BASE: wecom.url, WECOM_LOGIN_BASE: wecom.url,
      DINGTALK_APP_KEY: DING.appKey, DINGTALK_APP_SECRET: DING.appSecret, DINGTALK_ROBOT_CODE: DING.appKey, DINGTALK_API_BASE: ding.url,
      DINGTALK_LOGIN_BASE: ding.url, DINGTALK_CORP_ID: DING.corpId,
      FEISHU_APP_ID: FEISHU.appId, FEISHU_APP_SECRET: FEISHU.appSecret, FEISHU_VERIFICATION_TOKEN: 'verify-token', FEISHU_API_BASE: feishu.url,
      FEISHU_ACCOUNTS_BASE: feishu.url, FEISHU_TENANT_KEY: FEISHU.tenantKey,
    }, { noticeWorker: false });
    accounts = new AccountStore(bot.core.store, Date.now, LOGIN_PLATFORMS);
    audit = new ConsoleAudit(bot.core.store);
    await accounts.add('hr.wang', 'owner');
    await accounts.link('hr.wang', 'wecom', 'ZhangSan');
    await accounts.link('hr.wang', 'feishu', 'ou_owner');
    await accounts.add('legal.li', 'auditor');
    await accounts.link('legal.li', 'dingtalk', 'manager01');
  });
  after(async () => {
    await bot?.close();
    await Promise.all([wecom?.close(), ding?.close(), feishu?.close()]);
  });

  /** GET /console/login/<platform>: the authorize URL and the state cookie. */
  async function start(platform: string): Promise<{ authorize: string; loginCookie: string; setCookie: string }> {
    const res = await fetch(`${bot.url}/console/login/${platform}`, { redirect: 'manual' });
    assert.equal(res.status, 302);
    const setCookie = res.headers.get('set-cookie') ?? '';
    const m = /pb_login=([^;]+)/.exec(setCookie);
    assert.ok(m, 'a state cookie is set');
    return { authorize: res.headers.get('location')!, loginCookie: `pb_login=${m[1]}`, setCookie };
  }
  /** The callback URL the fake's page sends the browser to when `who` approves (null = declines). */
  async function approve(authorize: string, who: string | null): Promise<string> {
    const page = await fetch(authorize);
    const html = await page.text();
    assert.equal(page.status, 200, html);
    return approveUrl(html, who);
  }
  async function callback(url: string, cookie: string): Promise<Trip> {
    const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    const m = /pb_console=([^;]+)/.exec(res.headers.get('set-cookie') ?? '');
    return { status: res.status, location: res.headers.get('location') ?? '', sessionCookie: m ? `pb_console=${m[1]}` : '' };
  }
  async function trip(platform: string, who: string | null): Promise<Trip> {
    const s = await start(platform);
    return callback(await approve(s.authorize, who), s.loginCookie);
  }
  async function whoAmI(cookie: string) {
    const c = new ConsoleClient(bot.url);
    c.cookie = cookie;
    return c.call('GET', '/console/api/session');
  }
  async function lastAudit() {
    return (await audit.recent(1))[0]!;
  }

  it('offers the three configured platforms; the state cookie is HttpOnly, SameSite=Lax and scoped to /console/login', async () => {
    const r = await fetch(`${bot.url}/console/api/login/platforms`);
    // Each as its adapter describes it: the sign-in page takes every platform word from here.
    assert.deepEqual(await r.json(), { platforms: LOGIN_PLATFORMS.map(({ id, label, signInHint }) => ({ id, label, signInHint })) });
    assert.deepEqual(LOGIN_PLATFORMS.map((p) => p.id), ['wecom', 'dingtalk', 'feishu']);
    assert.ok(LOGIN_PLATFORMS.every((p) => p.label.zh && p.label.en && p.signInHint.zh && p.signInHint.en && p.userIdHint.zh && p.userIdHint.en));
    const s = await start('feishu');
    assert.match(s.setCookie, /HttpOnly/);
    assert.match(s.setCookie, /SameSite=Lax/);
    assert.match(s.setCookie, /Path=\/console\/login/);
    assert.equal((await fetch(`${bot.url}/console/login/sandbox`, { redirect: 'manual' })).status, 404);
  });

  it('WeCom: the authorize URL of §10.1, a linked member signs in (userid compared in lower case), the session is a console session', async () => {
    const s = await start('wecom');
    const u = new URL(s.authorize);
    assert.equal(u.origin + u.pathname, `${wecom.url}/wwlogin/sso/login`);
    assert.equal(u.searchParams.get('login_type'), 'CorpApp');
    assert.equal(u.searchParams.get('appid'), WECOM.corpId);
    assert.equal(u.searchParams.get('agentid'), String(WECOM.agentId));
    assert.equal(u.searchParams.get('redirect_uri'), `${publicUrl}/console/login/wecom/callback`);
    const t = await callback(await approve(s.authorize, 'ZhangSan'), s.loginCookie);
    assert.equal(t.status, 303);
    assert.equal(t.location, '/console');
    const me = await whoAmI(t.sessionCookie);
    assert.equal(me.status, 200);
    assert.equal(me.body.name, 'hr.wang');
    assert.equal(me.body.mustChange, false, 'no password was used: no password change is forced');
    assert.equal((await lastAudit()).action, 'sign-in (wecom)');
    assert.equal((await lastAudit()).actor, 'hr.wang');
    assert.ok((await accounts.get('hr.wang'))!.lastSignInAt, 'the last sign-in is kept');
    const gets = wecom.calls('/cgi-bin/auth/getuserinfo');
    assert.equal(gets.length, 1);
    assert.ok(gets[0]!.query.code && gets[0]!.query.access_token);
  });

  it('WeCom: a member linked to no account is refused and audited with the id; a non-member is another organisation; declining is "denied"', async () => {
    const t = await trip('wecom', 'lisi');
    assert.equal(t.location, '/console?login_error=not_linked');
    assert.equal(t.sessionCookie, '');
    const e = await lastAudit();
    assert.equal(e.action, 'sign-in refused (wecom: not_linked)');
    assert.equal(e.target, 'wecom:lisi');
    assert.equal((await trip('wecom', 'guest')).location, '/console?login_error=other_org');
    assert.equal((await trip('wecom', null)).location, '/console?login_error=denied');
  });

  it('a state that does not match the browser is refused before any code exchange; a replayed callback is refused', async () => {
    const exchanges = wecom.calls('/cgi-bin/auth/getuserinfo').length;
    const s = await start('wecom');
    const url = await approve(s.authorize, 'ZhangSan');
    const other = await start('wecom');
    assert.equal((await callback(url, other.loginCookie)).location, '/console?login_error=state', 'another browser’s state cookie');
    assert.equal((await callback(url, '')).location, '/console?login_error=state', 'no cookie');
    assert.equal(wecom.calls('/cgi-bin/auth/getuserinfo').length, exchanges, 'no code was exchanged');
    const ok = await callback(url, s.loginCookie);
    assert.equal(ok.location, '/console');
    const again = await callback(url, s.loginCookie);
    assert.equal(again.location, '/console?login_error=state', 'the same state twice');
    assert.equal(again.sessionCookie, '');
  });

  it('a code replayed under a fresh state is refused by the platform (WeCom 40029, DingTalk, Feishu 20065)', async () => {
    for (const [platform, who] of [['wecom', 'ZhangSan'], ['dingtalk', 'manager01'], ['feishu', 'ou_owner']] as const) {
      const first = await start(platform);
      const url = new URL(await approve(first.authorize, who));
      assert.equal((await callback(url.href, first.loginCookie)).location, '/console', platform);
      const second = await start(platform);
      const state = new URL(second.authorize).searchParams.get('state')!;
      url.searchParams.set('state', state);
      const t = await callback(url.href, second.loginCookie);
      assert.equal(t.location, '/console?login_error=bad_code', platform);
      assert.equal(t.sessionCookie, '');
    }
  });

  it('DingTalk: the authorize URL of §10.2, a linked member signs in through userAccessToken → users/me → getbyunionid', async () => {
    const s = await start('dingtalk');
    const u = new URL(s.authorize);
    assert.equal(u.origin + u.pathname, `${ding.url}/oauth2/auth`);
    assert.equal(u.searchParams.get('client_id'), DING.appKey);
    assert.equal(u.searchParams.get('scope'), 'openid corpid');
    assert.equal(u.searchParams.get('prompt'), 'consent');
    assert.equal(u.searchParams.get('response_type'), 'code');
    const t = await callback(await approve(s.authorize, 'manager01'), s.loginCookie);
    assert.equal(t.location, '/console');
    assert.equal((await whoAmI(t.sessionCookie)).body.role, 'auditor');
    const tokenCall = ding.calls('/v1.0/oauth2/userAccessToken').at(-1)!;
    assert.deepEqual(Object.keys(tokenCall.body!).sort(), ['clientId', 'clientSecret', 'code', 'grantType']);
    assert.equal(tokenCall.body!.grantType, 'authorization_code');
    assert.equal(ding.calls('/topapi/user/getbyunionid').at(-1)!.body!.unionid, 'union-manager01');
  });

  it('DingTalk: another organisation’s corpId is refused before its user is looked up; an unlinked member is refused', async () => {
    const before = ding.calls('/v1.0/contact/users/me').length;
    assert.equal((await trip('dingtalk', 'outsider')).location, '/console?login_error=other_org');
    assert.equal(ding.calls('/v1.0/contact/users/me').length, before, 'stopped at the corpId check');
    assert.equal((await trip('dingtalk', 'staff02')).location, '/console?login_error=not_linked');
    assert.equal((await lastAudit()).target, 'dingtalk:staff02');
    assert.equal((await trip('dingtalk', null)).location, '/console?login_error=denied');
  });

  it('Feishu: PKCE S256 — the challenge sent to the authorize page matches the verifier the token call carries; linked open_id signs in', async () => {
    const s = await start('feishu');
    const u = new URL(s.authorize);
    assert.equal(u.origin + u.pathname, `${feishu.url}/open-apis/authen/v1/authorize`);
    assert.equal(u.searchParams.get('code_challenge_method'), 'S256');
    assert.match(u.searchParams.get('code_challenge')!, /^[A-Za-z0-9_-]{43}$/);
    const t = await callback(await approve(s.authorize, 'ou_owner'), s.loginCookie);
    assert.equal(t.location, '/console');
    assert.equal((await whoAmI(t.sessionCookie)).body.name, 'hr.wang');
    const tokenCall = feishu.calls('/open-apis/authen/v2/oauth/token').at(-1)!;
    assert.equal(tokenCall.body!.redirect_uri, `${publicUrl}/console/login/feishu/callback`);
    assert.match(String(tokenCall.body!.code_verifier), /^[A-Za-z0-9_-]{43}$/);
  });

  it('Feishu: another tenant is refused; an unlinked person is refused and audited; a wrong PKCE verifier is refused by the fake (20049)', async () => {
    assert.equal((await trip('feishu', 'ou_elsewhere')).location, '/console?login_error=other_org');
    assert.equal((await trip('feishu', 'ou_stranger')).location, '/console?login_error=not_linked');
    assert.equal((await lastAudit()).target, 'feishu:ou_stranger');
    // The adapter alone against the fake: a verifier that is not the challenge's.
    const login = createFeishuLogin({ appId: FEISHU.appId, appSecret: FEISHU.appSecret, apiBase: feishu.url, accountsBase: feishu.url, tenantKey: FEISHU.tenantKey });
    const redirectUri = 'http://127.0.0.1:9/console/login/feishu/callback';
    const authorize = login.authorizeUrl({ state: 'st', redirectUri, lang: 'zh', codeChallenge: 'x'.repeat(43) });
    const code = new URL(await approve(authorize, 'ou_owner')).searchParams.get('code')!;
    await assert.rejects(login.identify({ query: { code, state: 'st' }, redirectUri, codeVerifier: 'not-the-verifier' }), (e: unknown) => e instanceof LoginRefused && e.reason === 'misconfigured' && /20049/.test(e.detail));
    assert.equal((await trip('feishu', null)).location, '/console?login_error=denied');
  });

  it('nothing is offered without CONSOLE_PUBLIC_URL', async () => {
    const plain = await startTestBot({ FEISHU_APP_ID: FEISHU.appId, FEISHU_APP_SECRET: FEISHU.appSecret, FEISHU_VERIFICATION_TOKEN: 'v', FEISHU_API_BASE: feishu.url }, { noticeWorker: false });
    try {
      assert.deepEqual(await (await fetch(`${plain.url}/console/api/login/platforms`)).json(), { platforms: [] });
      assert.equal((await fetch(`${plain.url}/console/login/feishu`, { redirect: 'manual' })).status, 404);
    } finally {
      await plain.close();
    }
  });
});
