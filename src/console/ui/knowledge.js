/* privacy-bot admin console — knowledge base and the try box. Shared helpers come from kit.js (PB.kit). */
/* global PB */
(function () {
  'use strict';
  const {
    html, useState, useEffect, useCallback, useRef, ConfigProvider, Layout, Menu, Button, Form, Input, Select, Table, Modal, Tag, Space, Card, Statistic, Row, Col, Progress, Alert, Typography, Tabs, Radio, Popconfirm, Descriptions, Empty, Result, Spin, message, DatePicker, Upload, List,
    Title, Text, Paragraph, Link, t, api, fail, rowProblem, fmt, splitIds,
  } = PB.kit;
  const S = PB.state;
  PB.addTexts({ zh: { score: '得分' }, en: { score: 'score' } });
  // ---------- knowledge ----------
  function Knowledge() {
    const [topics, setTopics] = useState(null);
    const [answer, setAnswer] = useState(null);
    const stats = PB.kit.useAnswerStats();
    useEffect(() => void api('GET', '/knowledge').then((r) => setTopics(r.topics), fail), []);
    /** A topic as "id · title" in the page's language (the id alone while the list loads or for an unknown id). */
    const topicName = (id) => {
      const topic = (topics || []).find((x) => x.id === id);
      return `${id}${topic ? ` · ${topic.title[S.lang] || topic.title.zh}` : ''}`;
    };
    /** A matcher score in [0, 1] with two decimals ("—" when the server has none). */
    const score = (x) => (typeof x === 'number' ? x.toFixed(2) : '—');
    const ask = (q) => q.trim() && api('POST', '/knowledge/try', { question: q }).then(setAnswer, fail);
    const columns = [
      { title: t('id'), dataIndex: 'id' },
      { title: t('title'), dataIndex: 'title', render: (x) => x[S.lang] || x.zh },
      { title: t('reviewed'), dataIndex: 'reviewed' },
      ...PB.kit.answerColumns(stats),
    ];
    return html`<div>
      <${Title} level=${2}>${t('knowledge')}<//>
      <${PB.c.AnswerStats} stats=${stats} />
      <${Card} title=${t('tryQuestion')} style=${{ marginBottom: 16 }}>
        <${Input.Search} id="try-question" aria-label=${t('tryQuestion')} enterButton=${t('ask')} onSearch=${ask} />
        ${answer && html`<div style=${{ marginTop: 12 }} id="try-answer">
          <${Space} wrap><${Tag}>${answer.intent}<//>${answer.topic ? html`<${Tag} color="blue" id="try-topic" data-topic=${answer.topic}>${topicName(answer.topic)}<//>` : html`<${Text}>${t('noMatch')}<//>`}
            <${Text} type="secondary" id="try-score" data-score=${answer.score}>${t('score')} ${score(answer.score)}<//><//>
          ${answer.suggestions && answer.suggestions.length > 0 && html`<div id="try-suggestions" style=${{ marginTop: 8 }}>
            <${Text} type="secondary">${t('suggestions')}: <//>
            <${Space} wrap size=${4}>${answer.suggestions.map((s) => html`<${Tag} key=${s.id} data-topic=${s.id} data-score=${s.score === null ? '' : s.score}>
              ${topicName(s.id)}<span className="suggestion-score"> · ${t('score')} ${score(s.score)}</span><//>`)}<//>
          </div>`}
          ${answer.replies.map((r, i) => html`<${Paragraph} key=${i} style=${{ whiteSpace: 'pre-wrap', marginTop: 8 }}>${r}<//>`)}
        </div>`}
      <//>
      <${Table} rowKey="id" loading=${topics === null} dataSource=${topics || []} columns=${columns} scroll=${{ x: true }}
        expandable=${{ expandedRowRender: (e) => html`<div>
          <${Tabs} size="small" items=${[['zh', '简体中文'], ['zh-TW', '繁體中文'], ['en', 'English']].map(([k, label]) => ({ key: k, label, children: html`<${Paragraph} style=${{ whiteSpace: 'pre-wrap' }}>${e.answer[k]}<//>` }))} />
          <${Text} strong>${t('sources')}<//>
          <ul>${e.sources.map((s, i) => html`<li key=${i}><${Link} href=${s.url} target="_blank" rel="noreferrer noopener">${s.title}<//></li>`)}</ul>
        </div>` }} />
    </div>`;
  }

  Object.assign(PB.c, { Knowledge });
})();
