/* privacy-bot admin console — the owner's accounts page (#/accounts, in the menu for owners only): every account
 * with its role, platform links, last sign-in and whether its one-time password is still unchanged; add an account
 * (its one-time password is shown once), change a role, reset a password (a new one-time password), remove, and
 * link / unlink platform identities (the platforms and their names come with the list: GET /console/api/accounts
 * `platforms`, as the adapters describe them). Every change goes through the
 * owner-only console routes of src/console/account-routes.ts (CSRF, audit trail). Registers PB.c.Accounts. */
/* global PB */
(function () {
  'use strict';
  const { html, useState, useEffect, useCallback, Button, Form, Input, Select, Table, Modal, Tag, Space, Card, Alert, Popconfirm, Typography, message, t, api, fail, fmt } = PB.kit;
  PB.addTexts({
    zh: {
      accounts: '账号管理', addAccount: '添加账号', role: '角色', links: '工作平台账号', lastSignIn: '最近登录', mustChangeTag: '一次性密码未修改', never: '从未',
      resetPassword: '重置密码', remove: '删除', confirmRemove: (n) => `删除账号 ${n}？该账号将立即退出。`, confirmReset: (n) => `为 ${n} 生成新的一次性密码？旧密码立即失效。`,
      oneTimeTitle: (n) => `${n} 的一次性密码`, oneTimeHint: '只显示这一次。请通过安全渠道交给本人；首次登录时必须修改。', close: '关闭',
      addLink: '关联', linkTitle: (n) => `为 ${n} 关联工作平台账号`, platformUserId: '平台用户 ID', linkHint: '关联后此人可用该平台登录本账号。',
      roleOwner: 'owner（所有者：管理账号）', roleAdmin: 'admin（发送告知、声明政策）', roleAuditor: 'auditor（只读：统计、导出、操作记录）', accountSaved: '已保存',
    },
    en: {
      accounts: 'Accounts', addAccount: 'Add account', role: 'Role', links: 'Platform identities', lastSignIn: 'Last sign-in', mustChangeTag: 'one-time password unchanged', never: 'never',
      resetPassword: 'Reset password', remove: 'Remove', confirmRemove: (n) => `Remove the account ${n}? It is signed out at once.`, confirmReset: (n) => `Give ${n} a new one-time password? The old one stops working at once.`,
      oneTimeTitle: (n) => `One-time password of ${n}`, oneTimeHint: 'Shown this once. Hand it over safely; it must be changed at the first sign-in.', close: 'Close',
      addLink: 'Link', linkTitle: (n) => `Link a platform identity to ${n}`, platformUserId: 'Platform user id', linkHint: 'The person may then sign in as this account with that platform.',
      roleOwner: 'owner (manages accounts)', roleAdmin: 'admin (sends notices, declares policies)', roleAuditor: 'auditor (reads tallies, exports, audit trail)', accountSaved: 'Saved',
    },
  });
  const ROLE_OPTIONS = () => [{ value: 'owner', label: t('roleOwner') }, { value: 'admin', label: t('roleAdmin') }, { value: 'auditor', label: t('roleAuditor') }];
  const S = PB.state;

  function Accounts({ me }) {
    const [rows, setRows] = useState(null);
    const [platforms, setPlatforms] = useState([]);
    const [adding, setAdding] = useState(false);
    const [linking, setLinking] = useState(null);
    const [oneTime, setOneTime] = useState(null);
    const [addForm] = Form.useForm();
    const [linkForm] = Form.useForm();
    const load = useCallback(() => api('GET', '/accounts').then((r) => {
      setRows(r.accounts);
      setPlatforms(r.platforms || []);
    }, fail), []);
    // A platform's name in the page's language, as its adapter describes it; an id no longer known as it is.
    const platformName = (id) => {
      const p = platforms.find((x) => x.id === id);
      return (p && p.label[S.lang]) || id;
    };
    // Which user id to enter for a platform, in the page's language, as its adapter words it.
    const userIdHint = (id) => {
      const p = platforms.find((x) => x.id === id);
      return (p && p.userIdHint && p.userIdHint[S.lang]) || '';
    };
    const linkPlatform = Form.useWatch('platform', linkForm);
    useEffect(() => void load(), [load]);
    const enc = encodeURIComponent;
    const change = (p) => p.then(() => { message.success(t('accountSaved')); return load(); }, (e) => { fail(e); return load(); });

    const add = async (v) => {
      try {
        const r = await api('POST', '/accounts', { name: v.name, role: v.role });
        setAdding(false);
        addForm.resetFields();
        setOneTime({ name: r.account.name, password: r.password });
        await load();
      } catch (e) {
        fail(e);
      }
    };
    const reset = async (name) => {
      try {
        const r = await api('POST', `/accounts/${enc(name)}/reset`);
        setOneTime({ name, password: r.password });
        await load();
      } catch (e) {
        fail(e);
      }
    };
    const link = async (v) => {
      try {
        await api('POST', `/accounts/${enc(linking)}/links`, { platform: v.platform, userId: v.userId });
        setLinking(null);
        linkForm.resetFields();
        message.success(t('accountSaved'));
        await load();
      } catch (e) {
        fail(e);
      }
    };
    const columns = [
      { title: t('name'), dataIndex: 'name', key: 'name', render: (n) => html`<${Typography.Text} strong>${n}<//>${n === me ? ' ✓' : ''}` },
      {
        title: t('role'), dataIndex: 'role', key: 'role',
        render: (r, a) => html`<${Select} size="small" value=${r} style=${{ minWidth: 110 }} popupMatchSelectWidth=${false} aria-label=${`${t('role')} ${a.name}`} className=${`role-${a.name}`}
          options=${ROLE_OPTIONS()} onChange=${(v) => change(api('PUT', `/accounts/${enc(a.name)}/role`, { role: v }))} />`,
      },
      {
        title: t('links'), dataIndex: 'links', key: 'links',
        render: (links, a) => html`<${Space} wrap size=${4}>
          ${(links || []).map((l) => html`<${Tag} key=${`${l.platform}:${l.userId}`} closable closeIcon=${html`<span aria-label=${`unlink ${l.platform}:${l.userId}`}>×</span>`}
            onClose=${(e) => { e.preventDefault(); change(api('DELETE', `/accounts/${enc(a.name)}/links?platform=${enc(l.platform)}&userId=${enc(l.userId)}`)); }}>${platformName(l.platform)}: ${l.userId}<//>`)}
          <${Button} size="small" type="dashed" className="account-link" onClick=${() => setLinking(a.name)}>+ ${t('addLink')}<//>
        <//>`,
      },
      { title: t('lastSignIn'), dataIndex: 'lastSignInAt', key: 'last', render: (v) => (v ? fmt(v) : t('never')) },
      { title: t('state'), dataIndex: 'mustChange', key: 'mc', render: (v) => (v ? html`<${Tag}>⚠ ${t('mustChangeTag')}<//>` : '') },
      {
        title: '', key: 'actions',
        render: (_v, a) => html`<${Space} wrap>
          <${Popconfirm} title=${t('confirmReset', a.name)} onConfirm=${() => reset(a.name)}><${Button} size="small">${t('resetPassword')}<//><//>
          <${Popconfirm} title=${t('confirmRemove', a.name)} onConfirm=${() => change(api('DELETE', `/accounts/${enc(a.name)}`))}><${Button} size="small" danger>${t('remove')}<//><//>
        <//>`,
      },
    ];
    return html`<${Card} title=${html`<h1 style=${{ fontSize: 18, margin: 0 }}>${t('accounts')}</h1>`}
        extra=${html`<${Button} type="primary" id="account-add" onClick=${() => setAdding(true)}>${t('addAccount')}<//>`}>
      <${Table} rowKey="name" size="small" loading=${rows === null} dataSource=${rows || []} columns=${columns} pagination=${false} scroll=${{ x: true }} id="accounts-table" />
      <${Modal} open=${adding} title=${t('addAccount')} onCancel=${() => setAdding(false)} onOk=${() => addForm.submit()} okButtonProps=${{ id: 'account-add-ok' }} destroyOnClose>
        <${Form} form=${addForm} layout="vertical" onFinish=${add} initialValues=${{ role: 'admin' }}>
          <${Form.Item} htmlFor="account-name" label=${t('name')} name="name" rules=${[{ required: true, message: t('required') }]}><${Input} id="account-name" autoComplete="off" /><//>
          <${Form.Item} label=${t('role')} name="role"><${Select} id="account-role" options=${ROLE_OPTIONS()} /><//>
        <//>
      <//>
      <${Modal} open=${linking !== null} title=${linking ? t('linkTitle', linking) : ''} onCancel=${() => setLinking(null)} onOk=${() => linkForm.submit()} okButtonProps=${{ id: 'link-ok' }} destroyOnClose>
        <${Alert} type="info" showIcon id="link-hint" message=${html`${userIdHint(linkPlatform)} ${t('linkHint')}`} style=${{ marginBottom: 16 }} />
        <${Form} form=${linkForm} layout="vertical" onFinish=${link} initialValues=${{ platform: platforms[0] && platforms[0].id }}>
          <${Form.Item} label=${t('platform')} name="platform"><${Select} id="link-platform" options=${platforms.map((p) => ({ value: p.id, label: platformName(p.id) }))} /><//>
          <${Form.Item} htmlFor="link-user-id" label=${t('platformUserId')} name="userId" rules=${[{ required: true, message: t('required') }]}><${Input} id="link-user-id" autoComplete="off" /><//>
        <//>
      <//>
      <${Modal} open=${oneTime !== null} title=${oneTime ? t('oneTimeTitle', oneTime.name) : ''} onCancel=${() => setOneTime(null)}
          footer=${html`<${Button} type="primary" id="one-time-close" onClick=${() => setOneTime(null)}>${t('close')}<//>`}>
        <${Alert} type="warning" showIcon message=${t('oneTimeHint')} style=${{ marginBottom: 16 }} />
        <${Typography.Text} code copyable id="one-time-password" style=${{ fontSize: 18 }}>${oneTime ? oneTime.password : ''}<//>
      <//>
    <//>`;
  }

  Object.assign(PB.c, { Accounts });
})();
