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
    zh: { covered: '适用对象', declaring: '正在保存…' },
    en: { covered: 'Covered employees', declaring: 'Saving…' },
  });
  // ---------- policies ----------
  function Policies({ canWrite }) {
    const [list, setList] = useState(null);
    const [all, setAll] = useState(true);
    const [open, setOpen] = useState(false);
    const [platforms, setPlatforms] = useState([]);
    const [known, setKnown] = useState([]);
    const [busy, setBusy] = useState(false);
    const [form] = Form.useForm();
    const load = useCallback(() => api('GET', `/policies${all ? '' : '?state=active'}`).then((r) => setList(r.policies), fail), [all]);
    useEffect(() => void load(), [all]);
    // The first configured platform is preselected (in the sandbox: sandbox), so nobody declares for a platform by accident.
    useEffect(() => void api('GET', '/platforms').then((r) => {
      setPlatforms(r.platforms);
      setKnown(r.known || []);
      if (r.platforms[0] && !form.getFieldValue('platform')) form.setFieldsValue({ platform: r.platforms[0] });
    }, () => undefined), []);
    const declare = async () => {
      if (busy) return; // a double click declares once
      const v = await form.validateFields();
      setBusy(true);
      const audience = v.kind === 'all' ? { all: true } : v.kind === 'departments' ? { departmentIds: splitIds(v.ids) } : { userIds: splitIds(v.ids) };
      try {
        await api('POST', '/policies', {
          platform: v.platform, audience, since: v.since.format('YYYY-MM-DD'), scope: v.scope, retention: v.retention, purpose: v.purpose, legalBasis: v.legalBasis,
          viewers: splitIds(v.viewers),
        });
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
      <${Modal} open=${open} title=${t('declare')} onCancel=${() => setOpen(false)} onOk=${declare} confirmLoading=${busy} okText=${t('save')} cancelText=${t('cancel')} width=${640} okButtonProps=${{ id: 'policy-save' }}>
        <${Form} form=${form} layout="vertical" initialValues=${{ kind: 'all' }}>
          <${Form.Item} label=${t('platform')} name="platform" rules=${[{ required: true, message: t('required') }]}>
            <${Select} id="policy-platform" options=${[...new Set([...platforms, ...known])].map((p) => ({ value: p, label: p }))} />
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
    </div>`;
  }

  Object.assign(PB.c, { Policies });
})();
