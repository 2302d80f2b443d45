/* privacy-bot admin console — evidence views: the XLSX export buttons and the acknowledgements-over-time chart of a
 * broadcast's page, and the answer statistics of the Knowledge page (counts only — no question text exists to show).
 * The chart is plain SVG drawn here (no chart library), with a text alternative: a summary line and a table of the
 * buckets. Shared helpers come from kit.js (PB.kit); the components are used by broadcasts.js and knowledge.js. */
/* global PB */
(function () {
  'use strict';
  const { html, useState, useEffect, Button, Card, Table, Tag, Space, Statistic, Row, Col, Radio, Text, t, api, fail } = PB.kit;
  const S = PB.state;

  PB.addTexts({
    zh: {
      exportRecipientsXlsx: '导出收件人 XLSX', exportAuditXlsx: '导出审计 XLSX', ackOverTime: '确认随时间变化', byHour: '按小时', byDay: '按天',
      ackSummary: (ack, read, targeted, tz, peak) => `共 ${targeted} 人，已确认 ${ack} 人${read === null ? '' : `、已读 ${read} 人`}（时区 ${tz}）。${peak ? `确认最多的时段：${peak.start}，${peak.n} 人。` : '还没有人确认。'}`,
      bucketStart: '时段开始', newAcks: '新增确认', newReads: '新增已读', totalAcks: '累计确认', chartTable: '按时段的数字',
      answerStats: '回答统计（仅计数，不保存任何问题内容）', lastDays: (n) => `最近 ${n} 天`, answered: '已回答', notSure: '不确定', notSureRate: '不确定比例', answers7: '7 天回答数', answers30: '30 天回答数', noQuestions: '暂无提问',
    },
    en: {
      exportRecipientsXlsx: 'Export recipients XLSX', exportAuditXlsx: 'Export audit XLSX', ackOverTime: 'Acknowledgements over time', byHour: 'By hour', byDay: 'By day',
      ackSummary: (ack, read, targeted, tz, peak) => `${ack} of ${targeted} acknowledged${read === null ? '' : `, ${read} read`} (time zone ${tz}). ${peak ? `Most acknowledgements: ${peak.start}, ${peak.n}.` : 'Nobody has acknowledged yet.'}`,
      bucketStart: 'From', newAcks: 'New acknowledgements', newReads: 'New reads', totalAcks: 'Acknowledged so far', chartTable: 'Numbers per period',
      answerStats: 'Answer statistics (counts only; no question text is kept)', lastDays: (n) => `Last ${n} days`, answered: 'Answered', notSure: 'Not sure', notSureRate: '"Not sure" rate', answers7: 'Answers, 7 days', answers30: 'Answers, 30 days', noQuestions: 'No questions yet',
    },
  });

  const enc = encodeURIComponent;

  /** The two XLSX export buttons of a broadcast (beside the CSV ones). */
  function XlsxExports({ id }) {
    return html`<${Space} wrap>
      <${Button} id="export-recipients-xlsx" href=${`/console/api/broadcasts/${enc(id)}/recipients.xlsx?lang=${S.lang === 'en' ? 'en' : 'zh'}`} download>${t('exportRecipientsXlsx')}<//>
      <${Button} id="export-audit-xlsx" href=${`/console/api/broadcasts/${enc(id)}/audit.xlsx?lang=${S.lang === 'en' ? 'en' : 'zh'}`} download>${t('exportAuditXlsx')}<//>
    <//>`;
  }

  /** '2026-12-05T20:00:00.000+08:00' -> '12-05 20:00' (hours) or '2026-12-05' (days), as the server wrote it (company time). */
  const label = (iso, bucket) => (bucket === 'hour' ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(0, 10));

  /** Plain SVG: a bar per bucket (new acknowledgements) and a line of the running total. */
  function Chart({ data }) {
    const W = 640;
    const H = 200;
    const pad = { l: 36, r: 12, t: 12, b: 28 };
    const n = data.buckets.length;
    const cum = data.cumulative.acknowledged;
    const max = Math.max(1, ...cum);
    const bw = (W - pad.l - pad.r) / Math.max(1, n);
    const y = (v) => pad.t + (H - pad.t - pad.b) * (1 - v / max);
    const barW = Math.max(1, Math.min(48, bw * 0.7));
    const every = Math.max(1, Math.ceil(n / 8));
    const line = cum.map((v, i) => `${i ? 'L' : 'M'}${(pad.l + bw * (i + 0.5)).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    return html`<svg viewBox=${`0 0 ${W} ${H}`} width="100%" style=${{ maxWidth: W, display: 'block' }} aria-hidden="true" focusable="false">
      <line x1=${pad.l} y1=${H - pad.b} x2=${W - pad.r} y2=${H - pad.b} stroke="#595959" />
      <line x1=${pad.l} y1=${pad.t} x2=${pad.l} y2=${H - pad.b} stroke="#595959" />
      <text x=${pad.l - 6} y=${pad.t + 4} textAnchor="end" fontSize="11" fill="#262626">${max}</text>
      <text x=${pad.l - 6} y=${H - pad.b} textAnchor="end" fontSize="11" fill="#262626">0</text>
      ${data.buckets.map((b, i) => html`<rect key=${`b${i}`} x=${pad.l + bw * (i + 0.5) - barW / 2} width=${barW} y=${y(b.acknowledged)} height=${H - pad.b - y(b.acknowledged)} fill="#0958d9" />`)}
      ${n > 0 && html`<path d=${line} fill="none" stroke="#389e0d" strokeWidth="2" />`}
      ${data.buckets.map((b, i) => (i % every === 0 ? html`<text key=${`l${i}`} x=${pad.l + bw * (i + 0.5)} y=${H - 10} textAnchor="middle" fontSize="10" fill="#262626">${label(b.start, data.bucket)}</text>` : null))}
    </svg>`;
  }

  /**
   * Acknowledgements over time of broadcast `id`: fetched again whenever `version` changes (the broadcast page passes
   * its live counts, so the chart follows the page's polling), or the bucket is switched.
   */
  function AckChart({ id, version, targeted }) {
    const [bucket, setBucket] = useState('auto');
    const [data, setData] = useState(null);
    useEffect(() => {
      const q = bucket === 'auto' ? '' : `?bucket=${bucket}`;
      void api('GET', `/broadcasts/${enc(id)}/timeline${q}`).then(setData, () => undefined);
    }, [id, version, bucket]);
    if (!data) return null;
    let peak = null;
    data.buckets.forEach((b) => {
      if (b.acknowledged > 0 && (!peak || b.acknowledged > peak.n)) peak = { start: label(b.start, data.bucket), n: b.acknowledged };
    });
    const summary = t('ackSummary', data.total.acknowledged, data.readSupported ? data.total.read : null, targeted, data.offset, peak);
    const rows = data.buckets.map((b, i) => ({ key: b.start, start: label(b.start, data.bucket), acknowledged: b.acknowledged, read: b.read, total: data.cumulative.acknowledged[i] })).filter((r) => r.acknowledged || r.read);
    const columns = [
      { title: t('bucketStart'), dataIndex: 'start' },
      { title: t('newAcks'), dataIndex: 'acknowledged' },
      ...(data.readSupported ? [{ title: t('newReads'), dataIndex: 'read' }] : []),
      { title: t('totalAcks'), dataIndex: 'total' },
    ];
    return html`<${Card} size="small" title=${t('ackOverTime')} style=${{ margin: '16px 0' }} id="ack-chart"
        extra=${html`<${Radio.Group} size="small" optionType="button" value=${data.bucket} onChange=${(e) => setBucket(e.target.value)}
          options=${[{ label: t('byHour'), value: 'hour' }, { label: t('byDay'), value: 'day' }]} />`}>
      <figure role="group" aria-labelledby="ack-chart-summary" style=${{ margin: 0 }}>
        <${Chart} data=${data} />
        <figcaption id="ack-chart-summary" data-acknowledged=${data.total.acknowledged}><${Text}>${summary}<//></figcaption>
      </figure>
      <details style=${{ marginTop: 8 }}>
        <summary>${t('chartTable')}</summary>
        <${Table} size="small" pagination=${false} dataSource=${rows} columns=${columns} id="ack-chart-table" />
      </details>
    <//>`;
  }

  /** The answer statistics (GET /knowledge/stats), loaded once per visit of the page. */
  function useAnswerStats() {
    const [stats, setStats] = useState(null);
    useEffect(() => void api('GET', '/knowledge/stats').then(setStats, fail), []);
    return stats;
  }

  /** Columns for the topics table: answers per topic in the last 7 and 30 days. */
  function answerColumns(stats) {
    const n = (w, id) => (stats ? (stats.windows.find((x) => x.days === w)?.topics[id] ?? 0) : '—');
    return [
      { title: t('answers7'), key: 'a7', render: (e) => n(7, e.id), sorter: (a, b) => Number(n(7, a.id)) - Number(n(7, b.id)) },
      { title: t('answers30'), key: 'a30', render: (e) => n(30, e.id), sorter: (a, b) => Number(n(30, a.id)) - Number(n(30, b.id)) },
    ];
  }

  /** Summary cards: answered, "not sure" and its rate over 7 and 30 days. */
  function AnswerStats({ stats }) {
    if (!stats) return null;
    const pct = (r) => (r === null ? '—' : `${Math.round(r * 1000) / 10}%`);
    return html`<${Card} size="small" title=${t('answerStats')} style=${{ marginBottom: 16 }} id="answer-stats">
      <${Row} gutter=${[12, 12]}>${stats.windows.map((w) => html`<${Col} xs=${24} md=${12} key=${w.days}>
        <div className=${`answer-stats-${w.days}`} data-answered=${w.answered} data-not-sure=${w.notSure}>
          <${Tag}>${t('lastDays', w.days)} · ${w.from} – ${w.to}<//>
          <${Space} size="large" wrap style=${{ marginTop: 8 }}>
            <${Statistic} title=${t('answered')} value=${w.answered} />
            <${Statistic} title=${t('notSure')} value=${w.notSure} />
            <${Statistic} title=${t('notSureRate')} value=${pct(w.notSureRate)} />
          <//>
        </div>
      <//>`)}<//>
      ${stats.windows.every((w) => w.answered + w.notSure === 0) && html`<${Text} type="secondary">${t('noQuestions')}<//>`}
    <//>`;
  }

  Object.assign(PB.c, { XlsxExports, AckChart, AnswerStats });
  Object.assign(PB.kit, { useAnswerStats, answerColumns });
})();
