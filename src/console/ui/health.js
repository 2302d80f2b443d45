/* privacy-bot admin console — health and the audit trail. Shared helpers come from kit.js (PB.kit). */
/* global PB */
(function () {
  'use strict';
  const {
    html, useState, useEffect, useCallback, useRef, ConfigProvider, Layout, Menu, Button, Form, Input, Select, Table, Modal, Tag, Space, Card, Statistic, Row, Col, Progress, Alert, Typography, Tabs, Radio, Popconfirm, Descriptions, Empty, Result, Spin, message, DatePicker, Upload, List,
    Title, Text, Paragraph, Link, t, api, fail, rowProblem, fmt, splitIds, antd,
  } = PB.kit;
  const S = PB.state;
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

  PB.addTexts({
    zh: { exportAuditTrail: '导出操作记录 CSV', route: '接口' },
    en: { exportAuditTrail: 'Export audit trail CSV', route: 'Route' },
  });
  /** The operation log: each action in words in the console's language (the raw route as its tooltip). */
  function Audit() {
    const [entries, setEntries] = useState(null);
    useEffect(() => void api('GET', '/audit').then((r) => setEntries(r.entries), fail), []);
    const columns = [
      { title: t('time'), dataIndex: 'at', render: fmt },
      { title: t('actor'), dataIndex: 'actor' },
      {
        title: t('action'), key: 'action',
        render: (e) => html`<${antd.Tooltip} title=${`${t('route')}: ${e.action}`}><span className="audit-action" data-route=${e.action}>${(e.summary && e.summary[S.lang]) || e.action}</span><//>`,
      },
      { title: t('target'), dataIndex: 'target' },
      { title: 'HTTP', dataIndex: 'status' },
    ];
    return html`<div>
      <${Space} wrap style=${{ marginBottom: 12 }}>
        <${Title} level=${2} style=${{ margin: 0 }}>${t('audit')}<//>
        <${Button} id="export-audit-trail" href=${`/console/api/audit.csv?lang=${S.lang}`} download>${t('exportAuditTrail')}<//>
      <//>
      <${Table} rowKey="seq" size="small" loading=${entries === null} dataSource=${entries || []} columns=${columns} scroll=${{ x: true }} />
    </div>`;
  }

  Object.assign(PB.c, { Health, Audit });
})();
