/* privacy-bot admin console — archiving statuses: import and look-up. Shared helpers come from kit.js (PB.kit). */
/* global PB */
(function () {
  'use strict';
  const {
    html, useState, useEffect, useCallback, useRef, ConfigProvider, Layout, Menu, Button, Form, Input, Select, Table, Modal, Tag, Space, Card, Statistic, Row, Col, Progress, Alert, Typography, Tabs, Radio, Popconfirm, Descriptions, Empty, Result, Spin, message, DatePicker, Upload, List,
    Title, Text, Paragraph, Link, t, api, fail, rowProblem, fmt, splitIds,
  } = PB.kit;
  const S = PB.state;
  /** Where a status came from, in the page's language (an unknown source is shown as the server names it). */
  PB.addTexts({
    zh: { 'source:import': '导入', 'source:company policy': '公司政策' },
    en: { 'source:import': 'import', 'source:company policy': 'company policy' },
  });
  PB.addTexts({
    zh: {
      archiveSync: '存档同步', noArchiveSync: '未配置存档同步', syncSource: '来源', syncEvery: '同步间隔', syncMinutes: (n) => `${n} 分钟`,
      syncLastAttempt: '最近一次同步', syncLastSuccess: '最近一次成功', syncMembers: '存档成员数', syncLastError: '最近一次错误', syncOk: '无', syncNever: '尚未同步',
    },
    en: {
      archiveSync: 'Archive sync', noArchiveSync: 'no archive sync configured', syncSource: 'Source', syncEvery: 'Sync every', syncMinutes: (n) => `${n} min`,
      syncLastAttempt: 'Last sync', syncLastSuccess: 'Last success', syncMembers: 'Archived members', syncLastError: 'Last error', syncOk: 'none', syncNever: 'not synced yet',
    },
  });
  /** The platforms' archive syncs (GET /archive-sync), read only; says so when none is configured. */
  function ArchiveSyncCard() {
    const [syncs, setSyncs] = useState(null);
    useEffect(() => void api('GET', '/archive-sync').then((r) => setSyncs(r.syncs), fail), []);
    const label = (s) => (s.label ? s.label[S.lang === 'en' ? 'en' : 'zh-CN'] : sourceLabel(s.sourceName));
    const when = (iso) => (iso ? fmt(iso) : t('syncNever'));
    return html`<${Card} title=${t('archiveSync')} id="archive-sync" style=${{ marginBottom: 16 }} loading=${syncs === null}>
      ${syncs && syncs.length === 0 && html`<${Empty} id="archive-sync-none" image=${Empty.PRESENTED_IMAGE_SIMPLE} description=${t('noArchiveSync')} />`}
      ${syncs && syncs.map((s) => html`<${Descriptions} key=${s.platform} className="archive-sync-state" title=${s.platform} bordered size="small" column=${1} style=${{ marginBottom: 8 }} items=${[
        { key: 'o', label: t('syncSource'), children: label(s) },
        { key: 'i', label: t('syncEvery'), children: t('syncMinutes', s.intervalMinutes) },
        { key: 'a', label: t('syncLastAttempt'), children: when(s.lastAttemptAt) },
        { key: 's', label: t('syncLastSuccess'), children: when(s.lastSuccessAt) },
        { key: 'm', label: t('syncMembers'), children: s.members === null ? '—' : String(s.members) },
        { key: 'e', label: t('syncLastError'), children: s.lastError ? html`<${Text} type="danger">${s.lastError}<//>` : t('syncOk') },
      ]} />`)}
    <//>`;
  }
  /** A core source (import, company policy) in the page's language; any other as the server names it. A platform's
   * archive source is worded by its own label (the API's `label` / `sourceLabel`), never here. */
  const sourceLabel = (source) => {
    const key = `source:${source}`;
    const text = t(key);
    return text === key ? source : text;
  };
  // ---------- statuses ----------
  function Statuses({ canWrite }) {
    const [csv, setCsv] = useState('');
    const [preview, setPreview] = useState(null);
    const [result, setResult] = useState(null);
    const [found, setFound] = useState(undefined);
    const [platforms, setPlatforms] = useState([]);
    const [known, setKnown] = useState([]);
    const [lookupForm] = Form.useForm();
    // The first configured platform is preselected (in the sandbox: sandbox): a look-up on an unconfigured
    // platform finds nothing and would read as "no record".
    useEffect(() => void api('GET', '/platforms').then((r) => {
      PB.kit.setPlatformLabels(r.labels);
      setPlatforms(r.platforms);
      setKnown(r.known || []);
      if (r.platforms[0]) lookupForm.setFieldsValue({ platform: r.platforms[0] });
    }, () => undefined), []);
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
        const r = await api('GET', `/statuses?platform=${encodeURIComponent(v.platform)}&userId=${encodeURIComponent(v.userId)}`);
        setFound(r.status && { ...r.status, sourceLabel: r.sourceLabel });
      } catch (e) {
        fail(e);
      }
    };
    const errCols = [{ title: t('line'), dataIndex: 'line' }, { title: t('problem'), dataIndex: 'message', render: rowProblem }];
    return html`<div>
      <${Title} level=${2}>${t('statuses')}<//>
      <${ArchiveSyncCard} />
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
        <${Form} form=${lookupForm} layout="inline" onFinish=${lookup} initialValues=${{}}>
          <${Form.Item} htmlFor="lookup-platform" label=${t('platform')} name="platform"><${Select} style=${{ width: 140 }} id="lookup-platform" options=${[...new Set([...platforms, ...known])].map((p) => ({ value: p, label: PB.kit.platformName(p) }))} /><//>
          <${Form.Item} htmlFor="lookup-user" label=${t('userId')} name="userId" rules=${[{ required: true, message: t('required') }]}><${Input} id="lookup-user" /><//>
          <${Button} htmlType="submit" id="lookup-submit">${t('lookupBtn')}<//>
        <//>
        ${found !== undefined && html`<div style=${{ marginTop: 16 }} id="lookup-result">${found === null ? html`<${Empty} description=${t('noRecord')} />` : html`<${Descriptions} bordered size="small" column=${1} items=${[
          { key: 'a', label: t('state'), children: found.archived ? t('archived') : t('notArchived') },
          { key: 's', label: t('since'), children: found.since || '—' },
          { key: 'c', label: t('scope'), children: found.scope || '—' },
          { key: 'o', label: t('source'), children: found.sourceLabel ? found.sourceLabel[S.lang === 'en' ? 'en' : 'zh-CN'] : sourceLabel(found.source) },
          { key: 'u', label: t('updated'), children: fmt(found.updatedAt) },
        ]} />`}</div>`}
      <//>
    </div>`;
  }

  Object.assign(PB.c, { Statuses });
})();
