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

  Object.assign(PB.c, { NoticeForm, Notices, NoticeDetail, SendDialog });
})();
