/* privacy-bot admin console — sign-in and the first password change. Shared helpers come from kit.js (PB.kit). */
/* global PB */
(function () {
  'use strict';
  const {
    html, useState, useEffect, useCallback, useRef, ConfigProvider, Layout, Menu, Button, Form, Input, Select, Table, Modal, Tag, Space, Card, Statistic, Row, Col, Progress, Alert, Typography, Tabs, Radio, Popconfirm, Descriptions, Empty, Result, Spin, message, DatePicker, Upload, List,
    Title, Text, Paragraph, Link, t, api, fail, errorText, rowProblem, fmt, splitIds,
  } = PB.kit;
  const S = PB.state;
  // ---------- sign-in ----------
  function SignIn({ onDone }) {
    const [busy, setBusy] = useState(false);
    const [err, setErr] = useState(null);
    const submit = async (v) => {
      setBusy(true);
      setErr(null);
      try {
        const s = await api('POST', '/session', { name: v.name, password: v.password });
        S.csrf = s.csrf;
        onDone(s);
      } catch (e) {
        setErr(e.status === 429 ? t('throttled') : e.status === 401 ? t('signInFailed') : errorText(e));
      } finally {
        setBusy(false);
      }
    };
    return html`<div style=${{ maxWidth: 380, margin: '10vh auto', padding: 16 }}>
      <${Card}>
        <${Title} level=${1} style=${{ fontSize: 22 }}>${t('appTitle')}<//>
        ${err && html`<${Alert} type="error" showIcon message=${err} style=${{ marginBottom: 16 }} role="alert" />`}
        <${Form} layout="vertical" onFinish=${submit} requiredMark=${false}>
          <${Form.Item} htmlFor="signin-name" label=${t('name')} name="name" rules=${[{ required: true, message: t('required') }]}><${Input} id="signin-name" autoComplete="username" /><//>
          <${Form.Item} htmlFor="signin-password" label=${t('password')} name="password" rules=${[{ required: true, message: t('required') }]}><${Input.Password} id="signin-password" autoComplete="current-password" /><//>
          <${Button} type="primary" htmlType="submit" loading=${busy} block id="signin-submit">${t('signIn')}<//>
        <//>
        ${PB.c.PlatformSignIn && html`<${PB.c.PlatformSignIn} />`}
      <//>
    </div>`;
  }

  // The new password's rules (length, not the name, not guessable) are the server's alone; its refusal is shown in
  // the console's language (errors.js, by the answer's detail.kind) until the form is edited again (a stale refusal
  // beside the form's own "the two entries differ" read as two problems).
  function ChangePassword({ session, onDone }) {
    const [err, setErr] = useState(null);
    const submit = async (v) => {
      setErr(null);
      try {
        const s = await api('POST', '/password', { current: v.current, next: v.next });
        onDone(s);
      } catch (e) {
        setErr(errorText(e));
      }
    };
    return html`<div style=${{ maxWidth: 420, margin: '8vh auto', padding: 16 }}>
      <${Card}>
        <${Title} level=${1} style=${{ fontSize: 22 }}>${t('changePassword')} · ${session.name}<//>
        ${session.mustChange && html`<${Alert} type="info" showIcon message=${t('changeFirst')} style=${{ marginBottom: 16 }} />`}
        ${err && html`<${Alert} type="error" showIcon message=${err} style=${{ marginBottom: 16 }} role="alert" />`}
        <${Form} layout="vertical" onFinish=${submit} onValuesChange=${() => setErr(null)}>
          <${Form.Item} htmlFor="pw-current" label=${t('current')} name="current" rules=${[{ required: true, message: t('required') }]}><${Input.Password} id="pw-current" autoComplete="current-password" /><//>
          <${Form.Item} htmlFor="pw-next" label=${t('next')} name="next" rules=${[{ required: true, message: t('required') }]}><${Input.Password} id="pw-next" autoComplete="new-password" /><//>
          <${Form.Item} htmlFor="pw-repeat" label=${t('repeat')} name="repeat" dependencies=${['next']}
            rules=${[{ required: true, message: t('required') }, ({ getFieldValue }) => ({ validator: (_r, v) => (v === getFieldValue('next') ? Promise.resolve() : Promise.reject(new Error(t('mismatch')))) })]}>
            <${Input.Password} id="pw-repeat" autoComplete="new-password" />
          <//>
          <${Button} type="primary" htmlType="submit" block id="pw-submit">${t('save')}<//>
        <//>
      <//>
    </div>`;
  }

  Object.assign(PB.c, { SignIn, ChangePassword });
})();
