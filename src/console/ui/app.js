/* privacy-bot admin console: React 18 + Ant Design 5 + dayjs (UMD globals), templates with htm — no build step.
 * Every text from the server is rendered as React text (never as HTML), so notice text with markup stays inert. */
/* global React, ReactDOM, antd, dayjs, htm */
(function () {
  'use strict';
  const html = htm.bind(React.createElement);
  const { useState, useEffect, useCallback, useRef } = React;
  const {
    ConfigProvider, Layout, Menu, Button, Form, Input, Select, Table, Modal, Tag, Space, Card, Statistic, Row, Col, Progress,
    Alert, Typography, Tabs, Radio, Popconfirm, Descriptions, Empty, Result, Spin, message, DatePicker, Upload, List,
  } = antd;
  const { Header, Content, Sider } = Layout;
  const { Title, Text, Paragraph, Link } = Typography;
  const locales = antd.locales || {};

  // ---------- texts ----------
  const TEXTS = {
    zh: {
      appTitle: '隐私助手 管理控制台', signIn: '登录', name: '账号', password: '密码', signInFailed: '账号或密码错误', throttled: '尝试次数过多，请 15 分钟后再试',
      changePassword: '修改密码', changeFirst: '首次登录：请把一次性密码改成你自己的密码（至少 12 个字符）。', current: '当前密码', next: '新密码', repeat: '再次输入新密码', mismatch: '两次输入不一致',
      signOut: '退出', notices: '告知书', broadcasts: '发送记录', policies: '存档政策', statuses: '存档状态', knowledge: '知识库', health: '运行状态', audit: '操作记录',
      newNotice: '新建告知书', newVersion: '新版本', send: '发送', titleZh: '标题（中文，必填）', bodyZh: '正文（中文，必填）', titleEn: '标题（英文，可选）', bodyEn: '正文（英文，可选；留空时使用中文）',
      required: '必填', save: '保存', cancel: '取消', id: '编号', title: '标题', version: '版本', latest: '最新版本', updated: '更新时间', created: '创建时间', versions: '版本历史', open: '查看',
      platform: '平台', audience: '发送对象', all: '全员', departments: '部门', userIds: '指定人员', csvUpload: '上传 CSV', departmentIds: '部门 ID（逗号或换行分隔）', userIdList: '用户 ID（逗号或换行分隔）',
      csvHint: 'CSV：每行一个用户 ID（第一列），可带表头 userId。', badRows: '以下行有问题，未发送任何消息：', line: '行', problem: '问题', review: '核对人数', confirmSend: '确认发送',
      confirmText: (t, v, n, p) => `将告知书「${t}」第 ${v} 版发送给 ${p} 上的 ${n} 人。确认发送？`, headCount: '人数', sendDone: '已开始发送',
      state: '状态', targeted: '目标', pending: '待发送', sent: '已发送', failed: '失败', read: '已读', acknowledged: '已确认', progress: '进度',
      remind: '提醒未确认的人', retryFailed: '重发失败的', cancelBroadcast: '取消发送', exportRecipients: '导出收件人 CSV', exportAudit: '导出审计 CSV', recipients: '收件人', searchUser: '按用户 ID 开头搜索', stateAt: '状态时间',
      queued: (n) => `已排队 ${n} 人`, createdBy: '发起人', readUnsupported: '该平台不回报已读',
      declare: '声明政策', withdraw: '撤回', withdrawn: '已撤回', active: '生效中', since: '起始日期', scope: '范围', retention: '保存期限', purpose: '目的', legalBasis: '法律依据', viewers: '可查看人员（逗号分隔）', history: '全部（含已撤回）', confirmWithdraw: '撤回后该政策不再适用于任何人，但保留在历史中。确认撤回？',
      importCsv: '导入状态 CSV', preview: '校验预览', doImport: '导入', validRows: '有效行', imported: (n) => `已导入 ${n} 条`, nothingImported: '有错误，未导入任何数据', lookup: '查询员工状态', userId: '用户 ID', lookupBtn: '查询', noRecord: '无记录', archived: '已存档', notArchived: '未存档', source: '来源',
      statusCsvHint: '表头：platform,userId,archived,since,scope', chooseFile: '选择文件', topics: '主题', answer: '回答', sources: '来源', reviewed: '审核日期', tryQuestion: '试问一个问题', ask: '提问', noMatch: '没有匹配的主题',
      ready: '就绪', notReady: '未就绪', store: '存储', reason: '原因', refresh: '刷新', actor: '操作人', action: '操作', time: '时间', target: '对象', readOnly: '只读账号（审计员）：不能修改或发送。',
      language: 'English', error: '出错了', back: '返回', noNotices: '还没有告知书',
    },
    en: {
      appTitle: 'privacy-bot admin console', signIn: 'Sign in', name: 'Account', password: 'Password', signInFailed: 'Wrong account or password', throttled: 'Too many attempts; try again in 15 minutes',
      changePassword: 'Change password', changeFirst: 'First sign-in: replace the one-time password with your own (at least 12 characters).', current: 'Current password', next: 'New password', repeat: 'New password again', mismatch: 'The two entries differ',
      signOut: 'Sign out', notices: 'Notices', broadcasts: 'Broadcasts', policies: 'Policies', statuses: 'Statuses', knowledge: 'Knowledge', health: 'Health', audit: 'Audit trail',
      newNotice: 'New notice', newVersion: 'New version', send: 'Send', titleZh: 'Title (Chinese, required)', bodyZh: 'Body (Chinese, required)', titleEn: 'Title (English, optional)', bodyEn: 'Body (English, optional; the Chinese text is used when empty)',
      required: 'Required', save: 'Save', cancel: 'Cancel', id: 'Id', title: 'Title', version: 'Version', latest: 'Latest version', updated: 'Updated', created: 'Created', versions: 'Versions', open: 'Open',
      platform: 'Platform', audience: 'Audience', all: 'Everyone', departments: 'Departments', userIds: 'User ids', csvUpload: 'Upload CSV', departmentIds: 'Department ids (comma or line separated)', userIdList: 'User ids (comma or line separated)',
      csvHint: 'CSV: one user id per line (first column), optional header userId.', badRows: 'These rows are bad; nothing was sent:', line: 'Line', problem: 'Problem', review: 'Count recipients', confirmSend: 'Confirm send',
      confirmText: (t, v, n, p) => `Send notice "${t}" version ${v} to ${n} people on ${p}?`, headCount: 'Head count', sendDone: 'Sending started',
      state: 'State', targeted: 'Targeted', pending: 'Pending', sent: 'Sent', failed: 'Failed', read: 'Read', acknowledged: 'Acknowledged', progress: 'Progress',
      remind: 'Remind unacknowledged', retryFailed: 'Retry failed', cancelBroadcast: 'Cancel', exportRecipients: 'Export recipients CSV', exportAudit: 'Export audit CSV', recipients: 'Recipients', searchUser: 'User id starts with', stateAt: 'State since',
      queued: (n) => `${n} queued`, createdBy: 'Created by', readUnsupported: 'This platform reports no reads',
      declare: 'Declare policy', withdraw: 'Withdraw', withdrawn: 'Withdrawn', active: 'Active', since: 'Since', scope: 'Scope', retention: 'Retention', purpose: 'Purpose', legalBasis: 'Legal basis', viewers: 'Who may read (comma separated)', history: 'All (withdrawn too)', confirmWithdraw: 'Once withdrawn the policy applies to nobody but stays in the history. Withdraw?',
      importCsv: 'Import status CSV', preview: 'Validate', doImport: 'Import', validRows: 'Valid rows', imported: (n) => `${n} imported`, nothingImported: 'Errors found; nothing imported', lookup: 'Look up one employee', userId: 'User id', lookupBtn: 'Look up', noRecord: 'No record', archived: 'Archived', notArchived: 'Not archived', source: 'Source',
      statusCsvHint: 'Header: platform,userId,archived,since,scope', chooseFile: 'Choose file', topics: 'Topics', answer: 'Answer', sources: 'Sources', reviewed: 'Reviewed', tryQuestion: 'Try a question', ask: 'Ask', noMatch: 'No topic matched',
      ready: 'Ready', notReady: 'Not ready', store: 'Store', reason: 'Reason', refresh: 'Refresh', actor: 'Who', action: 'Action', time: 'Time', target: 'Target', readOnly: 'Read-only account (auditor): nothing can be changed or sent.',
      language: '中文', error: 'Something went wrong', back: 'Back', noNotices: 'No notices yet',
    },
  };
  let lang = localStorage.getItem('pb-console-lang') === 'en' ? 'en' : 'zh';
  const t = (k, ...a) => {
    const v = TEXTS[lang][k];
    return typeof v === 'function' ? v(...a) : (v ?? k);
  };

  // ---------- API ----------
  let csrf = '';
  let onUnauthenticated = () => undefined;
  class ApiError extends Error {
    constructor(status, code, msg, body) {
      super(msg);
      this.status = status;
      this.code = code;
      this.body = body;
    }
  }
  async function api(method, path, body) {
    const headers = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET') headers['x-csrf-token'] = csrf;
    const res = await fetch(`/console/api${path}`, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (!res.ok) {
      const err = (json && json.error) || {};
      if (res.status === 401 && path !== '/session') onUnauthenticated();
      throw new ApiError(res.status, err.code || String(res.status), err.message || res.statusText, json);
    }
    return json;
  }
  const fail = (e) => message.error(`${t('error')}: ${e.code ? `${e.code} — ` : ''}${e.message}`);
  /** The server's CSV row problems, in the page's language (unknown ones as sent). */
  const ROW_PROBLEMS_ZH = { 'empty user id': '用户 ID 为空', 'user id longer than 256 characters': '用户 ID 超过 256 个字符', 'user id with a control character': '用户 ID 含控制字符' };
  const rowProblem = (m) => (lang === 'zh' && ROW_PROBLEMS_ZH[m]) || m;
  const fmt = (iso) => (iso ? dayjs(iso).format('YYYY-MM-DD HH:mm:ss') : '—');
  const splitIds = (s) => [...new Set(String(s || '').split(/[\s,，;]+/).map((x) => x.trim()).filter(Boolean))];

  function useHash() {
    const [hash, setHash] = useState(location.hash || '#/notices');
    useEffect(() => {
      const h = () => setHash(location.hash || '#/notices');
      addEventListener('hashchange', h);
      return () => removeEventListener('hashchange', h);
    }, []);
    return hash;
  }

  // ---------- sign-in ----------
  function SignIn({ onDone }) {
    const [busy, setBusy] = useState(false);
    const [err, setErr] = useState(null);
    const submit = async (v) => {
      setBusy(true);
      setErr(null);
      try {
        const s = await api('POST', '/session', { name: v.name, password: v.password });
        csrf = s.csrf;
        onDone(s);
      } catch (e) {
        setErr(e.status === 429 ? t('throttled') : e.status === 401 ? t('signInFailed') : e.message);
      } finally {
        setBusy(false);
      }
    };
    return html`<div style=${{ maxWidth: 380, margin: '10vh auto', padding: 16 }}>
      <${Card}>
        <${Title} level=${1} style=${{ fontSize: 22 }}>${t('appTitle')}<//>
        ${err && html`<${Alert} type="error" showIcon message=${err} style=${{ marginBottom: 16 }} role="alert" />`}
        <${Form} layout="vertical" onFinish=${submit} requiredMark=${false}>
          <${Form.Item} htmlFor="signin-name" label=${t('name')} name="name" rules=${[{ required: true, message: t('required') }]}><${Input} id="signin-name" autoComplete="username" /><//>
          <${Form.Item} htmlFor="signin-password" label=${t('password')} name="password" rules=${[{ required: true, message: t('required') }]}><${Input.Password} id="signin-password" autoComplete="current-password" /><//>
          <${Button} type="primary" htmlType="submit" loading=${busy} block id="signin-submit">${t('signIn')}<//>
        <//>
      <//>
    </div>`;
  }

  function ChangePassword({ session, onDone }) {
    const [err, setErr] = useState(null);
    const submit = async (v) => {
      setErr(null);
      try {
        const s = await api('POST', '/password', { current: v.current, next: v.next });
        onDone(s);
      } catch (e) {
        setErr(e.message);
      }
    };
    return html`<div style=${{ maxWidth: 420, margin: '8vh auto', padding: 16 }}>
      <${Card}>
        <${Title} level=${1} style=${{ fontSize: 22 }}>${t('changePassword')} · ${session.name}<//>
        ${session.mustChange && html`<${Alert} type="info" showIcon message=${t('changeFirst')} style=${{ marginBottom: 16 }} />`}
        ${err && html`<${Alert} type="error" showIcon message=${err} style=${{ marginBottom: 16 }} role="alert" />`}
        <${Form} layout="vertical" onFinish=${submit}>
          <${Form.Item} htmlFor="pw-current" label=${t('current')} name="current" rules=${[{ required: true, message: t('required') }]}><${Input.Password} id="pw-current" autoComplete="current-password" /><//>
          <${Form.Item} htmlFor="pw-next" label=${t('next')} name="next" rules=${[{ required: true, min: 12, message: t('changeFirst') }]}><${Input.Password} id="pw-next" autoComplete="new-password" /><//>
          <${Form.Item} htmlFor="pw-repeat" label=${t('repeat')} name="repeat" dependencies=${['next']}
            rules=${[{ required: true, message: t('required') }, ({ getFieldValue }) => ({ validator: (_r, v) => (v === getFieldValue('next') ? Promise.resolve() : Promise.reject(new Error(t('mismatch')))) })]}>
            <${Input.Password} id="pw-repeat" autoComplete="new-password" />
          <//>
          <${Button} type="primary" htmlType="submit" block id="pw-submit">${t('save')}<//>
        <//>
      <//>
    </div>`;
  }

  // ---------- notices ----------
  function NoticeForm({ open, initial, onClose, onSaved, noticeId }) {
    const [form] = Form.useForm();
    const [busy, setBusy] = useState(false);
    useEffect(() => {
      if (open) form.setFieldsValue(initial || { titleZh: '', bodyZh: '', titleEn: '', bodyEn: '' });
    }, [open]);
    const save = async () => {
      const v = await form.validateFields();
      const content = {
        title: { zh: v.titleZh, en: (v.titleEn || '').trim() || v.titleZh },
        body: { zh: v.bodyZh, en: (v.bodyEn || '').trim() || v.bodyZh },
      };
      setBusy(true);
      try {
        const r = noticeId ? await api('PUT', `/notices/${encodeURIComponent(noticeId)}`, content) : await api('POST', '/notices', content);
        onSaved(r);
      } catch (e) {
        fail(e);
      } finally {
        setBusy(false);
      }
    };
    return html`<${Modal} open=${open} title=${noticeId ? `${t('newVersion')} · ${noticeId}` : t('newNotice')} onCancel=${onClose} onOk=${save} okText=${t('save')} cancelText=${t('cancel')} confirmLoading=${busy} width=${720} destroyOnClose okButtonProps=${{ id: 'notice-save' }}>
      <${Form} form=${form} layout="vertical">
        <${Form.Item} htmlFor="notice-title-zh" label=${t('titleZh')} name="titleZh" rules=${[{ required: true, whitespace: true, message: t('required') }, { max: 200 }]}><${Input} id="notice-title-zh" /><//>
        <${Form.Item} htmlFor="notice-body-zh" label=${t('bodyZh')} name="bodyZh" rules=${[{ required: true, whitespace: true, message: t('required') }, { max: 5000 }]}><${Input.TextArea} id="notice-body-zh" rows=${5} /><//>
        <${Form.Item} htmlFor="notice-title-en" label=${t('titleEn')} name="titleEn" rules=${[{ max: 200 }]}><${Input} id="notice-title-en" /><//>
        <${Form.Item} htmlFor="notice-body-en" label=${t('bodyEn')} name="bodyEn" rules=${[{ max: 5000 }]}><${Input.TextArea} id="notice-body-en" rows=${4} /><//>
      <//>
    <//>`;
  }

  function Notices({ canWrite, go }) {
    const [list, setList] = useState(null);
    const [compose, setCompose] = useState(false);
    const load = useCallback(() => api('GET', '/notices').then((r) => setList(r.notices), fail), []);
    useEffect(() => void load(), []);
    const columns = [
      { title: t('id'), dataIndex: 'id', render: (id) => html`<a href=${`#/notices/${id}`}>${id}</a>` },
      { title: t('title'), dataIndex: 'title', render: (x) => (x && typeof x === 'object' ? x[lang] || x.zh : x) },
      { title: t('latest'), dataIndex: 'latestVersion' },
      { title: t('updated'), dataIndex: 'updatedAt', render: fmt },
    ];
    return html`<div>
      <${Space} style=${{ marginBottom: 16 }} wrap>
        <${Title} level=${2} style=${{ margin: 0 }}>${t('notices')}<//>
        ${canWrite && html`<${Button} type="primary" id="new-notice" onClick=${() => setCompose(true)}>${t('newNotice')}<//>`}
      <//>
      <${Table} rowKey="id" loading=${list === null} dataSource=${list || []} columns=${columns} scroll=${{ x: true }} locale=${{ emptyText: t('noNotices') }} />
      <${NoticeForm} open=${compose} onClose=${() => setCompose(false)} onSaved=${(r) => { setCompose(false); load(); go(`#/notices/${r.id}`); }} />
    </div>`;
  }

  function NoticeDetail({ id, canWrite, go }) {
    const [n, setN] = useState(null);
    const [edit, setEdit] = useState(false);
    const [send, setSend] = useState(null);
    const load = useCallback(() => api('GET', `/notices/${encodeURIComponent(id)}`).then(setN, fail), [id]);
    useEffect(() => void load(), [id]);
    if (!n) return html`<${Spin} />`;
    const latest = n.versions[n.versions.length - 1];
    return html`<div>
      <${Space} style=${{ marginBottom: 16 }} wrap>
        <${Button} onClick=${() => go('#/notices')}>${t('back')}<//>
        <${Title} level=${2} style=${{ margin: 0 }}>${latest.title.zh}<//>
        ${canWrite && html`<${Button} id="edit-notice" onClick=${() => setEdit(true)}>${t('newVersion')}<//>`}
        ${canWrite && html`<${Button} type="primary" id="send-notice" onClick=${() => setSend(latest)}>${t('send')}<//>`}
      <//>
      <${Title} level=${3}>${t('versions')}<//>
      <${List} dataSource=${[...n.versions].reverse()} renderItem=${(v) => html`<${List.Item} key=${v.version} actions=${canWrite ? [html`<${Button} size="small" onClick=${() => setSend(v)}>${t('send')} v${v.version}<//>`] : []}>
        <div style=${{ width: '100%' }}>
          <${Space} wrap><${Tag} color="blue">v${v.version}<//><${Text} type="secondary">${fmt(v.createdAt)}<//><//>
          <${Tabs} size="small" items=${[
            { key: 'zh', label: '中文', children: html`<div><${Text} strong className="notice-title">${v.title.zh}<//><${Paragraph} className="notice-body" style=${{ whiteSpace: 'pre-wrap' }}>${v.body.zh}<//></div>` },
            { key: 'en', label: 'English', children: html`<div><${Text} strong>${v.title.en}<//><${Paragraph} style=${{ whiteSpace: 'pre-wrap' }}>${v.body.en}<//></div>` },
          ]} />
        </div>
      <//>`} />
      <${NoticeForm} open=${edit} noticeId=${id} initial=${{ titleZh: latest.title.zh, bodyZh: latest.body.zh, titleEn: latest.title.en, bodyEn: latest.body.en }}
        onClose=${() => setEdit(false)} onSaved=${() => { setEdit(false); load(); }} />
      ${send && html`<${SendDialog} version=${send} onClose=${() => setSend(null)} onSent=${(b) => { setSend(null); go(`#/broadcasts/${b.id}`); }} />`}
    </div>`;
  }

  function SendDialog({ version, onClose, onSent }) {
    const [platforms, setPlatforms] = useState([]);
    const [platform, setPlatform] = useState(undefined);
    const [kind, setKind] = useState('userIds');
    const [text, setText] = useState('');
    const [csvResult, setCsvResult] = useState(null);
    const [count, setCount] = useState(null);
    const [busy, setBusy] = useState(false);
    useEffect(() => {
      api('GET', '/platforms').then((r) => {
        setPlatforms(r.platforms);
        setPlatform(r.platforms[0]);
      }, fail);
    }, []);
    useEffect(() => setCount(null), [platform, kind, text, csvResult]);
    const audience = () => {
      if (kind === 'all') return { all: true };
      if (kind === 'departments') return { departmentIds: splitIds(text) };
      if (kind === 'csv') return csvResult && csvResult.errors.length === 0 && csvResult.userIds.length > 0 ? { userIds: csvResult.userIds } : null;
      const ids = splitIds(text);
      return ids.length ? { userIds: ids } : null;
    };
    const onFile = async (file) => {
      const textContent = await file.text();
      try {
        setCsvResult(await api('POST', '/audience/csv', { csv: textContent }));
      } catch (e) {
        fail(e);
      }
      return false;
    };
    const review = async () => {
      const a = audience();
      if (!a || !platform) return;
      setBusy(true);
      try {
        setCount((await api('POST', '/audience/preview', { platform, audience: a })).count);
      } catch (e) {
        fail(e);
      } finally {
        setBusy(false);
      }
    };
    const confirm = async () => {
      setBusy(true);
      try {
        onSent(await api('POST', '/broadcasts', { noticeId: version.noticeId, version: version.version, platform, audience: audience() }));
        message.success(t('sendDone'));
      } catch (e) {
        fail(e);
      } finally {
        setBusy(false);
      }
    };
    const badCsv = kind === 'csv' && csvResult && csvResult.errors.length > 0;
    return html`<${Modal} open title=${`${t('send')} · ${version.title.zh} · v${version.version}`} onCancel=${onClose} footer=${null} width=${680}>
      <${Form} layout="vertical">
        <${Form.Item} htmlFor="send-platform" label=${t('platform')}><${Select} id="send-platform" value=${platform} onChange=${setPlatform} options=${platforms.map((p) => ({ value: p, label: p }))} /><//>
        <${Form.Item} label=${t('audience')}>
          <${Radio.Group} value=${kind} onChange=${(e) => { setKind(e.target.value); setCsvResult(null); }} optionType="button" options=${[
            { value: 'all', label: t('all') }, { value: 'departments', label: t('departments') }, { value: 'userIds', label: t('userIds') }, { value: 'csv', label: t('csvUpload') },
          ]} />
        <//>
        ${(kind === 'departments' || kind === 'userIds') && html`<${Form.Item} label=${kind === 'departments' ? t('departmentIds') : t('userIdList')}>
          <${Input.TextArea} id="send-ids" rows=${3} value=${text} onChange=${(e) => setText(e.target.value)} /><//>`}
        ${kind === 'csv' && html`<${Form.Item} label=${t('csvHint')}>
          <${Upload} accept=".csv,text/csv,text/plain" beforeUpload=${onFile} maxCount=${1} showUploadList=${false}><${Button} id="send-csv">${t('chooseFile')}<//><//>
          ${csvResult && !badCsv && html`<div style=${{ marginTop: 8 }}><${Text}>${t('userIds')}: ${csvResult.userIds.length}<//></div>`}
        <//>`}
        ${badCsv && html`<${Alert} type="error" showIcon message=${t('badRows')} style=${{ marginBottom: 12 }} description=${html`<${Table} size="small" rowKey="line" pagination=${false}
            dataSource=${csvResult.errors} columns=${[{ title: t('line'), dataIndex: 'line' }, { title: t('problem'), dataIndex: 'message', render: rowProblem }]} />`} />`}
        <${Space} wrap>
          <${Button} id="send-review" onClick=${review} loading=${busy && count === null} disabled=${!audience() || !platform}>${t('review')}<//>
        <//>
        ${count !== null && html`<${Alert} style=${{ marginTop: 16 }} type="warning" showIcon
          message=${html`<span id="send-confirm-text">${t('confirmText', version.title.zh, version.version, count, platform)}</span>`}
          action=${html`<${Button} type="primary" danger id="send-confirm" loading=${busy} disabled=${count === 0} onClick=${confirm}>${t('confirmSend')}<//>`} />`}
      <//>
    <//>`;
  }

  // ---------- broadcasts ----------
  function Broadcasts() {
    const [list, setList] = useState(null);
    useEffect(() => void api('GET', '/broadcasts').then((r) => setList(r.broadcasts), fail), []);
    const columns = [
      { title: t('id'), dataIndex: 'id', render: (id) => html`<a href=${`#/broadcasts/${id}`}>${id}</a>` },
      { title: t('notices'), render: (b) => `${b.noticeId} v${b.version}` },
      { title: t('platform'), dataIndex: 'platform' },
      { title: t('state'), dataIndex: 'state', render: (s) => html`<${Tag}>${s}<//>` },
      { title: t('targeted'), render: (b) => b.counts.targeted },
      { title: t('acknowledged'), render: (b) => b.counts.acknowledged },
      { title: t('createdBy'), dataIndex: 'createdBy' },
      { title: t('created'), dataIndex: 'createdAt', render: fmt },
    ];
    return html`<div><${Title} level=${2}>${t('broadcasts')}<//><${Table} rowKey="id" loading=${list === null} dataSource=${list || []} columns=${columns} scroll=${{ x: true }} /></div>`;
  }

  /** How often the broadcast page asks for the tally, in ms (no reload: the numbers update in place). */
  const POLL_MS = 1000;

  function BroadcastPage({ id, canWrite, go }) {
    const [b, setB] = useState(null);
    const [rows, setRows] = useState({ rows: [], total: 0, page: 1 });
    // Paged, filtered and sorted by the store (GET …/recipients: state, q = user id prefix, sort = user|state|time,
    // order, page, limit), so a page stays fast at 100,000 recipients.
    const [query, setQuery] = useState({ page: 1, pageSize: 10, sort: 'user', order: 'asc', state: undefined, q: '' });
    const [busy, setBusy] = useState(false);
    const loadB = useCallback(() => api('GET', `/broadcasts/${encodeURIComponent(id)}`).then(setB, () => undefined), [id]);
    const loadRows = useCallback(() => {
      const p = new URLSearchParams({ page: String(query.page), limit: String(query.pageSize), sort: query.sort, order: query.order });
      if (query.state) p.set('state', query.state);
      if (query.q) p.set('q', query.q);
      return api('GET', `/broadcasts/${encodeURIComponent(id)}/recipients?${p}`)
        .then((r) => setRows({ rows: r.recipients, total: r.total, page: r.page || 1 }), () => undefined);
    }, [id, query]);
    useEffect(() => {
      void loadB();
      const timer = setInterval(() => void loadB(), POLL_MS);
      return () => clearInterval(timer);
    }, [id]);
    useEffect(() => {
      void loadRows();
      const timer = setInterval(() => void loadRows(), POLL_MS * 3);
      return () => clearInterval(timer);
    }, [loadRows]);
    if (!b) return html`<${Spin} />`;
    const c = b.counts;
    const done = c.sent + c.failed;
    const pct = c.targeted ? Math.round((done / c.targeted) * 100) : 0;
    const act = async (fn) => {
      setBusy(true);
      try {
        const r = await fn();
        if (r && typeof r.queued === 'number') message.success(t('queued', r.queued));
        await loadB();
        await loadRows();
      } catch (e) {
        fail(e);
      } finally {
        setBusy(false);
      }
    };
    const stat = (k, color) => html`<${Col} xs=${12} sm=${8} md=${4} key=${k}><${Card} size="small"><${Statistic} title=${t(k)} value=${k === 'read' && !b.readSupported ? '—' : c[k]} valueStyle=${color ? { color } : undefined} /><div className=${`tally-${k}`} data-value=${c[k]} hidden /><//><//>`;
    const sorter = (key) => ({ sorter: true, sortOrder: query.sort === key ? (query.order === 'desc' ? 'descend' : 'ascend') : null });
    const columns = [
      { title: t('userId'), dataIndex: 'userId', key: 'user', ...sorter('user') },
      { title: t('state'), dataIndex: 'state', key: 'state', ...sorter('state'), render: (s) => html`<${Tag}>${s}<//>`,
        filters: ['pending', 'sent', 'failed', 'read', 'acknowledged'].map((s) => ({ text: s, value: s })), filterMultiple: false, filteredValue: query.state ? [query.state] : null },
      { title: t('stateAt'), dataIndex: 'stateAt', key: 'time', ...sorter('time'), render: fmt },
      { title: t('sent'), dataIndex: 'sentAt', key: 'sentAt', render: fmt },
      { title: t('read'), dataIndex: 'readAt', key: 'readAt', render: fmt },
      { title: t('acknowledged'), dataIndex: 'acknowledgedAt', key: 'acknowledgedAt', render: fmt },
      { title: t('problem'), dataIndex: 'failureReason', key: 'failureReason' },
    ];
    const finished = b.state === 'cancelled';
    return html`<div>
      <${Space} style=${{ marginBottom: 16 }} wrap>
        <${Button} onClick=${() => go('#/broadcasts')}>${t('back')}<//>
        <${Title} level=${2} style=${{ margin: 0 }}>${b.id}<//>
        <${Tag} color="blue" id="broadcast-state">${b.state}<//>
        <${Text} type="secondary">${b.noticeId} v${b.version} · ${b.platform} · ${t('createdBy')} ${b.createdBy}<//>
      <//>
      <${Row} gutter=${[12, 12]} id="tally">${['targeted', 'pending', 'sent', 'failed', 'read', 'acknowledged'].map((k) => stat(k, k === 'failed' && c.failed ? '#cf1322' : undefined))}<//>
      ${!b.readSupported && html`<${Text} type="secondary">${t('readUnsupported')}<//>`}
      <div style=${{ margin: '16px 0' }}><${Text}>${t('progress')}<//><${Progress} percent=${pct} status=${c.failed ? 'exception' : pct === 100 ? 'success' : 'active'} aria-label=${t('progress')} /></div>
      <${Space} wrap style=${{ marginBottom: 16 }}>
        ${canWrite && html`<${Button} id="remind" disabled=${busy || finished} onClick=${() => act(() => api('POST', `/broadcasts/${id}/resend`, { only: 'unacknowledged' }))}>${t('remind')}<//>`}
        ${canWrite && html`<${Button} id="retry" disabled=${busy || finished || !c.failed} onClick=${() => act(() => api('POST', `/broadcasts/${id}/resend`, { only: 'failed' }))}>${t('retryFailed')}<//>`}
        ${canWrite && html`<${Popconfirm} title=${t('cancelBroadcast')} onConfirm=${() => act(() => api('POST', `/broadcasts/${id}/cancel`))}><${Button} danger id="cancel-broadcast" disabled=${busy || finished}>${t('cancelBroadcast')}<//><//>`}
        <${Button} id="export-recipients" href=${`/console/api/broadcasts/${encodeURIComponent(id)}/recipients.csv`} download>${t('exportRecipients')}<//>
        <${Button} id="export-audit" href=${`/console/api/broadcasts/${encodeURIComponent(id)}/audit.csv`} download>${t('exportAudit')}<//>
      <//>
      <${Title} level=${3}>${t('recipients')}<//>
      <${Input.Search} placeholder=${t('searchUser')} aria-label=${t('searchUser')} allowClear style=${{ maxWidth: 320, marginBottom: 12 }} onSearch=${(q) => setQuery({ ...query, q, page: 1 })} />
      <${Table} rowKey="userId" size="small" dataSource=${rows.rows} columns=${columns} scroll=${{ x: true }}
        pagination=${{ current: rows.page, pageSize: query.pageSize, total: rows.total, showSizeChanger: true }}
        onChange=${(pg, filters, sorter) => setQuery({
          ...query, page: pg.current, pageSize: pg.pageSize,
          state: filters.state && filters.state[0] ? filters.state[0] : undefined,
          sort: sorter && sorter.order ? sorter.columnKey : 'user',
          order: sorter && sorter.order === 'descend' ? 'desc' : 'asc',
        })} />
    </div>`;
  }

  // ---------- policies ----------
  function Policies({ canWrite }) {
    const [list, setList] = useState(null);
    const [all, setAll] = useState(true);
    const [open, setOpen] = useState(false);
    const [platforms, setPlatforms] = useState([]);
    const [form] = Form.useForm();
    const load = useCallback(() => api('GET', `/policies${all ? '' : '?state=active'}`).then((r) => setList(r.policies), fail), [all]);
    useEffect(() => void load(), [all]);
    useEffect(() => void api('GET', '/platforms').then((r) => setPlatforms(r.platforms), () => undefined), []);
    const declare = async () => {
      const v = await form.validateFields();
      const audience = v.kind === 'all' ? { all: true } : v.kind === 'departments' ? { departmentIds: splitIds(v.ids) } : { userIds: splitIds(v.ids) };
      try {
        await api('POST', '/policies', {
          platform: v.platform, audience, since: v.since.format('YYYY-MM-DD'), scope: v.scope, retention: v.retention, purpose: v.purpose, legalBasis: v.legalBasis,
          viewers: splitIds(v.viewers),
        });
        setOpen(false);
        form.resetFields();
        load();
      } catch (e) {
        fail(e);
      }
    };
    const columns = [
      { title: t('id'), dataIndex: 'id' },
      { title: t('platform'), dataIndex: 'platform' },
      { title: t('state'), dataIndex: 'state', render: (s) => html`<${Tag} color=${s === 'active' ? 'green' : 'default'}>${s === 'active' ? t('active') : t('withdrawn')}<//>` },
      { title: t('since'), dataIndex: 'since' },
      { title: t('scope'), dataIndex: 'scope' },
      { title: t('retention'), dataIndex: 'retention' },
      { title: t('createdBy'), dataIndex: 'createdBy' },
      { title: t('withdrawn'), dataIndex: 'withdrawnAt', render: fmt },
      ...(canWrite ? [{ title: '', render: (p) => p.state === 'active' && html`<${Popconfirm} title=${t('confirmWithdraw')} okButtonProps=${{ id: `withdraw-ok-${p.id}` }} onConfirm=${() => api('DELETE', `/policies/${p.id}`).then(load, fail)}>
        <${Button} size="small" danger className="withdraw" id=${`withdraw-${p.id}`}>${t('withdraw')}<//><//>` }] : []),
    ];
    return html`<div>
      <${Space} style=${{ marginBottom: 16 }} wrap>
        <${Title} level=${2} style=${{ margin: 0 }}>${t('policies')}<//>
        ${canWrite && html`<${Button} type="primary" id="declare-policy" onClick=${() => setOpen(true)}>${t('declare')}<//>`}
        <${Radio.Group} optionType="button" value=${all ? 'all' : 'active'} onChange=${(e) => setAll(e.target.value === 'all')} options=${[{ value: 'active', label: t('active') }, { value: 'all', label: t('history') }]} />
      <//>
      <${Table} rowKey="id" loading=${list === null} dataSource=${list || []} columns=${columns} scroll=${{ x: true }} />
      <${Modal} open=${open} title=${t('declare')} onCancel=${() => setOpen(false)} onOk=${declare} okText=${t('save')} cancelText=${t('cancel')} width=${640} okButtonProps=${{ id: 'policy-save' }}>
        <${Form} form=${form} layout="vertical" initialValues=${{ kind: 'all' }}>
          <${Form.Item} label=${t('platform')} name="platform" rules=${[{ required: true, message: t('required') }]}>
            <${Select} id="policy-platform" options=${[...new Set([...platforms, 'wecom', 'dingtalk'])].map((p) => ({ value: p, label: p }))} />
          <//>
          <${Form.Item} label=${t('audience')} name="kind"><${Radio.Group} optionType="button" options=${[{ value: 'all', label: t('all') }, { value: 'departments', label: t('departments') }, { value: 'userIds', label: t('userIds') }]} /><//>
          <${Form.Item} noStyle shouldUpdate>${({ getFieldValue }) => getFieldValue('kind') !== 'all' && html`<${Form.Item} label=${t('userIdList')} name="ids" rules=${[{ required: true, message: t('required') }]}><${Input.TextArea} rows=${2} /><//>`}<//>
          <${Form.Item} htmlFor="policy-since" label=${t('since')} name="since" rules=${[{ required: true, message: t('required') }]}><${DatePicker} id="policy-since" /><//>
          <${Form.Item} htmlFor="policy-scope" label=${t('scope')} name="scope" rules=${[{ required: true, message: t('required') }]}><${Input} id="policy-scope" /><//>
          <${Form.Item} htmlFor="policy-retention" label=${t('retention')} name="retention" rules=${[{ required: true, message: t('required') }]}><${Input} id="policy-retention" /><//>
          <${Form.Item} htmlFor="policy-purpose" label=${t('purpose')} name="purpose" rules=${[{ required: true, message: t('required') }]}><${Input} id="policy-purpose" /><//>
          <${Form.Item} htmlFor="policy-legal" label=${t('legalBasis')} name="legalBasis" rules=${[{ required: true, message: t('required') }]}><${Input} id="policy-legal" /><//>
          <${Form.Item} htmlFor="policy-viewers" label=${t('viewers')} name="viewers" rules=${[{ required: true, message: t('required') }]}><${Input} id="policy-viewers" /><//>
        <//>
      <//>
    </div>`;
  }

  // ---------- statuses ----------
  function Statuses({ canWrite }) {
    const [csv, setCsv] = useState('');
    const [preview, setPreview] = useState(null);
    const [result, setResult] = useState(null);
    const [found, setFound] = useState(undefined);
    const [platforms, setPlatforms] = useState([]);
    const [lookupForm] = Form.useForm();
    useEffect(() => void api('GET', '/platforms').then((r) => setPlatforms(r.platforms), () => undefined), []);
    useEffect(() => { setPreview(null); setResult(null); }, [csv]);
    const doPreview = () => api('POST', '/statuses/preview', { csv }).then(setPreview, fail);
    const doImport = async () => {
      try {
        setResult(await api('POST', '/statuses/import', { csv }));
      } catch (e) {
        if (e.status === 422) setResult(e.body);
        else fail(e);
      }
    };
    const lookup = async (v) => {
      try {
        setFound((await api('GET', `/statuses?platform=${encodeURIComponent(v.platform)}&userId=${encodeURIComponent(v.userId)}`)).status);
      } catch (e) {
        fail(e);
      }
    };
    const errCols = [{ title: t('line'), dataIndex: 'line' }, { title: t('problem'), dataIndex: 'message' }];
    return html`<div>
      <${Title} level=${2}>${t('statuses')}<//>
      ${canWrite && html`<${Card} title=${t('importCsv')} style=${{ marginBottom: 16 }}>
        <${Paragraph} type="secondary">${t('statusCsvHint')}<//>
        <${Space} direction="vertical" style=${{ width: '100%' }}>
          <${Upload} accept=".csv,text/csv,text/plain" showUploadList=${false} beforeUpload=${async (f) => { setCsv(await f.text()); return false; }}><${Button}>${t('chooseFile')}<//><//>
          <${Input.TextArea} id="status-csv" aria-label=${t('importCsv')} rows=${6} value=${csv} onChange=${(e) => setCsv(e.target.value)} style=${{ fontFamily: 'monospace' }} />
          <${Space}>
            <${Button} id="status-preview" onClick=${doPreview} disabled=${!csv.trim()}>${t('preview')}<//>
            <${Button} id="status-import" type="primary" onClick=${doImport} disabled=${!preview || preview.errors.length > 0}>${t('doImport')}<//>
          <//>
          ${preview && html`<${Alert} type=${preview.errors.length ? 'error' : 'success'} showIcon message=${`${t('validRows')}: ${preview.valid}${preview.errors.length ? ` · ${t('nothingImported')}` : ''}`}
            description=${preview.errors.length > 0 && html`<${Table} id="status-errors" size="small" rowKey="line" pagination=${false} dataSource=${preview.errors} columns=${errCols} />`} />`}
          ${result && html`<${Alert} id="status-result" type=${result.errors && result.errors.length ? 'error' : 'success'} showIcon message=${result.errors && result.errors.length ? t('nothingImported') : t('imported', result.imported)} />`}
        <//>
      <//>`}
      <${Card} title=${t('lookup')}>
        <${Form} form=${lookupForm} layout="inline" onFinish=${lookup} initialValues=${{ platform: 'wecom' }}>
          <${Form.Item} label=${t('platform')} name="platform"><${Select} style=${{ width: 140 }} options=${[...new Set([...platforms, 'wecom', 'dingtalk'])].map((p) => ({ value: p, label: p }))} /><//>
          <${Form.Item} htmlFor="lookup-user" label=${t('userId')} name="userId" rules=${[{ required: true, message: t('required') }]}><${Input} id="lookup-user" /><//>
          <${Button} htmlType="submit" id="lookup-submit">${t('lookupBtn')}<//>
        <//>
        ${found !== undefined && html`<div style=${{ marginTop: 16 }} id="lookup-result">${found === null ? html`<${Empty} description=${t('noRecord')} />` : html`<${Descriptions} bordered size="small" column=${1} items=${[
          { key: 'a', label: t('state'), children: found.archived ? t('archived') : t('notArchived') },
          { key: 's', label: t('since'), children: found.since || '—' },
          { key: 'c', label: t('scope'), children: found.scope || '—' },
          { key: 'o', label: t('source'), children: found.source },
          { key: 'u', label: t('updated'), children: fmt(found.updatedAt) },
        ]} />`}</div>`}
      <//>
    </div>`;
  }

  // ---------- knowledge ----------
  function Knowledge() {
    const [topics, setTopics] = useState(null);
    const [answer, setAnswer] = useState(null);
    useEffect(() => void api('GET', '/knowledge').then((r) => setTopics(r.topics), fail), []);
    const ask = (q) => q.trim() && api('POST', '/knowledge/try', { question: q }).then(setAnswer, fail);
    const columns = [
      { title: t('id'), dataIndex: 'id' },
      { title: t('title'), dataIndex: 'title', render: (x) => x[lang] || x.zh },
      { title: t('reviewed'), dataIndex: 'reviewed' },
    ];
    return html`<div>
      <${Title} level=${2}>${t('knowledge')}<//>
      <${Card} title=${t('tryQuestion')} style=${{ marginBottom: 16 }}>
        <${Input.Search} id="try-question" aria-label=${t('tryQuestion')} enterButton=${t('ask')} onSearch=${ask} />
        ${answer && html`<div style=${{ marginTop: 12 }} id="try-answer">
          <${Space} wrap><${Tag}>${answer.intent}<//>${answer.topic ? html`<${Tag} color="blue">${answer.topic}<//>` : html`<${Text}>${t('noMatch')}<//>`}<${Text} type="secondary">score ${answer.score}<//><//>
          ${answer.replies.map((r, i) => html`<${Paragraph} key=${i} style=${{ whiteSpace: 'pre-wrap', marginTop: 8 }}>${r}<//>`)}
        </div>`}
      <//>
      <${Table} rowKey="id" loading=${topics === null} dataSource=${topics || []} columns=${columns} scroll=${{ x: true }}
        expandable=${{ expandedRowRender: (e) => html`<div>
          <${Tabs} size="small" items=${[['zh', '简体中文'], ['zh-TW', '繁體中文'], ['en', 'English']].map(([k, label]) => ({ key: k, label, children: html`<${Paragraph} style=${{ whiteSpace: 'pre-wrap' }}>${e.answer[k]}<//>` }))} />
          <${Text} strong>${t('sources')}<//>
          <ul>${e.sources.map((s, i) => html`<li key=${i}><${Link} href=${s.url} target="_blank" rel="noreferrer noopener">${s.title}<//></li>`)}</ul>
        </div>` }} />
    </div>`;
  }

  // ---------- health, audit ----------
  function Health() {
    const [h, setH] = useState(null);
    const load = () => api('GET', '/health').then(setH, fail);
    useEffect(() => void load(), []);
    if (!h) return html`<${Spin} />`;
    return html`<div>
      <${Space}><${Title} level=${2} style=${{ margin: 0 }}>${t('health')}<//><${Button} onClick=${load}>${t('refresh')}<//><//>
      <${Result} status=${h.status === 'ready' ? 'success' : 'error'} title=${h.status === 'ready' ? t('ready') : t('notReady')} subTitle=${`${t('store')}: ${h.store}${h.reason ? ` · ${t('reason')}: ${h.reason}` : ''}`} />
      ${Object.keys(h.platforms || {}).length > 0 && html`<${Descriptions} bordered column=${1} items=${Object.entries(h.platforms).map(([p, f]) => ({ key: p, label: p, children: `${f.code}: ${f.message}` }))} />`}
    </div>`;
  }

  function Audit() {
    const [entries, setEntries] = useState(null);
    useEffect(() => void api('GET', '/audit').then((r) => setEntries(r.entries), fail), []);
    const columns = [
      { title: t('time'), dataIndex: 'at', render: fmt },
      { title: t('actor'), dataIndex: 'actor' },
      { title: t('action'), dataIndex: 'action' },
      { title: t('target'), dataIndex: 'target' },
      { title: 'HTTP', dataIndex: 'status' },
    ];
    return html`<div><${Title} level=${2}>${t('audit')}<//><${Table} rowKey="seq" size="small" loading=${entries === null} dataSource=${entries || []} columns=${columns} scroll=${{ x: true }} /></div>`;
  }

  /** Ant Design tokens darkened for WCAG AA contrast (4.5:1) on white and on #f5f5f5. */
  const THEME = { token: { colorPrimary: '#0958d9', colorError: '#cf1322', colorLink: '#0958d9', colorTextSecondary: 'rgba(0,0,0,0.68)', colorTextTertiary: 'rgba(0,0,0,0.62)', colorTextDescription: 'rgba(0,0,0,0.62)', colorTextPlaceholder: 'rgba(0,0,0,0.55)' } };

  // ---------- shell ----------
  function App() {
    const [session, setSession] = useState(undefined);
    const [, setLangState] = useState(lang);
    const [narrow, setNarrow] = useState(window.innerWidth < 768);
    const [collapsed, setCollapsed] = useState(true);
    useEffect(() => {
      const r = () => setNarrow(window.innerWidth < 768);
      addEventListener('resize', r);
      return () => removeEventListener('resize', r);
    }, []);
    const hash = useHash();
    onUnauthenticated = () => setSession(null);
    useEffect(() => {
      api('GET', '/session').then((s) => { csrf = s.csrf; setSession(s); }, () => setSession(null));
    }, []);
    const switchLang = () => {
      lang = lang === 'zh' ? 'en' : 'zh';
      localStorage.setItem('pb-console-lang', lang);
      document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
      dayjs.locale(lang === 'zh' ? 'zh-cn' : 'en');
      setLangState(lang);
    };
    useEffect(() => {
      document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
      dayjs.locale(lang === 'zh' ? 'zh-cn' : 'en');
    }, []);
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
        : html`<${Notices} canWrite=${canWrite} go=${go} />`;
      const items = ['notices', 'broadcasts', 'policies', 'statuses', 'knowledge', 'health', 'audit'].map((k) => ({ key: k, label: html`<a href=${`#/${k}`}>${t(k)}</a>` }));
      const signOut = () => api('DELETE', '/session').finally(() => { csrf = ''; setSession(null); });
      body = html`<${Layout} style=${{ minHeight: '100vh' }}>
        <${Header} style=${{ display: 'flex', alignItems: 'center', gap: 12, padding: '0 16px', background: '#001529', flexWrap: 'nowrap', overflow: 'hidden' }}>
          ${narrow && html`<${Button} size="small" id="menu-toggle" aria-label="menu" aria-expanded=${!collapsed} onClick=${() => setCollapsed(!collapsed)}>☰<//>`}
          <span style=${{ color: '#fff', fontWeight: 600, whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis', flex: 1 }}>${t('appTitle')}</span>
          <span style=${{ color: '#fff', whiteSpace: 'nowrap' }} id="whoami">${session.name} · ${session.role}</span>
          ${langButton}
          <${Button} size="small" id="sign-out" onClick=${signOut}>${t('signOut')}<//>
        <//>
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
    return html`<${ConfigProvider} locale=${lang === 'zh' ? locales.zh_CN : locales.en_US} theme=${THEME}>${body}<//>`;
  }

  ReactDOM.createRoot(document.getElementById('root')).render(html`<${App} />`);
})();
