/* privacy-bot admin console — sign in with the work platform: one button per platform the server offers
 * (GET /console/api/login/platforms), each a plain link to /console/login/<id> (the server redirects to the
 * platform's QR / authorize page and back), labelled and explained with the words its adapter gives (`label`,
 * `signInHint`, per language) — this file names no platform; a refused attempt comes back as
 * /console?login_error=<reason>, explained here and removed from the address bar. Registers PB.c.PlatformSignIn
 * (used by signin.js). */
/* global PB */
(function () {
  'use strict';
  const { html, useState, useEffect, Button, Alert, Space, Typography, t, api, TEXTS } = PB.kit;
  const S = PB.state;
  PB.addTexts({
    zh: {
      orPlatform: '或使用工作平台登录', signInWith: (name) => `${name}登录`,
      loginError_state: '登录已过期或不是从本浏览器发起的，请重新点击登录按钮。',
      loginError_not_linked: '你的工作平台账号没有关联任何控制台账号。请联系控制台所有者（owner）为你关联。',
      loginError_denied: '已在平台上取消登录。', loginError_bad_code: '登录凭证无效或已被使用，请重新登录。', loginError_expired: '登录凭证已过期，请重新登录。',
      loginError_other_org: '该账号不属于本企业/组织。', loginError_no_access: '你没有使用该应用的权限（请管理员在平台上把你加入应用的可用范围）。',
      loginError_misconfigured: '平台登录配置有误（回调地址/可信域名/密钥），请联系管理员查看服务日志。', loginError_unreachable: '暂时无法连接工作平台，请稍后再试。',
    },
    en: {
      orPlatform: 'or sign in with your work platform', signInWith: (name) => `Sign in with ${name}`,
      loginError_state: 'The sign-in expired or was not started in this browser; click the sign-in button again.',
      loginError_not_linked: 'Your work platform account is linked to no console account. Ask the console owner to link it.',
      loginError_denied: 'The sign-in was cancelled on the platform.', loginError_bad_code: 'The sign-in code is invalid or was used already; sign in again.', loginError_expired: 'The sign-in code expired; sign in again.',
      loginError_other_org: 'That account belongs to another organisation.', loginError_no_access: 'You may not use this app (ask an administrator to add you to its visible range).',
      loginError_misconfigured: 'Platform sign-in is misconfigured (redirect URL, trusted domain or secret); ask the administrator to check the server log.', loginError_unreachable: 'The work platform cannot be reached right now; try again later.',
    },
  });

  function PlatformSignIn() {
    const [platforms, setPlatforms] = useState([]);
    const [error] = useState(() => new URLSearchParams(location.search).get('login_error'));
    useEffect(() => {
      api('GET', '/login/platforms').then((r) => setPlatforms(r.platforms || []), () => setPlatforms([]));
      if (error) history.replaceState(null, '', location.pathname + location.hash);
    }, []);
    const reason = error && (Object.prototype.hasOwnProperty.call(TEXTS[S.lang], `loginError_${error}`) ? t(`loginError_${error}`) : t('loginError_unreachable'));
    return html`<div>
      ${reason && html`<${Alert} type="error" showIcon message=${reason} style=${{ marginTop: 16 }} role="alert" id="login-error" />`}
      ${platforms.length > 0 && html`<div style=${{ marginTop: 16 }}>
        <${Typography.Text} type="secondary">${t('orPlatform')}<//>
        <${Space} direction="vertical" style=${{ width: '100%', marginTop: 8 }}>
          ${platforms.map((p) => html`<div key=${p.id}>
            <${Button} block id=${`signin-${p.id}`} href=${`/console/login/${encodeURIComponent(p.id)}${S.lang === 'en' ? '?lang=en' : ''}`}
              aria-describedby=${p.signInHint ? `signin-hint-${p.id}` : undefined}>${t('signInWith', p.label[S.lang] || p.id)}<//>
            ${p.signInHint && html`<${Typography.Text} type="secondary" id=${`signin-hint-${p.id}`} style=${{ display: 'block', fontSize: 12, marginTop: 4 }}>${p.signInHint[S.lang]}<//>`}
          </div>`)}
        <//>
      </div>`}
    </div>`;
  }

  Object.assign(PB.c, { PlatformSignIn });
})();
