/* privacy-bot admin console — notices: list, versions, compose, send. Shared helpers come from kit.js (PB.kit). */
/* global PB */
(function () {
  'use strict';
  const {
    html, useState, useEffect, useCallback, useRef, ConfigProvider, Layout, Menu, Button, Form, Input, Select, Table, Modal, Tag, Space, Card, Statistic, Row, Col, Progress, Alert, Typography, Tabs, Radio, Popconfirm, Descriptions, Empty, Result, Spin, message, DatePicker, Upload, List,
    Title, Text, Paragraph, Link, t, api, fail, rowProblem, fmt, splitIds,
  } = PB.kit;
  const S = PB.state;
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
      { title: t('title'), dataIndex: 'title', render: (x) => (x && typeof x === 'object' ? x[S.lang] || x.zh : x) },
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
    const nodes = new Map(list.map((d) => [d.id, { key: d.id, title: `${d.name}（${t('personCount', d.headCount)}）`, children: [] }]));
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
    const [kind, setKind] = useState('userIds');
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
        setPlatforms(r.platforms);
        setTimeZone(r.timeZone || '');
        setPlatform(r.platforms[0]);
      }, fail);
    }, []);
    useEffect(() => {
      if (!platform) return;
      setTree(null);
      setDepts([]); setPeople([]); setExDepts([]); setExPeople([]);
      api('GET', `/directory/${encodeURIComponent(platform)}/departments`).then((r) => setTree(r.departments), () => setTree(false));
    }, [platform]);
    /** Drops a prepared, unconfirmed broadcast (it was never sent: cancelling it records that). */
    const dropPrepared = () => {
      const p = prepRef.current;
      prepRef.current = null;
      setPrep(null);
      if (p && !confirmed.current) api('POST', `/broadcasts/${encodeURIComponent(p.id)}/cancel`).catch(() => undefined);
    };
    useEffect(() => dropPrepared, []);
    useEffect(() => dropPrepared(), [platform, kind, text, csvResult, depts, people, exDepts, exPeople, exText, later, when]);
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
    const deptOptions = hasDirectory ? tree.map((d) => ({ value: d.id, label: `${d.name}（${t('personCount', d.headCount)}）` })) : [];
    const nb = notBefore();
    return html`<${Modal} open title=${`${t('send')} · ${version.title.zh} · v${version.version}`} onCancel=${onClose} footer=${null} width=${720}>
      <${Form} layout="vertical">
        <${Form.Item} htmlFor="send-platform" label=${t('platform')}><${Select} id="send-platform" value=${platform} onChange=${setPlatform} options=${platforms.map((p) => ({ value: p, label: p }))} /><//>
        <${Form.Item} label=${t('audience')}>
          <${Radio.Group} value=${kind} onChange=${(e) => { setKind(e.target.value); setCsvResult(null); }} optionType="button" options=${[
            { value: 'all', label: t('all') }, { value: 'pick', label: t('pickFromDirectory') }, { value: 'departments', label: t('departments') }, { value: 'userIds', label: t('userIds') }, { value: 'csv', label: t('csvUpload') },
          ]} />
        <//>
        ${kind === 'pick' && !hasDirectory && tree === false && html`<${Alert} type="info" showIcon message=${t('noDirectory')} style=${{ marginBottom: 12 }} />`}
        ${kind === 'pick' && tree === null && html`<${Spin} />`}
        ${kind === 'pick' && hasDirectory && html`<div>
          <${Form.Item} label=${t('departmentTree')}>
            <div id="send-tree"><${Tree} checkable checkStrictly selectable=${false} treeData=${departmentTree(tree)} checkedKeys=${depts}
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
        ${prep && prep.state === 'failed' && html`<${Alert} style=${{ marginTop: 16 }} type="error" showIcon message=${`${t('prepareFailed')}${prep.error}`} />`}
        ${prep && prep.state === 'ready' && html`<${Alert} style=${{ marginTop: 16 }} type="warning" showIcon
          message=${html`<span id="send-confirm-text">${t('confirmText', version.title.zh, version.version, prep.count, platform)}${nb ? ` ${t('confirmAt', nb.replace('T', ' '))}` : ''}</span>`}
          action=${html`<${Button} type="primary" danger id="send-confirm" loading=${busy} disabled=${prep.count === 0} onClick=${confirm}>${t('confirmSend')}<//>`} />`}
      <//>
    <//>`;
  }

  Object.assign(PB.c, { NoticeForm, Notices, NoticeDetail, SendDialog });
})();
