/* privacy-bot admin console — the shell: session, language switch, menu and the route to each section's page.
 * Loaded after kit.js and the section scripts, which register their components in PB.c. */
/* global PB, ReactDOM */
(function () {
  'use strict';
  const { html, useState, useEffect, useHash, Layout, Menu, Button, Alert, Spin, ConfigProvider, Header, Content, Sider, t, api, locales, THEME, REDUCED_MOTION, dayjs } = PB.kit;
  const S = PB.state;
  const { SignIn, ChangePassword, Notices, NoticeDetail, Broadcasts, BroadcastPage, Policies, Statuses, Knowledge, Health, Audit } = PB.c;

  // ---------- shell ----------
  function App() {
    const [session, setSession] = useState(undefined);
    const [, setLangState] = useState(S.lang);
    const [narrow, setNarrow] = useState(window.innerWidth < 768);
    const [collapsed, setCollapsed] = useState(true);
    useEffect(() => {
      const r = () => setNarrow(window.innerWidth < 768);
      addEventListener('resize', r);
      return () => removeEventListener('resize', r);
    }, []);
    const hash = useHash();
    S.onUnauthenticated = () => setSession(null);
    useEffect(() => {
      // 200 either way: {signedIn: false} when nobody is (no failed request in the browser's log).
      api('GET', '/session').then((s) => {
        if (s && s.signedIn) {
          S.csrf = s.csrf;
          setSession(s);
        } else setSession(null);
      }, () => setSession(null));
    }, []);
    const switchLang = () => {
      S.lang = S.lang === 'zh' ? 'en' : 'zh';
      localStorage.setItem('pb-console-lang', S.lang);
      document.documentElement.lang = S.lang === 'zh' ? 'zh-CN' : 'en';
      dayjs.locale(S.lang === 'zh' ? 'zh-cn' : 'en');
      setLangState(S.lang);
    };
    useEffect(() => {
      document.documentElement.lang = S.lang === 'zh' ? 'zh-CN' : 'en';
      dayjs.locale(S.lang === 'zh' ? 'zh-cn' : 'en');
    }, []);
    // Whether the sandbox (made-up employees) is on: a label in the header says nothing reaches real people.
    const [sandbox, setSandbox] = useState(false);
    const signedIn = Boolean(session && !session.mustChange);
    useEffect(() => {
      if (signedIn) api('GET', '/platforms').then((r) => setSandbox(Boolean(r.sandbox)), () => setSandbox(false));
    }, [signedIn]);
    const go = (h) => { location.hash = h; };
    const langButton = html`<${Button} id="lang-switch" size="small" onClick=${switchLang}>${t('language')}<//>`;
    let body;
    if (session === undefined) body = html`<div style=${{ padding: 48, textAlign: 'center' }}><${Spin} /></div>`;
    else if (session === null) body = html`<div><div style=${{ textAlign: 'right', padding: 12 }}>${langButton}</div><${SignIn} onDone=${setSession} /></div>`;
    else if (session.mustChange) body = html`<div><div style=${{ textAlign: 'right', padding: 12 }}>${langButton}</div><${ChangePassword} session=${session} onDone=${setSession} /></div>`;
    else {
      const canWrite = session.role !== 'auditor';
      const [, section = 'notices', sub] = hash.replace(/^#\/?/, '#/').split('/');
      const page =
        section === 'notices' && sub ? html`<${NoticeDetail} id=${decodeURIComponent(sub)} canWrite=${canWrite} go=${go} />`
        : section === 'broadcasts' && sub ? html`<${BroadcastPage} id=${decodeURIComponent(sub)} canWrite=${canWrite} go=${go} />`
        : section === 'broadcasts' ? html`<${Broadcasts} />`
        : section === 'policies' ? html`<${Policies} canWrite=${canWrite} />`
        : section === 'statuses' ? html`<${Statuses} canWrite=${canWrite} />`
        : section === 'knowledge' ? html`<${Knowledge} />`
        : section === 'health' ? html`<${Health} />`
        : section === 'audit' ? html`<${Audit} />`
        : section === 'accounts' && session.role === 'owner' ? html`<${PB.c.Accounts} me=${session.name} />`
        : html`<${Notices} canWrite=${canWrite} go=${go} />`;
      const items = ['notices', 'broadcasts', 'policies', 'statuses', 'knowledge', 'health', 'audit', ...(session.role === 'owner' ? ['accounts'] : [])].map((k) => ({ key: k, label: html`<a href=${`#/${k}`}>${t(k)}</a>` }));
      const signOut = () => api('DELETE', '/session').finally(() => { S.csrf = ''; setSession(null); });
      const signOutButton = html`<${Button} size="small" id="sign-out" onClick=${signOut}>${t('signOut')}<//>`;
      // Wide: one row, the title giving way first. Narrow (a phone): two rows, nothing cut off — the menu button and
      // the title (wrapping if it must), then the account (wrapping a long name) with the language switch and sign-out.
      const header = narrow
        ? html`<${Header} id="console-header" style=${{ height: 'auto', lineHeight: 1.5, padding: '8px 12px', background: '#001529', display: 'flex', flexDirection: 'column', gap: 8 }}>
            <div style=${{ display: 'flex', alignItems: 'center', gap: 12, minWidth: 0 }}>
              <${Button} size="small" id="menu-toggle" aria-label="menu" aria-expanded=${!collapsed} onClick=${() => setCollapsed(!collapsed)} style=${{ flex: 'none' }}>☰<//>
              <span id="app-title" style=${{ color: '#fff', fontWeight: 600, flex: '1 1 0', minWidth: 0, overflowWrap: 'anywhere' }}>${t('appTitle')}</span>
            </div>
            <div style=${{ display: 'flex', alignItems: 'center', gap: 8, minWidth: 0 }}>
              <span id="whoami" style=${{ color: '#fff', flex: '1 1 0', minWidth: 0, overflowWrap: 'anywhere' }}>${session.name} · ${session.role}</span>
              <span style=${{ flex: 'none', display: 'flex', gap: 8 }}>${langButton}${signOutButton}</span>
            </div>
          <//>`
        : html`<${Header} id="console-header" style=${{ display: 'flex', alignItems: 'center', gap: 12, padding: '0 16px', background: '#001529', flexWrap: 'nowrap', overflow: 'hidden' }}>
            <span id="app-title" style=${{ color: '#fff', fontWeight: 600, whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis', flex: 1 }}>${t('appTitle')}</span>
            ${sandbox && html`<span id="sandbox-label" role="status" style=${{ background: '#faad14', color: '#000', fontWeight: 600, padding: '2px 8px', borderRadius: 4, whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis', minWidth: 0, flexShrink: 1 }} title=${t('sandboxLabel')}>${t('sandboxLabel')}</span>`}
            <span style=${{ color: '#fff', whiteSpace: 'nowrap' }} id="whoami">${session.name} · ${session.role}</span>
            ${langButton}
            ${signOutButton}
          <//>`;
      body = html`<${Layout} style=${{ minHeight: '100vh' }}>
        ${header}
        ${sandbox && narrow && html`<div id="sandbox-label" role="status" style=${{ background: '#faad14', color: '#000', fontWeight: 600, padding: '4px 16px', textAlign: 'center' }}>${t('sandboxLabel')}</div>`}
        <${Layout}>
          <${Sider} collapsedWidth=${0} trigger=${null} collapsed=${narrow && collapsed} theme="light" width=${180}>
            <nav aria-label="menu"><${Menu} mode="inline" selectedKeys=${[section]} items=${items} onClick=${() => setCollapsed(true)} /></nav>
          <//>
          <${Content} style=${{ padding: 16, minWidth: 0 }}>
            <main>
              ${!canWrite && html`<${Alert} type="info" showIcon message=${t('readOnly')} style=${{ marginBottom: 16 }} />`}
              ${page}
            </main>
          <//>
        <//>
      <//>`;
    }
    return html`<${ConfigProvider} locale=${S.lang === 'zh' ? locales.zh_CN : locales.en_US} theme=${THEME} wave=${{ disabled: REDUCED_MOTION }}>${body}<//>`;
  }

  ReactDOM.createRoot(document.getElementById('root')).render(html`<${App} />`);
})();

