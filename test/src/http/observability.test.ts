import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBot, type TestBot } from '../../helpers/app.ts';
import { buildWecomCallback, startFakeWecom, wecomTextXml, type FakeWecom } from '../../fakes/wecom-api.ts';

const KEYS = { token: 'QDG6eK', encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', corpId: 'wx5823bf96d3bd56c7' };

describe('observability: /metrics, request ids, /readyz naming a platform fault', () => {
  let fake: FakeWecom;
  let bot: TestBot;
  before(async () => {
    fake = await startFakeWecom({ corpId: KEYS.corpId, secret: 'right-secret', agentId: 1000002 });
    bot = await startTestBot({
      WECOM_CORP_ID: KEYS.corpId, WECOM_AGENT_ID: '1000002', WECOM_SECRET: 'wrong-secret',
      WECOM_TOKEN: KEYS.token, WECOM_ENCODING_AES_KEY: KEYS.encodingAESKey, WECOM_API_BASE: fake.url,
    });
  });
  after(async () => {
    await bot.close();
    await fake.close();
  });

  async function post(xml: string, signatureOk = true): Promise<Response> {
    const cb = buildWecomCallback({ ...KEYS, xml });
    const q = signatureOk ? cb.query : cb.query.replace(/msg_signature=[0-9a-f]+/, `msg_signature=${'f'.repeat(40)}`);
    return fetch(`${bot.url}/wecom/callback?${q}`, { method: 'POST', body: cb.body });
  }

  it('every response carries a request id; a sane caller id is kept, a hostile one replaced', async () => {
    const a = await fetch(`${bot.url}/healthz`);
    assert.match(a.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const b = await fetch(`${bot.url}/healthz`, { headers: { 'x-request-id': 'lb-123.abc' } });
    assert.equal(b.headers.get('x-request-id'), 'lb-123.abc');
    const c = await fetch(`${bot.url}/healthz`, { headers: { 'x-request-id': 'x'.repeat(100) } });
    assert.notEqual(c.headers.get('x-request-id'), 'x'.repeat(100));
  });

  it('a wrong app secret makes /readyz fail naming wecom and the errcode, until a token is fetched again', async () => {
    // The server checks the credentials right after start (one token call in the background).
    await bot.server.idle();
    assert.equal((await fetch(`${bot.url}/readyz`)).status, 503, 'reported by the start-up check, before any message');
    // Any send needs a token; the adapter's real client asks the fake, which refuses the wrong secret (40001).
    const wecom = bot.server.adapters.find((a) => a.platform === 'wecom') as unknown as { client: { getAccessToken(): Promise<string> } };
    await assert.rejects(wecom.client.getAccessToken(), /40001/);
    const r = await fetch(`${bot.url}/readyz`);
    assert.equal(r.status, 503);
    const j = (await r.json()) as { reason: string; platforms: Record<string, { code: string }> };
    assert.equal(j.platforms.wecom?.code, 'WECOM_TOKEN_FAILED');
    assert.match(j.reason, /wecom: WECOM_TOKEN_FAILED \(gettoken errcode 40001/);
  });

  it('/metrics counts callbacks by outcome, signature failures, duplicates, answers and platform calls', async () => {
    const xml = wecomTextXml({ corpId: KEYS.corpId, from: 'u9', content: '撤回的消息公司还能看到吗', msgId: '900010' });
    await post(xml);
    await post(xml);
    await post(xml, false);
    await bot.server.idle();
    const text = await (await fetch(`${bot.url}/metrics`)).text();
    const value = (name: string, labels: string): number => {
      const m = new RegExp(`^${name}\\{${labels}\\} (\\d+(?:\\.\\d+)?)$`, 'm').exec(text);
      return m ? Number(m[1]) : 0;
    };
    assert.ok(value('privacy_bot_callbacks_total', 'platform="wecom",outcome="accepted"') >= 2);
    assert.ok(value('privacy_bot_callbacks_total', 'platform="wecom",outcome="rejected"') >= 1);
    assert.ok(value('privacy_bot_signature_failures_total', 'platform="wecom"') >= 1);
    assert.ok(value('privacy_bot_duplicates_dropped_total', 'platform="wecom"') >= 1);
    assert.ok(value('privacy_bot_answers_total', 'intent="faq",topic="recalled-deleted"') >= 1);
    assert.ok(value('privacy_bot_platform_api_calls_total', 'platform="wecom",api="/cgi-bin/gettoken",code="40001"') >= 1);
    assert.match(text, /privacy_bot_reply_latency_seconds_bucket\{le="0\.01",platform="wecom"\}/);
    assert.doesNotMatch(text, /撤回|u9/);
  });

  it('log lines written while handling a callback carry its request id', async () => {
    const res = await post(wecomTextXml({ corpId: KEYS.corpId, from: 'u10', content: '你好', msgId: '900020' }), false);
    const id = res.headers.get('x-request-id')!;
    assert.ok(bot.logLines.some((l) => l.includes(`"reqId":"${id}"`)));
  });
});
