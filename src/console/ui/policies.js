/* privacy-bot admin console — archiving policies. Shared helpers come from kit.js (PB.kit). */
/* global PB */
(function () {
  'use strict';
  const {
    html, useState, useEffect, useCallback, useRef, ConfigProvider, Layout, Menu, Button, Form, Input, Select, Table, Modal, Tag, Space, Card, Statistic, Row, Col, Progress, Alert, Typography, Tabs, Radio, Popconfirm, Descriptions, Empty, Result, Spin, message, DatePicker, Upload, List,
    Title, Text, Paragraph, Link, t, api, fail, rowProblem, fmt, splitIds,
  } = PB.kit;
  const S = PB.state;
  PB.addTexts({
    zh: {
      covered: '适用对象', declaring: '正在保存…', previewSees: '预览员工看到的内容', previewTitle: '适用此政策的员工看到的内容',
      previewAnswer: '机器人在回答（保存期限、谁能查看、合法性、是否需要同意）中附加的说明', previewStatus: '员工查询本人存档状态时看到的内容',
      previewFromPlatform: '此平台的存档状态来自平台自身的存档设置：本政策不改变员工的状态，只在回答中附加上面的说明。',
      previewNothingStored: '仅预览：不会保存任何内容。', previewWarnings: '注意',
      'lang:zh-CN': '简体中文', 'lang:en': 'English', 'lang:zh-TW': '繁體中文',
    },
    en: {
      covered: 'Covered employees', declaring: 'Saving…', previewSees: 'Preview what a covered employee sees', previewTitle: 'What an employee covered by this policy sees',
      previewAnswer: 'Line the bot adds to its answers (retention, who may read, legality, consent)', previewStatus: 'What the employee sees when asking for their own archiving status',
      previewFromPlatform: "This platform's statuses come from its own archive settings: the policy does not change anyone's status, it only adds the line above to answers.",
      previewNothingStored: 'Preview only: nothing is stored.', previewWarnings: 'Note',
      'lang:zh-CN': '简体中文', 'lang:en': 'English', 'lang:zh-TW': '繁體中文',
    },
  });
  // ---------- policies ----------
  const PREVIEW_LANGS = ['zh-CN', 'en', 'zh-TW'];
  /** The texts of POST /policies/preview (or GET /policies/:id/preview), one block per language. */
  function PolicyPreview({ preview }) {
    const texts = (byLang, id) => html`<${Descriptions} id=${id} bordered size="small" column=${1} items=${PREVIEW_LANGS.map((l) => ({ key: l, label: t(`lang:${l}`), children: html`<span lang=${l} className=${`preview-${l}`}>${byLang[l]}</span>` }))} />`;
    return html`<div id="policy-preview-result">
      <${Paragraph} type="secondary">${t('previewNothingStored')}<//>
      <${Title} level=${5}>${t('previewAnswer')}<//>
      ${texts(preview.answer, 'preview-answer')}
      <${Title} level=${5} style=${{ marginTop: 16 }}>${t('previewStatus')}<//>
      ${preview.status ? texts(preview.status, 'preview-status') : html`<${Alert} id="preview-status" type="info" showIcon message=${t('previewFromPlatform')} />`}
      ${preview.warnings.length > 0 && html`<${Alert} style=${{ marginTop: 16 }} type="warning" showIcon message=${t('previewWarnings')} description=${preview.warnings.join(' ')} />`}
    </div>`;
  }
  function Policies({ canWrite }) {
    const [list, setList] = useState(null);
    const [all, setAll] = useState(true);
    const [open, setOpen] = useState(false);
    const [platforms, setPlatforms] = useState([]);
    const [known, setKnown] = useState([]);
    const [busy, setBusy] = useState(false);
    const [preview, setPreview] = useState(null);
    const [form] = Form.useForm();
    const load = useCallback(() => api('GET', `/policies${all ? '' : '?state=active'}`).then((r) => setList(r.policies), fail), [all]);
    useEffect(() => void load(), [all]);
    // The first configured platform is preselected (in the sandbox: sandbox), so nobody declares for a platform by accident.
    useEffect(() => void api('GET', '/platforms').then((r) => {
      PB.kit.setPlatformLabels(r.labels);
      setPlatforms(r.platforms);
      setKnown(r.known || []);
      if (r.platforms[0] && !form.getFieldValue('platform')) form.setFieldsValue({ platform: r.platforms[0] });
    }, () => undefined), []);
    /** The declare body from the form (throws when a field is missing: the form shows which). */
    const body = async () => {
      const v = await form.validateFields();
      const audience = v.kind === 'all' ? { all: true } : v.kind === 'departments' ? { departmentIds: splitIds(v.ids) } : { userIds: splitIds(v.ids) };
      return {
        platform: v.platform, audience, since: v.since.format('YYYY-MM-DD'), scope: v.scope, retention: v.retention, purpose: v.purpose, legalBasis: v.legalBasis,
        viewers: splitIds(v.viewers),
      };
    };
    // Nothing is stored: the server renders what a covered employee would be told.
    const previewDraft = async () => {
      const b = await body();
      api('POST', '/policies/preview', b).then(setPreview, fail);
    };
    const previewExisting = (p) => api('GET', `/policies/${encodeURIComponent(p.id)}/preview`).then(setPreview, fail);
    const declare = async () => {
      if (busy) return; // a double click declares once
      const b = await body();
      setBusy(true);
      try {
        await api('POST', '/policies', b);
        setOpen(false);
        form.resetFields();
        if (platforms[0]) form.setFieldsValue({ platform: platforms[0] });
        load();
      } catch (e) {
        fail(e);
      } finally {
        setBusy(false);
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
      { title: '', render: (p) => p.state === 'active' && html`<${Button} size="small" className="preview" id=${`preview-${p.id}`} onClick=${() => previewExisting(p)}>${t('previewSees')}<//>` },
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
      <${Modal} open=${open} title=${t('declare')} onCancel=${() => setOpen(false)} onOk=${declare} confirmLoading=${busy} okText=${t('save')} cancelText=${t('cancel')} width=${640} okButtonProps=${{ id: 'policy-save' }}
        footer=${(_, { OkBtn, CancelBtn }) => html`<${Button} id="policy-preview" onClick=${previewDraft}>${t('previewSees')}<//><${CancelBtn} /><${OkBtn} />`}>
        <${Form} form=${form} layout="vertical" initialValues=${{ kind: 'all' }}>
          <${Form.Item} htmlFor="policy-platform" label=${t('platform')} name="platform" rules=${[{ required: true, message: t('required') }]}>
            <${PB.kit.FieldSelect} id="policy-platform" options=${[...new Set([...platforms, ...known])].map((p) => ({ value: p, label: PB.kit.platformName(p) }))} />
          <//>
          <${Form.Item} label=${t('covered')} name="kind"><${Radio.Group} optionType="button" options=${[{ value: 'all', label: t('all') }, { value: 'departments', label: t('departments') }, { value: 'userIds', label: t('userIds') }]} /><//>
          <${Form.Item} noStyle shouldUpdate>${({ getFieldValue }) => getFieldValue('kind') !== 'all' && html`<${Form.Item} label=${getFieldValue('kind') === 'departments' ? t('departmentIds') : t('userIdList')} name="ids" rules=${[{ required: true, message: t('required') }]}><${Input.TextArea} rows=${2} /><//>`}<//>
          <${Form.Item} htmlFor="policy-since" label=${t('since')} name="since" rules=${[{ required: true, message: t('required') }]}><${DatePicker} id="policy-since" /><//>
          <${Form.Item} htmlFor="policy-scope" label=${t('scope')} name="scope" rules=${[{ required: true, message: t('required') }]}><${Input} id="policy-scope" /><//>
          <${Form.Item} htmlFor="policy-retention" label=${t('retention')} name="retention" rules=${[{ required: true, message: t('required') }]}><${Input} id="policy-retention" /><//>
          <${Form.Item} htmlFor="policy-purpose" label=${t('purpose')} name="purpose" rules=${[{ required: true, message: t('required') }]}><${Input} id="policy-purpose" /><//>
          <${Form.Item} htmlFor="policy-legal" label=${t('legalBasis')} name="legalBasis" rules=${[{ required: true, message: t('required') }]}><${Input} id="policy-legal" /><//>
          <${Form.Item} htmlFor="policy-viewers" label=${t('viewers')} name="viewers" rules=${[{ required: true, message: t('required') }]}><${Input} id="policy-viewers" /><//>
        <//>
      <//>
      <${Modal} open=${preview !== null} title=${t('previewTitle')} onCancel=${() => setPreview(null)} width=${720} destroyOnHidden
        footer=${html`<${Button} id="policy-preview-close" onClick=${() => setPreview(null)}>${t('close')}<//>`}>
        ${preview && html`<${PolicyPreview} preview=${preview} />`}
      <//>
    </div>`;
  }

  Object.assign(PB.c, { Policies });
})();
