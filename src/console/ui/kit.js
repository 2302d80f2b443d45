/* privacy-bot admin console — the shared kit: texts, the API client, formatting helpers, the theme.
 * React 18 + Ant Design 5 + dayjs (UMD globals), templates with htm — no build step. Every section of the console is
 * a script of its own (notices.js, broadcasts.js, …) that takes what it needs from `PB.kit`, adds its texts with
 * `PB.addTexts` and registers its components in `PB.c`; app.js, loaded last, is the shell that routes to them.
 * Every text from the server is rendered as React text (never as HTML), so notice text with markup stays inert. */
/* global React, antd, dayjs, htm */
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
      signOut: '退出', notices: '告知书', noticeColumn: '告知书', broadcasts: '发送记录', policies: '存档政策', statuses: '存档状态', knowledge: '知识库', health: '运行状态', audit: '操作记录',
      newNotice: '新建告知书', newVersion: '新版本', send: '发送', titleZh: '标题（中文，必填）', bodyZh: '正文（中文，必填）', titleEn: '标题（英文，可选）', bodyEn: '正文（英文，可选；留空时使用中文）',
      required: '必填', save: '保存', cancel: '取消', id: '编号', title: '标题', version: '版本', latest: '最新版本', updated: '更新时间', created: '创建时间', versions: '版本历史', open: '查看',
      platform: '平台', audience: '发送对象', all: '全员', departments: '部门', userIds: '指定人员', csvUpload: '上传 CSV', departmentIds: '部门 ID（逗号或换行分隔）', userIdList: '用户 ID（逗号或换行分隔）',
      csvHint: 'CSV：每行一个用户 ID（第一列），可带表头 userId；空行会被跳过。', badRows: '以下行有问题，名单未被接受，没有添加任何人：', line: '行', problem: '问题', review: '核对人数', confirmSend: '确认发送',
      confirmText: (t, v, n, p) => `将告知书「${t}」第 ${v} 版发送给 ${p} 上的 ${n} 人。确认发送？`, headCount: '人数', sendDone: '已开始发送',
      state: '状态', targeted: '目标', pending: '待发送', sent: '已送达', failed: '失败', read: '已读', acknowledged: '已确认知悉', progress: '进度',
      remind: '提醒未确认的人', retryFailed: '重发失败的', cancelBroadcast: '取消发送', exportRecipients: '导出收件人 CSV', exportAudit: '导出审计 CSV', recipients: '收件人', searchUser: '按用户 ID 开头、姓名或部门搜索', stateAt: '状态时间',
      queued: (n) => `已排队 ${n} 人`, createdBy: '发起人', readUnsupported: '该平台不回报已读', ackBeyondRead: (ack, read) => `已确认（${ack}）多于已读（${read}）：“已读”只计平台报告的已读回执，直接回复确认的人平台不一定报告已读（记录如实保留，不补写）。`,
      declare: '声明政策', withdraw: '撤回', withdrawn: '已撤回', active: '生效中', since: '起始日期', scope: '范围', retention: '保存期限', purpose: '目的', legalBasis: '法律依据', viewers: '可查看人员（逗号分隔）', history: '全部（含已撤回）', confirmWithdraw: '撤回后该政策不再适用于任何人，但保留在历史中。确认撤回？',
      importCsv: '导入状态 CSV', preview: '校验预览', doImport: '导入', validRows: '有效行', imported: (n) => `已导入 ${n} 条`, nothingImported: '有错误，未导入任何数据', lookup: '查询员工状态', userId: '用户 ID', lookupBtn: '查询', noRecord: '无记录', archived: '已存档', notArchived: '未存档', source: '来源',
      statusCsvHint: '表头：platform,userId,archived,since,scope', chooseFile: '选择文件', topics: '主题', answer: '回答', sources: '来源', reviewed: '审核日期', tryQuestion: '试问一个问题', ask: '提问', noMatch: '没有匹配的主题',
      ready: '就绪', notReady: '未就绪', store: '存储', reason: '原因', refresh: '刷新', actor: '操作人', action: '操作', time: '时间', target: '对象', readOnly: '只读账号（审计员）：不能修改或发送。', sandboxLabel: '沙盒演示 · 消息不会发给真实员工', suggestions: '相关主题',
      language: 'English', error: '出错了', back: '返回', noNotices: '还没有告知书',
    },
    en: {
      appTitle: 'privacy-bot admin console', signIn: 'Sign in', name: 'Account', password: 'Password', signInFailed: 'Wrong account or password', throttled: 'Too many attempts; try again in 15 minutes',
      changePassword: 'Change password', changeFirst: 'First sign-in: replace the one-time password with your own (at least 12 characters).', current: 'Current password', next: 'New password', repeat: 'New password again', mismatch: 'The two entries differ',
      signOut: 'Sign out', notices: 'Notices', noticeColumn: 'Notice', broadcasts: 'Broadcasts', policies: 'Policies', statuses: 'Statuses', knowledge: 'Knowledge', health: 'Health', audit: 'Audit trail',
      newNotice: 'New notice', newVersion: 'New version', send: 'Send', titleZh: 'Title (Chinese, required)', bodyZh: 'Body (Chinese, required)', titleEn: 'Title (English, optional)', bodyEn: 'Body (English, optional; the Chinese text is used when empty)',
      required: 'Required', save: 'Save', cancel: 'Cancel', id: 'Id', title: 'Title', version: 'Version', latest: 'Latest version', updated: 'Updated', created: 'Created', versions: 'Versions', open: 'Open',
      platform: 'Platform', audience: 'Audience', all: 'Everyone', departments: 'Departments', userIds: 'User ids', csvUpload: 'Upload CSV', departmentIds: 'Department ids (comma or line separated)', userIdList: 'User ids (comma or line separated)',
      csvHint: 'CSV: one user id per line (first column), optional header userId; blank lines are skipped.', badRows: 'These rows are bad; the list was not accepted and nobody was added:', line: 'Line', problem: 'Problem', review: 'Count recipients', confirmSend: 'Confirm send',
      confirmText: (t, v, n, p) => `Send notice "${t}" version ${v} to ${n} people on ${p}?`, headCount: 'Head count', sendDone: 'Sending started',
      state: 'State', targeted: 'Targeted', pending: 'Pending', sent: 'Delivered', failed: 'Failed', read: 'Read', acknowledged: 'Acknowledged', progress: 'Progress',
      remind: 'Remind unacknowledged', retryFailed: 'Retry failed', cancelBroadcast: 'Cancel', exportRecipients: 'Export recipients CSV', exportAudit: 'Export audit CSV', recipients: 'Recipients', searchUser: 'User id start, name or department', stateAt: 'State since',
      queued: (n) => `${n} queued`, createdBy: 'Created by', readUnsupported: 'This platform reports no reads', ackBeyondRead: (ack, read) => `Acknowledged (${ack}) exceeds read (${read}): "read" counts only the read receipts the platform reported, and someone who acknowledges by replying may have none (the record keeps what was reported; nothing is filled in).`,
      declare: 'Declare policy', withdraw: 'Withdraw', withdrawn: 'Withdrawn', active: 'Active', since: 'Since', scope: 'Scope', retention: 'Retention', purpose: 'Purpose', legalBasis: 'Legal basis', viewers: 'Who may read (comma separated)', history: 'All (withdrawn too)', confirmWithdraw: 'Once withdrawn the policy applies to nobody but stays in the history. Withdraw?',
      importCsv: 'Import status CSV', preview: 'Validate', doImport: 'Import', validRows: 'Valid rows', imported: (n) => `${n} imported`, nothingImported: 'Errors found; nothing imported', lookup: 'Look up one employee', userId: 'User id', lookupBtn: 'Look up', noRecord: 'No record', archived: 'Archived', notArchived: 'Not archived', source: 'Source',
      statusCsvHint: 'Header: platform,userId,archived,since,scope', chooseFile: 'Choose file', topics: 'Topics', answer: 'Answer', sources: 'Sources', reviewed: 'Reviewed', tryQuestion: 'Try a question', ask: 'Ask', noMatch: 'No topic matched',
      ready: 'Ready', notReady: 'Not ready', store: 'Store', reason: 'Reason', refresh: 'Refresh', actor: 'Who', action: 'Action', time: 'Time', target: 'Target', readOnly: 'Read-only account (auditor): nothing can be changed or sent.', sandboxLabel: 'Sandbox — nothing reaches real employees', suggestions: 'Related topics',
      language: '中文', error: 'Something went wrong', back: 'Back', noNotices: 'No notices yet',
    },
  };
  /**
   * The console's language: the one chosen with the language button (kept in localStorage), else the first Chinese
   * or English language of the browser's preferences (navigator.languages), else English (a French or Japanese
   * browser's user is likelier to read English than Chinese).
   */
  function storedOrBrowserLang() {
    const stored = localStorage.getItem('pb-console-lang');
    if (stored === 'en' || stored === 'zh') return stored;
    const prefs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'zh-CN'];
    for (const l of prefs.map((x) => String(x).toLowerCase())) {
      if (l.startsWith('en')) return 'en';
      if (l.startsWith('zh')) return 'zh';
    }
    return 'en';
  }
  /** Page-wide mutable state: the language, the session's CSRF token, what to do on a 401. */
  const S = { lang: storedOrBrowserLang(), csrf: '', onUnauthenticated: () => undefined };
  const t = (k, ...a) => {
    const v = TEXTS[S.lang][k];
    return typeof v === 'function' ? v(...a) : (v ?? k);
  };

  // ---------- API ----------
  class ApiError extends Error {
    constructor(status, code, msg, body) {
      super(msg);
      this.status = status;
      this.code = code;
      this.body = body;
      /** Which case of the code (src/errors.ts ErrorDetail: {kind, params}), when the server named one. */
      this.detail = (body && body.error && body.error.detail) || null;
    }
  }
  async function api(method, path, body) {
    const headers = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET') headers['x-csrf-token'] = S.csrf;
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
      if (res.status === 401 && path !== '/session') S.onUnauthenticated();
      throw new ApiError(res.status, err.code || String(res.status), err.message || res.statusText, json);
    }
    return json;
  }
  // The server's errors in the page's language (errors.js, PB_ERRORS): by code and case, else by code, else the
  // server's own message (a code this console does not know yet).
  const ERR = window.PB_ERRORS || { codes: { zh: {}, en: {} }, cases: { zh: {}, en: {} }, rows: { zh: {}, en: {} } };
  // The adapters' codes are worded beside the adapters and served by the server (adapters/errors.ts).
  if (ERR.addCodes) api('GET', '/error-texts').then((r) => ERR.addCodes(r && r.codes), () => undefined);
  const word = (v, params, serverMessage) => (typeof v === 'function' ? v(params || {}, serverMessage) : v);
  /** An error (ApiError, or any Error) as the console says it. */
  const errorText = (e) => {
    const d = e && e.detail;
    const byCase = d && d.kind ? ERR.cases[S.lang][`${e.code}.${d.kind}`] : undefined;
    if (byCase !== undefined) return word(byCase, d.params);
    const byCode = e && e.code ? ERR.codes[S.lang][e.code] : undefined;
    if (byCode !== undefined) return word(byCode, d && d.params, e.message);
    return (e && e.message) || String(e);
  };
  const fail = (e) => message.error(`${t('error')}: ${errorText(e)}${e && e.code ? ` (${e.code})` : ''}`);
  /**
   * A CSV row's problems (user-id uploads, status imports) in the page's language: each of `row.problems` by kind
   * (PB_ERRORS.rows), a kind not known as the server wrote the line's message.
   */
  const rowProblem = (m, row) => {
    const problems = row && Array.isArray(row.problems) ? row.problems : [];
    if (problems.length === 0 || problems.some((p) => ERR.rows[S.lang][p.kind] === undefined)) return m;
    return problems.map((p) => word(ERR.rows[S.lang][p.kind], p)).join(S.lang === 'zh' ? '；' : '; ');
  };
  // Times are shown in the company's time zone with its offset (as in the XLSX exports), whatever the
  // browser's zone: "2026-12-05 20:10:09 +08:00". The zone is the server's notice time zone (GET /platforms).
  let zoneFormat = null;
  const setTimeZone = (zone) => {
    zoneFormat = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'longOffset' });
  };
  setTimeZone('Asia/Shanghai');
  // Platform names for people, per console language, as the adapters describe them (GET /platforms `labels`:
  // id -> {zh, en}); an id without one (the sandbox) is shown as it is.
  let platformLabels = {};
  const setPlatformLabels = (labels) => { platformLabels = labels || {}; };
  const platformName = (id) => (platformLabels[id] && platformLabels[id][S.lang === 'en' ? 'en' : 'zh']) || id;
  const fmt = (iso) => {
    if (!iso) return '—';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    const p = Object.fromEntries(zoneFormat.formatToParts(d).map((x) => [x.type, x.value]));
    const offset = (p.timeZoneName || '').replace('GMT', '') || '+00:00';
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} ${offset}`;
  };
  /**
   * A notice title ({zh, en, 'zh-TW'?}; '' = not written) in the console's language: the English one when the
   * console is in English and the notice has one, else the Simplified Chinese one (always written).
   */
  const titleIn = (title) => (title && typeof title === 'object' ? (S.lang === 'en' && title.en && title.en.trim() ? title.en : title.zh) : title);
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

  /**
   * Ant Design tokens darkened for WCAG AA contrast (4.5:1) on white and on #f5f5f5; hover colours darker than the
   * base (Ant Design derives lighter ones: a hovered default button's blue text was 3.4:1 on white).
   */
  // No animations for people whose system asks for less motion (prefers-reduced-motion: reduce; WCAG 2.3.3): antd's
  // zoom, fade and slide of popups, dialogs and toasts are switched off (token.motion), and so is the click ripple
  // (ConfigProvider wave, app.js).
  const REDUCED_MOTION = typeof window.matchMedia === 'function' && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  const THEME = { token: { motion: !REDUCED_MOTION, colorPrimary: '#0958d9', colorPrimaryHover: '#003eb3', colorError: '#cf1322', colorLink: '#0958d9', colorLinkHover: '#003eb3', colorTextSecondary: 'rgba(0,0,0,0.68)', colorTextTertiary: 'rgba(0,0,0,0.62)', colorTextDescription: 'rgba(0,0,0,0.62)', colorTextPlaceholder: 'rgba(0,0,0,0.55)' } };

  /**
   * A Select for a Form.Item with a `required` rule. The Form.Item hands the Select aria-required, which rc-select puts
   * on its combobox input (right) and on its wrapping div (no role: axe's aria-allowed-attr, critical); this drops it
   * from the div after each render. Props as Select's.
   */
  function FieldSelect(props) {
    const ref = useRef(null);
    useEffect(() => {
      const root = ref.current && ref.current.nativeElement;
      if (root && root.hasAttribute('aria-required')) root.removeAttribute('aria-required');
    });
    return html`<${Select} ref=${ref} ...${props} />`;
  }

  /** Adds a section's texts: { zh: { key: text | (…args) => text }, en: { … } } (a key defined twice is an error). */
  function addTexts(more) {
    for (const l of ['zh', 'en']) {
      for (const k of Object.keys(more[l] || {})) {
        if (k in TEXTS[l]) throw new Error(`console text ${l}.${k} defined twice`);
        TEXTS[l][k] = more[l][k];
      }
    }
  }

  window.PB = {
    /** Components by name, registered by each section's script. */
    c: {},
    state: S,
    addTexts,
    kit: {
      html, React, useState, useEffect, useCallback, useRef, antd, dayjs, ConfigProvider, Layout, Menu, Button, Form, Input, Select, Table, Modal, Tag, Space, Card, Statistic, Row, Col, Progress, Alert, Typography, Tabs, Radio, Popconfirm, Descriptions, Empty, Result, Spin, message, DatePicker, Upload, List,
      Header, Content, Sider, Title, Text, Paragraph, Link, locales, TEXTS, t, ApiError, api, fail, errorText, rowProblem, fmt, setTimeZone, setPlatformLabels, platformName, titleIn, splitIds, useHash, THEME, REDUCED_MOTION, FieldSelect,
    },
  };
})();
