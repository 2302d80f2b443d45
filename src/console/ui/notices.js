/* privacy-bot admin console — notices: list, versions, compose, send. Shared helpers come from kit.js (PB.kit). */
/* global PB */
(function () {
  'use strict';
  const {
    html, useState, useEffect, useCallback, useRef, ConfigProvider, Layout, Menu, Button, Form, Input, Select, Table, Modal, Tag, Space, Card, Statistic, Row, Col, Progress, Alert, Typography, Tabs, Radio, Popconfirm, Descriptions, Empty, Result, Spin, message, DatePicker, Upload, List,
    Title, Text, Paragraph, Link, t, api, fail, errorText, rowProblem, fmt, splitIds, titleIn,
  } = PB.kit;
  const S = PB.state;
  /** A directory department's name in the console's language: its English name where the platform keeps one. */
  const deptName = (d) => (S.lang === 'en' && d.nameEn ? d.nameEn : d.name);
  const platformName = (id) => PB.kit.platformName(id);
  // ---------- notices ----------
  /** The platforms' names for a message kind (NoticePreviewMessage.kind) as a Chinese-reading admin knows them. */
  const KIND_ZH = { 'sandbox card': '沙盒卡片', 'interactive card': '消息卡片（interactive card）', template_card: '模板卡片（template_card）', text: '文本消息', sampleMarkdown: 'Markdown 消息（sampleMarkdown）' };
  PB.addTexts({
    zh: {
      messageKind: (k) => KIND_ZH[k] ?? k,
      titleTw: '标题（繁体中文，可选）', bodyTw: '正文（繁体中文，可选；留空时由简体自动转换）', convertTw: '从简体中文转换', convertDone: '已从简体中文转换，请检查后保存',
      twTab: '繁體中文', notWritten: '未填写：员工看到的是', converted: '由简体自动转换', enFallback: '与中文相同',
      compare: '版本对比', compareFrom: '旧版本', compareTo: '新版本', noDiff: '两个版本的这一部分相同', diffTitle: '标题', diffBody: '正文',
      noticePreview: '员工看到的样子', previewNone: '没有可预览的平台', previewCut: '会被截断', previewRefused: (r) => `平台会拒收：${r}`, previewFits: '完整显示', limitField: '部分', limitUsed: '已用', limitMax: '上限',
      button: '按钮', noButton: '无按钮（员工回复“确认”）',
      testSend: '发送给我自己', testSendTitle: (v) => `测试发送 v${v}（只发给自己，不计入任何群发统计）`, testSendUser: '沙盒员工（用户 ID）', testSendOwn: '发送到你的账号所关联的平台账号',
      testSendDone: (p, u) => `已测试发送到 ${p}：${u}`,
    },
    en: {
      messageKind: (k) => k,
      titleTw: 'Title (Traditional Chinese, optional)', bodyTw: 'Body (Traditional Chinese, optional; converted from Simplified when empty)', convertTw: 'Convert from zh-CN', convertDone: 'Converted from Simplified Chinese: check it, then save',
      twTab: 'Traditional', notWritten: 'Not written: employees see', converted: 'converted from Simplified', enFallback: 'same as Chinese',
      compare: 'Compare versions', compareFrom: 'Older', compareTo: 'Newer', noDiff: 'This part is the same in both versions', diffTitle: 'Title', diffBody: 'Body',
      noticePreview: 'As employees will see it', previewNone: 'No platform offers a preview', previewCut: 'will be cut', previewRefused: (r) => `the platform will refuse it: ${r}`, previewFits: 'shown in full', limitField: 'Part', limitUsed: 'Used', limitMax: 'Limit',
      button: 'Button', noButton: 'No button (employees reply "ack")',
      testSend: 'Send to myself', testSendTitle: (v) => `Test send v${v} (to yourself only, never counted in a broadcast)`, testSendUser: 'Sandbox employee (user id)', testSendOwn: 'Goes to the platform account linked to your console account',
      testSendDone: (p, u) => `Test sent on ${p} to ${u}`,
    },
  });

  function NoticeForm({ open, initial, onClose, onSaved, noticeId }) {
    const [form] = Form.useForm();
    const [busy, setBusy] = useState(false);
    const [converting, setConverting] = useState(false);
    useEffect(() => {
      if (open) form.setFieldsValue(initial || { titleZh: '', bodyZh: '', titleEn: '', bodyEn: '', titleTw: '', bodyTw: '' });
    }, [open]);
    const convert = async () => {
      const v = form.getFieldsValue();
      setConverting(true);
      try {
        const r = await api('POST', '/notices/convert', { title: v.titleZh || '', body: v.bodyZh || '' });
        form.setFieldsValue({ titleTw: r.title, bodyTw: r.body });
        message.success(t('convertDone'));
      } catch (e) {
        fail(e);
      } finally {
        setConverting(false);
      }
    };
    const save = async () => {
      const v = await form.validateFields();
      const opt = (x) => (x || '').trim();
      const content = {
        title: { zh: v.titleZh, en: opt(v.titleEn), 'zh-TW': opt(v.titleTw) },
        body: { zh: v.bodyZh, en: opt(v.bodyEn), 'zh-TW': opt(v.bodyTw) },
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
        <${Button} id="notice-convert" style=${{ marginBottom: 12 }} loading=${converting} onClick=${convert}>${t('convertTw')}<//>
        <${Form.Item} htmlFor="notice-title-tw" label=${t('titleTw')} name="titleTw" rules=${[{ max: 200 }]}><${Input} id="notice-title-tw" /><//>
        <${Form.Item} htmlFor="notice-body-tw" label=${t('bodyTw')} name="bodyTw" rules=${[{ max: 5000 }]}><${Input.TextArea} id="notice-body-tw" rows=${4} /><//>
      <//>
    <//>`;
  }

  /** Line diff (longest common subsequence) of two texts: rows of [kind, left, right], kind 'same' | 'del' | 'add'. */
  function lineDiff(a, b) {
    const x = String(a || '').split('\n');
    const y = String(b || '').split('\n');
    const n = x.length;
    const m = y.length;
    const L = Array.from({ length: n + 1 }, () => new Array(m + 1).fill(0));
    for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) L[i][j] = x[i] === y[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
    const rows = [];
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && x[i] === y[j]) rows.push(['same', x[i++], y[j++]]);
      else if (j < m && (i >= n || L[i][j + 1] >= L[i + 1][j])) rows.push(['add', null, y[j++]]);
      else rows.push(['del', x[i++], null]);
    }
    return rows;
  }

  const LANGS = [['zh', '简体中文'], ['en', 'English'], ['zh-TW', '繁體中文']];

  function DiffBlock({ label, a, b, id }) {
    const rows = lineDiff(a, b);
    const same = rows.every((r) => r[0] === 'same');
    const cell = (kind, text) => html`<td className=${`diff-${kind}`} style=${{ verticalAlign: 'top', whiteSpace: 'pre-wrap', padding: '2px 6px', width: '50%', background: kind === 'del' ? '#fff1f0' : kind === 'add' ? '#f6ffed' : undefined }}>${text === null ? '' : (kind === 'del' ? '− ' : kind === 'add' ? '+ ' : '  ') + text}</td>`;
    return html`<div style=${{ marginBottom: 8 }} id=${id}>
      <${Text} strong>${label}<//>
      ${same ? html`<div><${Text} type="secondary">${t('noDiff')}<//></div>` : html`<table style=${{ width: '100%', borderCollapse: 'collapse', fontFamily: 'monospace', fontSize: 13 }}><tbody>
        ${rows.map((r, k) => html`<tr key=${k}>${cell(r[1] === null ? 'none' : r[0] === 'same' ? 'same' : 'del', r[1])}${cell(r[2] === null ? 'none' : r[0] === 'same' ? 'same' : 'add', r[2])}</tr>`)}
      </tbody></table>`}
    </div>`;
  }

  function VersionCompare({ versions }) {
    const [from, setFrom] = useState(versions.length > 1 ? versions[versions.length - 2].version : versions[0].version);
    const [to, setTo] = useState(versions[versions.length - 1].version);
    const a = versions.find((v) => v.version === from) || versions[0];
    const b = versions.find((v) => v.version === to) || versions[versions.length - 1];
    const opts = versions.map((v) => ({ value: v.version, label: `v${v.version} · ${fmt(v.createdAt)}` }));
    const text = (v, part, lang) => (v[part][lang] === undefined ? '' : v[part][lang]);
    return html`<${Card} title=${t('compare')} size="small" style=${{ marginBottom: 16 }} id="version-compare">
      <${Space} wrap style=${{ marginBottom: 12 }}>
        <label htmlFor="diff-from">${t('compareFrom')}</label><${Select} id="diff-from" style=${{ minWidth: 200 }} value=${from} onChange=${setFrom} options=${opts} />
        <label htmlFor="diff-to">${t('compareTo')}</label><${Select} id="diff-to" style=${{ minWidth: 200 }} value=${to} onChange=${setTo} options=${opts} />
      <//>
      <${Tabs} size="small" items=${LANGS.map(([lang, label]) => ({
        key: lang, label,
        children: html`<div>
          <${DiffBlock} id=${`diff-title-${lang}`} label=${t('diffTitle')} a=${text(a, 'title', lang)} b=${text(b, 'title', lang)} />
          <${DiffBlock} id=${`diff-body-${lang}`} label=${t('diffBody')} a=${text(a, 'body', lang)} b=${text(b, 'body', lang)} />
        </div>`,
      }))} />
    <//>`;
  }

  function NoticePreview({ version }) {
    const [previews, setPreviews] = useState(null);
    const [platform, setPlatform] = useState(undefined);
    useEffect(() => {
      setPreviews(null);
      api('GET', `/notices/${encodeURIComponent(version.noticeId)}/versions/${version.version}/preview`).then((r) => {
        setPreviews(r.previews);
        setPlatform((p) => (r.previews.some((x) => x.platform === p) ? p : r.previews[0] && r.previews[0].platform));
      }, fail);
    }, [version.noticeId, version.version]);
    if (previews === null) return html`<${Spin} />`;
    if (previews.length === 0) return html`<${Empty} description=${t('previewNone')} />`;
    const p = previews.find((x) => x.platform === platform) || previews[0];
    return html`<${Card} title=${`${t('noticePreview')} · v${version.version}`} size="small" style=${{ marginBottom: 16 }} id="notice-preview">
      <${Radio.Group} id="preview-platforms" value=${p.platform} onChange=${(e) => setPlatform(e.target.value)} optionType="button" style=${{ marginBottom: 12 }}
        options=${previews.map((x) => ({ value: x.platform, label: html`<span id=${`preview-platform-${x.platform}`}>${platformName(x.platform)}</span>` }))} />
      <div id="preview-status" style=${{ marginBottom: 8 }}>
        ${p.refused ? html`<${Tag} color="red">${t('previewRefused', p.refused)}<//>` : p.cut ? html`<${Tag} color="orange">${t('previewCut')}<//>` : html`<${Tag} color="green">${t('previewFits')}<//>`}
      </div>
      ${p.messages.map((m, k) => html`<${Card} key=${k} size="small" type="inner" className="preview-message" title=${html`<span><${Tag} className="preview-kind">${t('messageKind', m.kind)}<//><span className="preview-title">${m.title}</span></span>`} style=${{ marginBottom: 8 }}>
        <div className="preview-text" style=${{ whiteSpace: 'pre-wrap' }}>${m.text}</div>
        <div style=${{ marginTop: 8 }}>${m.button ? html`<${Button} size="small" type="primary" className="preview-button" tabIndex=${-1}>${m.button}<//>` : html`<${Text} type="secondary">${t('noButton')}<//>`}</div>
      <//>`)}
      ${p.limits.length > 0 && html`<${Table} size="small" rowKey="field" pagination=${false} dataSource=${p.limits} columns=${[
        { title: t('limitField'), dataIndex: 'field' },
        { title: t('limitUsed'), dataIndex: 'used', render: (u, l) => `${u} ${l.unit}` },
        { title: t('limitMax'), dataIndex: 'max', render: (m, l) => `${m} ${l.unit}` },
        { title: '', dataIndex: 'cut', render: (c) => (c ? html`<${Tag} color="orange">${t('previewCut')}<//>` : '') },
      ]} />`}
    <//>`;
  }

  function TestSendDialog({ version, onClose }) {
    const [platforms, setPlatforms] = useState([]);
    const [anyRecipient, setAnyRecipient] = useState([]);
    const [platform, setPlatform] = useState(undefined);
    const [userId, setUserId] = useState('');
    const [busy, setBusy] = useState(false);
    useEffect(() => {
      api('GET', '/platforms').then((r) => {
        PB.kit.setPlatformLabels(r.labels);
        setPlatforms(r.platforms);
        setAnyRecipient(r.testAnyRecipient || []);
        // A choice made meanwhile is kept (the list arrives late on a slow connection).
        setPlatform((chosen) => chosen ?? r.platforms[0]);
      }, fail);
    }, []);
    const chooses = anyRecipient.includes(platform);
    const send = async () => {
      setBusy(true);
      try {
        const body = { platform };
        if (chooses && userId.trim()) body.userId = userId.trim();
        const r = await api('POST', `/notices/${encodeURIComponent(version.noticeId)}/versions/${version.version}/test-send`, body);
        message.success(t('testSendDone', r.platform, r.userId));
        onClose();
      } catch (e) {
        fail(e);
      } finally {
        setBusy(false);
      }
    };
    return html`<${Modal} open title=${t('testSendTitle', version.version)} onCancel=${onClose} onOk=${send} okText=${t('send')} cancelText=${t('cancel')} confirmLoading=${busy} okButtonProps=${{ id: 'test-send-go', disabled: !platform }}>
      <${Form} layout="vertical">
        <${Form.Item} htmlFor="test-send-platform" label=${t('platform')}><${Select} id="test-send-platform" value=${platform} onChange=${setPlatform} disabled=${platforms.length === 0} loading=${platforms.length === 0} options=${platforms.map((p) => ({ value: p, label: platformName(p) }))} /><//>
        ${chooses ? html`<${Form.Item} htmlFor="test-send-user" label=${t('testSendUser')}><${Input} id="test-send-user" value=${userId} onChange=${(e) => setUserId(e.target.value)} /><//>`
          : html`<${Text} type="secondary">${t('testSendOwn')}<//>`}
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
      { title: t('title'), dataIndex: 'title', render: (x) => titleIn(x) },
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
    const [testSend, setTestSend] = useState(null);
    const [previewOf, setPreviewOf] = useState(null);
    const load = useCallback(() => api('GET', `/notices/${encodeURIComponent(id)}`).then(setN, fail), [id]);
    useEffect(() => void load(), [id]);
    if (!n) return html`<${Spin} />`;
    const latest = n.versions[n.versions.length - 1];
    return html`<div>
      <${Space} style=${{ marginBottom: 16 }} wrap>
        <${Button} onClick=${() => go('#/notices')}>${t('back')}<//>
        <${Title} level=${2} style=${{ margin: 0 }} id="notice-heading">${titleIn(latest.title)}<//>
        ${canWrite && html`<${Button} id="edit-notice" onClick=${() => setEdit(true)}>${t('newVersion')}<//>`}
        ${canWrite && html`<${Button} type="primary" id="send-notice" onClick=${() => setSend(latest)}>${t('send')}<//>`}
        ${canWrite && html`<${Button} id="test-send" onClick=${() => setTestSend(latest)}>${t('testSend')}<//>`}
      <//>
      <${NoticePreview} version=${previewOf ? n.versions.find((v) => v.version === previewOf) || latest : latest} />
      ${n.versions.length > 1 && html`<${VersionCompare} versions=${n.versions} />`}
      <${Title} level=${3}>${t('versions')}<//>
      <${List} dataSource=${[...n.versions].reverse()} renderItem=${(v) => html`<${List.Item} key=${v.version} actions=${[html`<${Button} size="small" onClick=${() => setPreviewOf(v.version)}>${t('noticePreview')} v${v.version}<//>`, ...(canWrite ? [html`<${Button} size="small" onClick=${() => setSend(v)}>${t('send')} v${v.version}<//>`] : [])]}>
        <div style=${{ width: '100%' }}>
          <${Space} wrap><${Tag} color="blue">v${v.version}<//><${Text} type="secondary">${fmt(v.createdAt)}<//><//>
          <${Tabs} size="small" items=${[
            { key: 'zh', label: '中文', children: html`<div><${Text} strong className="notice-title">${v.title.zh}<//><${Paragraph} className="notice-body" style=${{ whiteSpace: 'pre-wrap' }}>${v.body.zh}<//></div>` },
            { key: 'en', label: 'English', children: v.title.en || v.body.en
              ? html`<div><${Text} strong>${v.title.en || v.title.zh}<//><${Paragraph} style=${{ whiteSpace: 'pre-wrap' }}>${v.body.en || v.body.zh}<//></div>`
              : html`<${Text} type="secondary">${t('notWritten')} ${t('enFallback')}<//>` },
            { key: 'zh-TW', label: t('twTab'), children: v.title['zh-TW'] || v.body['zh-TW']
              ? html`<div><${Text} strong className="notice-title-tw">${v.title['zh-TW'] || ''}<//><${Paragraph} className="notice-body-tw" style=${{ whiteSpace: 'pre-wrap' }}>${v.body['zh-TW'] || ''}<//></div>`
              : html`<${Text} type="secondary">${t('notWritten')} ${t('converted')}<//>` },
          ]} />
        </div>
      <//>`} />
      <${NoticeForm} open=${edit} noticeId=${id} initial=${{ titleZh: latest.title.zh, bodyZh: latest.body.zh, titleEn: latest.title.en, bodyEn: latest.body.en, titleTw: latest.title['zh-TW'] || '', bodyTw: latest.body['zh-TW'] || '' }}
        onClose=${() => setEdit(false)} onSaved=${() => { setEdit(false); load(); }} />
      ${testSend && html`<${TestSendDialog} version=${testSend} onClose=${() => setTestSend(null)} />`}
      ${send && html`<${SendDialog} version=${send} onClose=${() => setSend(null)} onSent=${(b) => { setSend(null); go(`#/broadcasts/${b.id}`); }} />`}
    </div>`;
  }

  PB.addTexts({
    zh: {
      pickFromDirectory: '从通讯录选择', departmentTree: '部门（含下级部门，括号内为人数）', pickPeople: '人员（按姓名搜索）', searchByName: '输入姓名搜索',
      exclusions: '排除', excludeDepartments: '排除部门', excludePeople: '排除人员', excludeIds: '排除的用户 ID（逗号或换行分隔）',
      noDirectory: '此平台的通讯录无法浏览，请填写部门 ID 或用户 ID。', scheduleLater: '定时发送', scheduleAt: (tz) => `发送时间（公司时区 ${tz}）`,
      preparing: '正在解析发送对象…', prepareFailed: '无法解析发送对象：', confirmAt: (when) => `将于 ${when}（公司时区）开始发送。`, personCount: (n) => `${n} 人`,
    },
    en: {
      pickFromDirectory: 'From the directory', departmentTree: 'Departments (with sub-departments; head count in brackets)', pickPeople: 'People (search by name)', searchByName: 'Type a name',
      exclusions: 'Exclusions', excludeDepartments: 'Exclude departments', excludePeople: 'Exclude people', excludeIds: 'User ids to exclude (comma or line separated)',
      noDirectory: "This platform's directory cannot be browsed here; give department or user ids.", scheduleLater: 'Send later', scheduleAt: (tz) => `Send at (company time zone ${tz})`,
      preparing: 'Resolving the audience…', prepareFailed: 'The audience could not be resolved: ', confirmAt: (when) => `Sending starts at ${when} (company time).`, personCount: (n) => `${n} people`,
    },
  });

  /** How often the send dialog asks whether the audience is resolved, in ms. */
  const PREPARE_POLL_MS = 300;

  /** Departments [{id, name, parentId, headCount}] as antd Tree data (children under their parent). */
  function departmentTree(list) {
    const nodes = new Map(list.map((d) => [d.id, { key: d.id, title: `${deptName(d)}（${t('personCount', d.headCount)}）`, children: [] }]));
    const roots = [];
    for (const d of list) (d.parentId !== null && nodes.has(d.parentId) ? nodes.get(d.parentId).children : roots).push(nodes.get(d.id));
    return roots;
  }

  /** A multiple select of people found by name on the server (GET /directory/:platform/people, at most 20). */
  function PeoplePicker({ id, platform, value, onChange, label }) {
    const [options, setOptions] = useState([]);
    const known = useRef(new Map());
    const search = async (q) => {
      if (!q.trim()) return setOptions([]);
      try {
        const r = await api('GET', `/directory/${encodeURIComponent(platform)}/people?q=${encodeURIComponent(q.trim())}&limit=20`);
        for (const p of r.people) known.current.set(p.userId, p);
        setOptions(r.people.map((p) => ({ value: p.userId, label: `${p.name}（${p.userId}${p.department ? ` · ${p.department}` : ''}）` })));
      } catch (e) {
        fail(e);
      }
    };
    const selected = value.map((u) => ({ value: u, label: known.current.get(u) ? known.current.get(u).name : u }));
    return html`<${Select} id=${id} aria-label=${label} mode="multiple" showSearch filterOption=${false} labelInValue value=${selected} placeholder=${t('searchByName')}
      onSearch=${search} onChange=${(v) => onChange(v.map((x) => x.value))} options=${options} notFoundContent=${null} style=${{ width: '100%' }} />`;
  }

  function SendDialog({ version, onClose, onSent }) {
    const { Tree, Checkbox } = PB.kit.antd;
    const [platforms, setPlatforms] = useState([]);
    const [timeZone, setTimeZone] = useState('');
    const [platform, setPlatform] = useState(undefined);
    // Picking from the directory is where an admin without ids at hand starts (README's walk-through); typed ids
    // are the default only where the platform has no directory to pick from — until the admin chooses a kind.
    const [kind, setKind] = useState('pick');
    const kindChosen = useRef(false);
    const [text, setText] = useState('');
    const [csvResult, setCsvResult] = useState(null);
    const [tree, setTree] = useState(null); // null = loading, false = no directory, else departments
    const [depts, setDepts] = useState([]);
    const [people, setPeople] = useState([]);
    const [exDepts, setExDepts] = useState([]);
    const [exPeople, setExPeople] = useState([]);
    const [exText, setExText] = useState('');
    const [later, setLater] = useState(false);
    const [when, setWhen] = useState(null);
    // The prepared broadcast: {id, state: 'preparing'|'ready'|'failed', count?, error?}
    const [prep, setPrep] = useState(null);
    const [busy, setBusy] = useState(false);
    const prepRef = useRef(null);
    const confirmed = useRef(false);
    useEffect(() => {
      api('GET', '/platforms').then((r) => {
        PB.kit.setPlatformLabels(r.labels);
        setPlatforms(r.platforms);
        setTimeZone(r.timeZone || '');
        if (r.timeZone) PB.kit.setTimeZone(r.timeZone);
        setPlatform(r.platforms[0]);
      }, fail);
    }, []);
    useEffect(() => {
      if (!platform) return;
      setTree(null);
      setDepts([]); setPeople([]); setExDepts([]); setExPeople([]);
      api('GET', `/directory/${encodeURIComponent(platform)}/departments`).then((r) => setTree(r.departments), () => setTree(false));
    }, [platform]);
    useEffect(() => {
      if (kindChosen.current) return;
      if (tree === false) setKind('userIds');
      else if (Array.isArray(tree)) setKind('pick');
    }, [tree]);
    /**
     * Drops a prepared, unconfirmed broadcast (it was never sent). Recorded as what it is — a preparation discarded
     * because the admin changed the audience (`reason` 'audience-changed') or closed the dialog ('dialog-closed') —
     * not as a cancel clicked by the admin.
     */
    const discard = (id, reason) => api('POST', `/broadcasts/${encodeURIComponent(id)}/discard`, { reason }).catch(() => undefined);
    const dropPrepared = (reason = 'audience-changed') => {
      const p = prepRef.current;
      prepRef.current = null;
      setPrep(null);
      if (p && !confirmed.current) discard(p.id, reason);
    };
    // The head count and the confirm button come below the audience form: bring them into view when ready (a
    // 1366x768 screen had them under the fold of the dialog, with no cue to scroll).
    useEffect(() => {
      if (prep && prep.state !== 'preparing') document.getElementById('send-prep-result')?.scrollIntoView({ block: 'nearest' });
    }, [prep && prep.state]);
    // Closed while a preparation was still being recorded: the late answer is cancelled too (see review).
    const mounted = useRef(true);
    useEffect(() => () => { mounted.current = false; dropPrepared('dialog-closed'); }, []);
    useEffect(() => dropPrepared('audience-changed'), [platform, kind, text, csvResult, depts, people, exDepts, exPeople, exText, later, when]);
    const exclusion = () => {
      const ex = {};
      const exUsers = [...new Set([...exPeople, ...splitIds(exText)])];
      if (exDepts.length) ex.departmentIds = exDepts;
      if (exUsers.length) ex.userIds = exUsers;
      return Object.keys(ex).length ? { exclude: ex } : {};
    };
    const audience = () => {
      let a = null;
      if (kind === 'all') a = { all: true };
      else if (kind === 'pick') {
        a = {};
        if (depts.length) a.departmentIds = depts;
        if (people.length) a.userIds = people;
        if (!depts.length && !people.length) a = null;
      } else if (kind === 'departments') {
        const ids = splitIds(text);
        a = ids.length ? { departmentIds: ids } : null;
      } else if (kind === 'csv') a = csvResult && csvResult.errors.length === 0 && csvResult.userIds.length > 0 ? { userIds: csvResult.userIds } : null;
      else {
        const ids = splitIds(text);
        a = ids.length ? { userIds: ids } : null;
      }
      return a && { ...a, ...exclusion() };
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
    const notBefore = () => (later && when ? when.format('YYYY-MM-DDTHH:mm') : undefined);
    // Prepare: the server records the broadcast and resolves its audience in the background; poll for the head count.
    const review = async () => {
      const a = audience();
      if (!a || !platform) return;
      dropPrepared();
      setBusy(true);
      try {
        const nb = notBefore();
        const r = await api('POST', '/broadcasts/prepare', { noticeId: version.noticeId, version: version.version, platform, audience: a, ...(nb ? { notBefore: nb } : {}) });
        let p = { id: r.id, state: 'preparing' };
        if (!mounted.current) {
          discard(r.id, 'dialog-closed');
          return;
        }
        prepRef.current = p;
        setPrep(p);
        while (p.state === 'preparing' && prepRef.current && prepRef.current.id === r.id) {
          await new Promise((res) => setTimeout(res, PREPARE_POLL_MS));
          p = await api('GET', `/broadcasts/${encodeURIComponent(r.id)}/preparation`);
        }
        if (prepRef.current && prepRef.current.id === r.id) {
          prepRef.current = p;
          setPrep(p);
        }
      } catch (e) {
        fail(e);
      } finally {
        setBusy(false);
      }
    };
    const confirm = async () => {
      if (!prep || prep.state !== 'ready') return;
      setBusy(true);
      try {
        const b = await api('POST', `/broadcasts/${encodeURIComponent(prep.id)}/confirm`);
        confirmed.current = true;
        onSent(b);
        message.success(t('sendDone'));
      } catch (e) {
        fail(e);
      } finally {
        setBusy(false);
      }
    };
    const badCsv = kind === 'csv' && csvResult && csvResult.errors.length > 0;
    const hasDirectory = Array.isArray(tree);
    // A platform's tree has one root, the company (WeCom department 1, DingTalk 1, Feishu "0"): open
    // the top level so its departments show without a click on the root's switcher.
    const treeData = hasDirectory ? departmentTree(tree) : [];
    const deptOptions = hasDirectory ? tree.map((d) => ({ value: d.id, label: `${deptName(d)}（${t('personCount', d.headCount)}）` })) : [];
    const nb = notBefore();
    return html`<${Modal} open title=${html`<span id="send-dialog-title">${`${t('send')} · ${titleIn(version.title)} · v${version.version}`}</span>`} onCancel=${onClose} footer=${null} width=${720}>
      <${Form} layout="vertical">
        <${Form.Item} htmlFor="send-platform" label=${t('platform')}><${Select} id="send-platform" value=${platform} onChange=${setPlatform} options=${platforms.map((p) => ({ value: p, label: platformName(p) }))} /><//>
        <${Form.Item} label=${t('audience')}>
          <${Radio.Group} value=${kind} onChange=${(e) => { kindChosen.current = true; setKind(e.target.value); setCsvResult(null); }} optionType="button" options=${[
            { value: 'all', label: t('all') }, { value: 'pick', label: t('pickFromDirectory') }, { value: 'departments', label: t('departments') }, { value: 'userIds', label: t('userIds') }, { value: 'csv', label: t('csvUpload') },
          ]} />
        <//>
        ${kind === 'pick' && !hasDirectory && tree === false && html`<${Alert} type="info" showIcon message=${t('noDirectory')} style=${{ marginBottom: 12 }} />`}
        ${kind === 'pick' && tree === null && html`<${Spin} />`}
        ${kind === 'pick' && hasDirectory && html`<div>
          <${Form.Item} label=${t('departmentTree')}>
            <div id="send-tree"><${Tree} checkable checkStrictly selectable=${false} treeData=${treeData} defaultExpandedKeys=${treeData.map((n) => n.key)} checkedKeys=${depts}
              onCheck=${(k) => setDepts(Array.isArray(k) ? k : k.checked)} /></div>
          <//>
          <${Form.Item} label=${t('pickPeople')}><${PeoplePicker} id="send-people" label=${t('pickPeople')} platform=${platform} value=${people} onChange=${setPeople} /><//>
        </div>`}
        ${(kind === 'departments' || kind === 'userIds') && html`<${Form.Item} label=${kind === 'departments' ? t('departmentIds') : t('userIdList')}>
          <${Input.TextArea} id="send-ids" rows=${3} value=${text} onChange=${(e) => setText(e.target.value)} /><//>`}
        ${kind === 'csv' && html`<${Form.Item} label=${t('csvHint')}>
          <${Upload} accept=".csv,text/csv,text/plain" beforeUpload=${onFile} maxCount=${1} showUploadList=${false}><${Button} id="send-csv">${t('chooseFile')}<//><//>
          ${csvResult && !badCsv && html`<div style=${{ marginTop: 8 }}><${Text}>${t('userIds')}: ${csvResult.userIds.length}<//></div>`}
        <//>`}
        ${badCsv && html`<${Alert} type="error" showIcon message=${t('badRows')} style=${{ marginBottom: 12 }} description=${html`<${Table} size="small" rowKey="line" pagination=${false}
            dataSource=${csvResult.errors} columns=${[{ title: t('line'), dataIndex: 'line' }, { title: t('problem'), dataIndex: 'message', render: rowProblem }]} />`} />`}
        <${Form.Item} label=${t('exclusions')}>
          ${hasDirectory
            ? html`<${Space} direction="vertical" style=${{ width: '100%' }}>
                <${Select} id="send-exclude-departments" aria-label=${t('excludeDepartments')} mode="multiple" placeholder=${t('excludeDepartments')} value=${exDepts} onChange=${setExDepts} options=${deptOptions} style=${{ width: '100%' }} />
                <${PeoplePicker} id="send-exclude-people" label=${t('excludePeople')} platform=${platform} value=${exPeople} onChange=${setExPeople} />
              <//>`
            : html`<${Input.TextArea} id="send-exclude-ids" aria-label=${t('excludeIds')} placeholder=${t('excludeIds')} rows=${2} value=${exText} onChange=${(e) => setExText(e.target.value)} />`}
        <//>
        <${Form.Item}>
          <${Checkbox} id="send-later" checked=${later} onChange=${(e) => setLater(e.target.checked)}>${t('scheduleLater')}<//>
          ${later && html`<div style=${{ marginTop: 8 }}><${Text}>${t('scheduleAt', timeZone)}<//><br /><${DatePicker} id="send-at" aria-label=${t('scheduleAt', timeZone)} showTime=${{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" value=${when} onChange=${setWhen} /></div>`}
        <//>
        <${Space} wrap>
          <${Button} id="send-review" onClick=${review} loading=${busy && (!prep || prep.state === 'preparing')} disabled=${!audience() || !platform || (later && !when)}>${t('review')}<//>
        <//>
        ${prep && prep.state === 'preparing' && html`<div style=${{ marginTop: 16 }}><${Spin} size="small" /> <${Text}>${t('preparing')}<//></div>`}
        ${prep && prep.state === 'failed' && html`<${Alert} style=${{ marginTop: 16 }} type="error" showIcon message=${`${t('prepareFailed')}${prep.code ? errorText({ code: prep.code, message: prep.message || prep.error }) : prep.error}`} />`}
        ${prep && html`<${PB.c.PreparationNotes} prep=${prep} departmentName=${(d) => { const x = hasDirectory ? tree.find((y) => y.id === d) : undefined; return x ? deptName(x) : undefined; }} />`}
        ${prep && prep.state === 'ready' && html`<${Alert} style=${{ marginTop: 16 }} type="warning" showIcon
          message=${html`<span id="send-confirm-text">${t('confirmText', titleIn(version.title), version.version, prep.count, platformName(platform))}${nb ? ` ${t('confirmAt', nb.replace('T', ' '))}` : ''}</span>`}
          action=${html`<${Button} type="primary" danger id="send-confirm" loading=${busy} disabled=${prep.count === 0} onClick=${confirm}>${t('confirmSend')}<//>`} />`}
        <div id="send-prep-result" aria-hidden="true"></div>
      <//>
    <//>`;
  }

  Object.assign(PB.c, { NoticeForm, Notices, NoticeDetail, SendDialog, VersionCompare, NoticePreview, TestSendDialog });
})();
