/* privacy-bot admin console — broadcasts: the list and a broadcast's page with its live tally. Shared helpers come from kit.js (PB.kit). */
/* global PB */
(function () {
  'use strict';
  const {
    html, antd, useState, useEffect, useCallback, useRef, ConfigProvider, Layout, Menu, Button, Form, Input, Select, Table, Modal, Tag, Space, Card, Statistic, Row, Col, Progress, Alert, Typography, Tabs, Radio, Popconfirm, Descriptions, Empty, Result, Spin, message, DatePicker, Upload, List,
    Title, Text, Paragraph, Link, t, api, fail, rowProblem, fmt, splitIds,
  } = PB.kit;
  const S = PB.state;
  /** A broadcast's notice title in the console's language (English falls back to the Chinese), or its id when unknown. */
  const noticeName = (b) => (b.noticeTitle ? PB.kit.titleIn(b.noticeTitle) : b.noticeId);
  /**
   * The state a broadcast is shown as: its stored `state`, except 'expired' (the server's `expired`: cancelled
   * because nobody confirmed it in time, not confirmed by `confirmBy`, or stuck resolving a day after it was created —
   * nothing sent), 'awaiting' (resolving, prepared and waiting for the admin's confirm: `confirmBy` is set) and
   * 'scheduled' (confirmed, waiting for its `notBefore`: the server's `scheduled`, so nothing sent yet).
   */
  const shownState = (b) => (b.expired ? 'expired' : b.state === 'resolving' && b.confirmBy ? 'awaiting' : b.state === 'sending' && b.scheduled ? 'scheduled' : b.state);
  /** A broadcast's shown state in words: "Scheduled for <time in the company time zone>" names the time. */
  const stateText = (b) => (shownState(b) === 'scheduled' ? t('st_scheduled', fmt(b.notBefore)) : t(`st_${shownState(b)}`));
  // The admin's own step and the employees' acknowledgements are never the same word: 'awaiting' is "待确认发送" (the
  // admin has not confirmed the send) beside the column "已确认知悉" (employees who acknowledged); 'done' is "发送完毕"
  // (delivery ended), not "已完成", which HR read as the campaign being over with most acknowledgements still missing.
  PB.addTexts({
    zh: { st_resolving: '准备中', st_awaiting: '待确认发送', st_expired: '未确认，已过期', st_scheduled: (when) => `已排期 ${when}`, st_sending: '发送中', st_done: '发送完毕', st_cancelled: '已取消', st_pending: '待发送', st_sent: '已送达', st_failed: '发送失败', st_read: '已读', st_acknowledged: '已确认知悉',
      remindConfirm: (n) => `向 ${n} 位尚未确认的员工再发送一次提醒？`, recipientName: '姓名', recipientDepartment: '部门', scheduledFor: (when) => `计划发送时间：${when}`, notConfirmed: '尚未确认发送',
      prepInterrupted: '准备中断，请重试', prepInterruptedWhy: '准备发送对象的服务实例已停止，这次准备作废，不会发送。请重新选择发送对象并确认。',
      prepExpired: '未确认，已过期', prepExpiredWhy: '人数核对后没有人确认发送，这次准备已作废，没有发送任何消息。如需发送，请重新核对人数并确认。',
      unfinishedExpiredWhy: '发送对象的准备一直没有完成（例如处理它的服务实例中途停止），创建已超过一天，这次发送已作废，没有发送任何消息。如需发送，请重新发送。',
      confirmBy: (when) => `未确认将于 ${when} 作废`,
      notStartedYet: (when) => `计划于 ${when} 开始发送，尚未发送给任何人，暂时没有可提醒或重发的对象。`,
      prepUnknown: (n) => `${n} 个用户 ID 不在通讯录中，不会发送，也不计入人数：`, prepUnchecked: '此平台没有可用的通讯录，无法核对填写的用户 ID；人数按填写的 ID 计算，不存在的 ID 会在发送时失败。',
      prepUnmatchedPeople: (n) => `排除的 ${n} 人不在本次发送对象中：`, prepUnmatchedDepartments: (n) => `排除的 ${n} 个部门没有排除任何人（部门成员都不在本次发送对象中）：`, prepUnmatchedCheck: '——请检查拼写。',
      prepPreparing: '正在解析发送对象…', broadcastError: '原因：', noticeLanguage: '语言', lang_bilingual: '中英双语',
      reminderRounds: '提醒记录', reminderRound: '轮次', roundN: (n) => `第 ${n} 轮`, reminderAt: '发起时间', reminderQueued: '提醒人数', reminderBy: '发起人', notRecorded: '未记录',
      reminderProgress: '本轮进度', reminderTally: (sent, failed, pending) => `已送达 ${sent} · 失败 ${failed} · 待发送 ${pending}`, reminderEarlier: '只统计最新一轮',
      remindedColumn: '收到的提醒', remindedCell: (n, when) => `第 ${n} 轮 · ${when}` },
    en: { st_resolving: 'Preparing', st_awaiting: 'Awaiting your send confirmation', st_expired: 'Not confirmed, expired', st_scheduled: (when) => `Scheduled for ${when}`, st_sending: 'Sending', st_done: 'Sending finished', st_cancelled: 'Cancelled', st_pending: 'Pending', st_sent: 'Delivered', st_failed: 'Failed', st_read: 'Read', st_acknowledged: 'Acknowledged',
      remindConfirm: (n) => `Send a reminder to the ${n} employees who have not acknowledged?`, recipientName: 'Name', recipientDepartment: 'Department', scheduledFor: (when) => `Scheduled for ${when}`, notConfirmed: 'Not confirmed yet',
      prepInterrupted: 'Preparation interrupted — retry', prepInterruptedWhy: 'The instance preparing the audience stopped; this preparation is void and nothing will be sent. Choose the audience again and confirm.',
      prepExpired: 'Not confirmed, expired', prepExpiredWhy: 'Nobody confirmed the send after the head count, so this preparation is void and nothing was sent. To send, count the recipients again and confirm.',
      unfinishedExpiredWhy: 'Preparing the audience never finished (the instance doing it stopped, for example) and it was created more than a day ago: this broadcast is void and nothing was sent. To send, start again.',
      confirmBy: (when) => `Void if not confirmed by ${when}`,
      notStartedYet: (when) => `Sending starts at ${when}; nothing has been sent yet, so there is nobody to remind or retry.`,
      prepUnknown: (n) => `${n} user ids are not in the directory: they will not be sent to and are not counted: `, prepUnchecked: "This platform has no directory to check the user ids against: the count is of the ids as given, and ids that do not exist fail when sent.",
      prepUnmatchedPeople: (n) => (n === 1 ? '1 excluded person is not in this audience: ' : `${n} excluded people are not in this audience: `),
      prepUnmatchedDepartments: (n) => (n === 1 ? '1 excluded department removed nobody (none of its members is in this audience): ' : `${n} excluded departments removed nobody (none of their members is in this audience): `),
      prepUnmatchedCheck: ' — check the spelling.',
      prepPreparing: 'Resolving the audience…', broadcastError: 'Reason: ', noticeLanguage: 'Language', lang_bilingual: 'Bilingual',
      reminderRounds: 'Reminder rounds', reminderRound: 'Round', roundN: (n) => `Round ${n}`, reminderAt: 'Queued at', reminderQueued: 'Queued for', reminderBy: 'By', notRecorded: 'not recorded',
      reminderProgress: 'This round', reminderTally: (sent, failed, pending) => `${sent} delivered · ${failed} failed · ${pending} pending`, reminderEarlier: 'tallied for the latest round only',
      remindedColumn: 'Last reminder', remindedCell: (n, when) => `Round ${n} · ${when}` },
  });
  /**
   * What a broadcast's preparation (GET /broadcasts/:id/preparation: {state, count?, unknown?, checked?,
   * unmatchedExclusions?: {userIds, departmentIds}, error?, interrupted?, expired?}) has to tell the admin before the
   * confirm: the typed ids the directory does not know (not sent, not counted), exclusions that removed
   * nobody (an excluded id not in the audience — a typo? — or a department none of whose members is in
   * it; a warning only), that the ids could not be checked (no directory), that the preparation was
   * interrupted (its instance died: prepare again), or that it expired (`expired`: ready but nobody
   * confirmed it in time; nothing was sent). Nothing when there is nothing to say. The send
   * dialog's confirm step and the broadcast page show it; `departmentName(id)` (optional: the send
   * dialog has the directory's tree) names a department, else its id is shown.
   */
  function PreparationNotes({ prep, departmentName }) {
    if (!prep) return null;
    const unknown = Array.isArray(prep.unknown) ? prep.unknown : [];
    const unmatched = prep.unmatchedExclusions || {};
    const unmatchedPeople = Array.isArray(unmatched.userIds) ? unmatched.userIds : [];
    const unmatchedDepts = Array.isArray(unmatched.departmentIds) ? unmatched.departmentIds : [];
    const deptLabel = (d) => {
      const name = departmentName ? departmentName(d) : undefined;
      return name ? `${name} (${d})` : d;
    };
    const notes = [];
    if (prep.state === 'failed' && prep.expired) {
      notes.push(html`<${Alert} key="expired" id="prep-expired" type="warning" showIcon message=${t('prepExpired')} description=${t('prepExpiredWhy')} />`);
    }
    if (prep.state === 'failed' && prep.interrupted) {
      notes.push(html`<${Alert} key="interrupted" id="prep-interrupted" type="error" showIcon message=${t('prepInterrupted')} description=${t('prepInterruptedWhy')} />`);
    }
    if (unknown.length > 0) {
      notes.push(html`<${Alert} key="unknown" id="prep-unknown" type="warning" showIcon data-count=${unknown.length}
        message=${html`<span>${t('prepUnknown', unknown.length)}<span id="prep-unknown-ids">${unknown.join(', ')}</span></span>`} />`);
    }
    if (unmatchedPeople.length > 0 || unmatchedDepts.length > 0) {
      notes.push(html`<${Alert} key="unmatched" id="prep-unmatched-exclusions" type="warning" showIcon data-people=${unmatchedPeople.length} data-departments=${unmatchedDepts.length}
        message=${html`<span>
          ${unmatchedPeople.length > 0 && html`<span id="prep-unmatched-people">${t('prepUnmatchedPeople', unmatchedPeople.length)}<span id="prep-unmatched-people-ids">${unmatchedPeople.join(', ')}</span>${t('prepUnmatchedCheck')}</span>`}
          ${unmatchedPeople.length > 0 && unmatchedDepts.length > 0 && html`<br />`}
          ${unmatchedDepts.length > 0 && html`<span id="prep-unmatched-departments">${t('prepUnmatchedDepartments', unmatchedDepts.length)}<span id="prep-unmatched-department-ids">${unmatchedDepts.map(deptLabel).join(', ')}</span></span>`}
        </span>`} />`);
    }
    if (prep.state === 'ready' && prep.checked === false) {
      notes.push(html`<${Alert} key="unchecked" id="prep-unchecked" type="info" showIcon message=${t('prepUnchecked')} />`);
    }
    return notes.length ? html`<${Space} direction="vertical" style=${{ width: '100%', margin: '12px 0' }}>${notes}<//>` : null;
  }

  // ---------- broadcasts ----------
  function Broadcasts() {
    const [list, setList] = useState(null);
    useEffect(() => void api('GET', '/broadcasts').then((r) => setList(r.broadcasts), fail), []);
    // On a phone (390 px) the table scrolls sideways in its own box instead of squeezing its columns: every cell on
    // one line except the notice title, which keeps a readable width (it wrapped one character a line, rows ~300 px).
    const oneLine = { onCell: () => ({ style: { whiteSpace: 'nowrap' } }), onHeaderCell: () => ({ style: { whiteSpace: 'nowrap' } }) };
    const columns = [
      { title: t('id'), dataIndex: 'id', ...oneLine, render: (id) => html`<a href=${`#/broadcasts/${id}`}>${id}</a>` },
      { title: t('noticeColumn'), onHeaderCell: oneLine.onHeaderCell, render: (b) => html`<span className="broadcast-notice" style=${{ display: 'inline-block', minWidth: 160, maxWidth: 280 }}>${noticeName(b)} <${Text} type="secondary">v${b.version}<//></span>` },
      { title: t('platform'), dataIndex: 'platform', ...oneLine },
      { title: t('state'), key: 'state', ...oneLine, render: (b) => html`<${Tag} className="broadcast-list-state" data-state=${b.state} data-shown=${shownState(b)}>${stateText(b)}<//>` },
      { title: t('targeted'), ...oneLine, render: (b) => b.counts.targeted },
      { title: t('acknowledged'), ...oneLine, render: (b) => b.counts.acknowledged },
      { title: t('createdBy'), dataIndex: 'createdBy', ...oneLine },
      { title: t('created'), dataIndex: 'createdAt', ...oneLine, render: fmt },
    ];
    return html`<div><${Title} level=${2}>${t('broadcasts')}<//><${Table} rowKey="id" loading=${list === null} dataSource=${list || []} columns=${columns} scroll=${{ x: 'max-content' }} /></div>`;
  }

  /**
   * The reminder rounds of a broadcast (GET /broadcasts/:id `reminderRounds`: [{round, at, queued, by}], oldest
   * first; `reminder` tallies the latest): when each was queued, for how many people, who asked (null: not
   * recorded — rounds from before it was), and the latest round's progress. Nothing before the first round.
   */
  function ReminderRounds({ b }) {
    const rounds = Array.isArray(b.reminderRounds) ? b.reminderRounds : [];
    if (rounds.length === 0) return null;
    const r = b.reminder;
    const columns = [
      { title: t('reminderRound'), dataIndex: 'round', key: 'round', render: (n) => t('roundN', n) },
      { title: t('reminderAt'), dataIndex: 'at', key: 'at', render: fmt },
      { title: t('reminderQueued'), dataIndex: 'queued', key: 'queued', render: (n) => html`<span className="reminder-queued">${n}</span>` },
      { title: t('reminderBy'), dataIndex: 'by', key: 'by', render: (x) => (x ? html`<span className="reminder-by">${x}</span>` : html`<${Text} type="secondary" className="reminder-by">${t('notRecorded')}<//>`) },
      { title: t('reminderProgress'), key: 'progress', render: (x) => (x.round === r.round
        ? html`<span className="reminder-tally">${t('reminderTally', r.sent, r.failed, r.pending)}</span>`
        : html`<${Text} type="secondary">${t('reminderEarlier')}<//>`) },
    ];
    return html`<div id="reminder-rounds" style=${{ marginBottom: 16 }}>
      <${Title} level=${3}>${t('reminderRounds')}<//>
      <${Table} rowKey="round" size="small" pagination=${false} dataSource=${rounds} columns=${columns} scroll=${{ x: true }}
        onRow=${(x) => ({ 'data-round': x.round })} />
    </div>`;
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
    // The preparation of a broadcast prepared from the console (null: none, or not prepared here).
    const [prep, setPrep] = useState(null);
    // A broadcast recorded by the API or the CLI has no preparation (409 BROADCAST_NOT_PREPARED): asked once, not at
    // every poll (each refusal is a failed request in the browser's log). Holds the id refused, as the page is reused
    // when the console goes from one broadcast to another.
    const noPrep = useRef(null);
    const loadB = useCallback(() => api('GET', `/broadcasts/${encodeURIComponent(id)}`).then((x) => {
      setB(x);
      if ((x.state === 'resolving' || (x.state === 'cancelled' && x.error)) && noPrep.current !== id) {
        return api('GET', `/broadcasts/${encodeURIComponent(id)}/preparation`).then(setPrep, (e) => {
          if (e && e.code === 'BROADCAST_NOT_PREPARED') noPrep.current = id;
          setPrep(null);
        });
      }
      setPrep(null);
      return undefined;
    }, () => undefined), [id]);
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
    // The table follows the tally: when a count changes (a send, a read, an acknowledgement, a reminder) the
    // rows are read again at once, so the page never shows "acknowledged 2" above rows still "delivered".
    const tallyKey = b ? [...['pending', 'sent', 'failed', 'read', 'acknowledged'].map((k) => b.counts[k]), b.reminder.round, b.reminder.sent].join(':') : '';
    const firstTally = useRef(true);
    useEffect(() => {
      if (!tallyKey) return;
      if (firstTally.current) {
        firstTally.current = false;
        return;
      }
      void loadRows();
    }, [tallyKey]);
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
      { title: t('recipientName'), dataIndex: 'name', key: 'name', render: (x) => x || '—' },
      { title: t('recipientDepartment'), dataIndex: 'department', key: 'department', render: (x) => x || '—' },
      { title: t('state'), dataIndex: 'state', key: 'state', ...sorter('state'), render: (s) => html`<${Tag} data-state=${s}>${t(`st_${s}`)}<//>`,
        filters: ['pending', 'sent', 'failed', 'read', 'acknowledged'].map((s) => ({ text: t(`st_${s}`), value: s })), filterMultiple: false, filteredValue: query.state ? [query.state] : null },
      { title: t('stateAt'), dataIndex: 'stateAt', key: 'time', ...sorter('time'), render: fmt },
      { title: t('sent'), dataIndex: 'sentAt', key: 'sentAt', render: fmt },
      { title: t('read'), dataIndex: 'readAt', key: 'readAt', render: fmt },
      { title: t('acknowledged'), dataIndex: 'acknowledgedAt', key: 'acknowledgedAt', render: fmt },
      { title: t('remindedColumn'), dataIndex: 'remindedRound', key: 'remindedRound', render: (n, x) => (n > 0 ? html`<span className="reminded" data-round=${n}>${t('remindedCell', n, fmt(x.remindedAt))}</span>` : '—') },
      { title: t('problem'), dataIndex: 'failureReason', key: 'failureReason' },
      { title: t('noticeLanguage'), dataIndex: 'language', key: 'language', render: (x) => (x === 'bilingual' ? t('lang_bilingual') : x || '—') },
    ];
    // Cancelled, or expired (nothing was sent; an expired broadcast still resolving is over as well).
    const finished = b.state === 'cancelled' || !!b.expired;
    // Prepared but never confirmed, or confirmed and waiting for its time: nothing was sent, so there is nobody
    // to remind or retry (only cancelling it).
    const unsent = b.state === 'resolving' || !!b.scheduled;
    // Prepared (by the console, a tab since closed, or the API) and not confirmed yet: its page can confirm the send,
    // not only cancel it — the head count and the time it lapses are shown above.
    const awaitingConfirm = b.state === 'resolving' && !b.expired && !!prep && (prep.state === 'ready' || prep.state === 'preparing');
    // Why remind and retry are off while a scheduled broadcast waits (a tooltip on the disabled buttons).
    const whyOff = b.scheduled ? t('notStartedYet', fmt(b.notBefore)) : undefined;
    const explained = (button) => (whyOff ? html`<${antd.Tooltip} title=${whyOff}><span className="why-disabled" style=${{ display: 'inline-block' }}>${button}</span><//>` : button);
    return html`<div>
      <${Space} style=${{ marginBottom: 16 }} wrap>
        <${Button} onClick=${() => go('#/broadcasts')}>${t('back')}<//>
        <${Title} level=${2} style=${{ margin: 0 }} id="broadcast-title">${noticeName(b)}<//>
        <${Tag} color="blue" id="broadcast-state" data-state=${b.state} data-shown=${shownState(b)}>${stateText(b)}<//>
        <${Text} type="secondary"><a href=${`#/notices/${b.noticeId}`} style=${{ textDecoration: 'underline' }}>${b.noticeId} v${b.version}</a> · ${b.id} · ${b.platform} · ${t('createdBy')} ${b.createdBy}<//>
        ${b.notBefore && !b.scheduled && html`<${Tag} color="gold" id="broadcast-scheduled">${t('scheduledFor', fmt(b.notBefore))}<//>`}
        ${b.state === 'resolving' && !b.expired && html`<${Tag}>${prep && prep.state === 'preparing' ? t('prepPreparing') : t('notConfirmed')}<//>`}
        ${b.state === 'resolving' && !b.expired && b.confirmBy && html`<${Text} type="secondary" id="broadcast-confirm-by">${t('confirmBy', fmt(b.confirmBy))}<//>`}
      <//>
      <${PreparationNotes} prep=${prep} />
      ${b.state === 'resolving' && b.expired && !(prep && prep.expired) && html`<${Alert} id="broadcast-expired" type="warning" showIcon style=${{ marginBottom: 12 }} message=${t('prepExpired')} description=${t('unfinishedExpiredWhy')} />`}
      ${b.state === 'cancelled' && b.error && !(prep && (prep.interrupted || prep.expired)) && html`<${Alert} id="broadcast-error" type="error" showIcon style=${{ marginBottom: 12 }} message=${`${t('broadcastError')}${b.error}`} />`}
      <${Row} gutter=${[12, 12]} id="tally">${['targeted', 'pending', 'sent', 'failed', 'read', 'acknowledged'].map((k) => stat(k, k === 'failed' && c.failed ? '#cf1322' : undefined))}<//>
      ${!b.readSupported && html`<${Text} type="secondary">${t('readUnsupported')}<//>`}
      ${b.readSupported && c.acknowledged > c.read && html`<div><${Text} type="secondary" id="ack-beyond-read">${t('ackBeyondRead', c.acknowledged, c.read)}<//></div>`}
      <div style=${{ margin: '16px 0' }}><${Text}>${t('progress')}<//><${Progress} percent=${pct} status=${c.failed ? 'exception' : pct === 100 ? 'success' : 'active'} aria-label=${t('progress')} /></div>
      <${Space} wrap style=${{ marginBottom: 16 }}>
        ${canWrite && awaitingConfirm && html`<${Popconfirm} title=${t('confirmText', noticeName(b), b.version, prep.count, PB.kit.platformName(b.platform))}
          onConfirm=${() => act(() => api('POST', `/broadcasts/${encodeURIComponent(id)}/confirm`))}>
          <${Button} type="primary" danger id="confirm-send" disabled=${busy || prep.state !== 'ready' || !prep.count}>${t('confirmSend')}<//><//>`}
        ${canWrite && explained(html`<${Popconfirm} title=${t('remindConfirm', Math.max(0, c.targeted - c.acknowledged - c.failed))} onConfirm=${() => act(() => api('POST', `/broadcasts/${id}/resend`, { only: 'unacknowledged' }))}><${Button} id="remind" disabled=${busy || finished || unsent || c.targeted - c.acknowledged - c.failed <= 0}>${t('remind')}<//><//>`)}
        ${canWrite && explained(html`<${Button} id="retry" disabled=${busy || finished || unsent || !c.failed} onClick=${() => act(() => api('POST', `/broadcasts/${id}/resend`, { only: 'failed' }))}>${t('retryFailed')}<//>`)}
        ${canWrite && html`<${Popconfirm} title=${t('cancelBroadcast')} onConfirm=${() => act(() => api('POST', `/broadcasts/${id}/cancel`))}><${Button} danger id="cancel-broadcast" disabled=${busy || finished || b.state === 'done'}>${t('cancelBroadcast')}<//><//>`}
        <${Button} id="export-recipients" href=${`/console/api/broadcasts/${encodeURIComponent(id)}/recipients.csv`} download>${t('exportRecipients')}<//>
        <${Button} id="export-audit" href=${`/console/api/broadcasts/${encodeURIComponent(id)}/audit.csv`} download>${t('exportAudit')}<//>
        <${PB.c.XlsxExports} id=${id} />
      <//>
      ${canWrite && whyOff && html`<div style=${{ marginTop: -8, marginBottom: 16 }}><${Text} type="secondary" id="not-started-yet">${whyOff}<//></div>`}
      <${ReminderRounds} b=${b} />
      <${PB.c.AckChart} id=${id} version=${`${c.read}:${c.acknowledged}`} targeted=${c.targeted} />
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

  Object.assign(PB.c, { Broadcasts, BroadcastPage, PreparationNotes });
})();
