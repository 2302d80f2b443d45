/**
 * The baselines of bench/load.ts, in one process apart from the bot:
 *
 * - the bare route (POST /wecom/callback, /dingtalk/callback): a bare Koa 3 app with @koa/router
 *   whose only work is the minimum any callback route does — route the POST, read the raw body
 *   (raw-body, 1 MB limit, like adapters/kit/http.ts), answer 200 with an empty body. The issue's
 *   target is a ratio to this route's throughput.
 * - the protocol floor (POST /wecom/floor, /dingtalk/floor): the same route plus only the work each
 *   platform's protocol makes compulsory for one text message, done with the adapters' own
 *   functions, and nothing of the bot (no matching, store, dedup, logging, metrics):
 *   - WeCom: parse the envelope XML, check msg_signature (SHA-1), AES-256-CBC decrypt and receiveid
 *     check, parse the message XML, then answer with an encrypted passive reply holding a knowledge-
 *     base answer (XML, AES encrypt, SHA-1 signature) — developer.work.weixin.qq.com/document/path/96211;
 *   - DingTalk: check the timestamp/sign headers (HMAC-SHA256), parse the JSON, answer `{}`, then
 *     POST the answer to the message's sessionWebhook (keep-alive agent) —
 *     open.dingtalk.com/document/orgapp/receive-message.
 *   No implementation of the bot can go faster than its protocol floor on the same machine, so the
 *   floor's ratio to the bare route bounds the ratio any bot can reach.
 *
 * Run by bench/load.ts as its own process: `PORT=<port> node --import tsx bench/bare-koa.ts`
 * (listens on 127.0.0.1:PORT; GET /healthz answers 200 for the readiness poll).
 */
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import Koa from 'koa';
import Router from '@koa/router';
import getRawBody from 'raw-body';
import { decryptWecom, sealReply, verifySignature } from '../adapters/wecom/crypto.ts';
import { buildEncryptedReplyXml, buildTextReplyXml, parseWecomXml } from '../adapters/wecom/xml.ts';
import { verifyDingtalkSign } from '../adapters/dingtalk/sign.ts';
import { loadKnowledge } from '../src/knowledge/load.ts';
import { BENCH_DINGTALK, BENCH_WECOM } from './load-shared.ts';

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error('bench/bare-koa.ts: set PORT to a free TCP port');

const BODY_LIMIT = 1024 * 1024;
const kb = await loadKnowledge(fileURLToPath(new URL('../knowledge', import.meta.url)));
/** Real answer texts, so the floor seals replies of the bot's sizes. */
const answers = kb.entries.map((e) => e.answer.zh.trim());
let answerSeq = 0;
const nextAnswer = () => answers[answerSeq++ % answers.length]!;

const app = new Koa();
const router = new Router();
const receive = async (ctx: Koa.Context): Promise<void> => {
  await getRawBody(ctx.req, { limit: BODY_LIMIT, length: ctx.request.length });
  ctx.status = 200;
  ctx.body = '';
};
router.post('/wecom/callback', receive);
router.post('/dingtalk/callback', receive);

const wecomKeys = { token: BENCH_WECOM.token, encodingAESKey: BENCH_WECOM.encodingAESKey, corpId: BENCH_WECOM.corpId };
router.post('/wecom/floor', async (ctx) => {
  const body = (await getRawBody(ctx.req, { limit: BODY_LIMIT, length: ctx.request.length })).toString('utf8');
  const envelope = parseWecomXml(body);
  const q = ctx.query as Record<string, string>;
  const signed = { msgSignature: q.msg_signature ?? '', timestamp: q.timestamp ?? '', nonce: q.nonce ?? '', encrypt: envelope.Encrypt ?? '' };
  verifySignature(wecomKeys.token, signed);
  const message = parseWecomXml(decryptWecom(wecomKeys, signed.encrypt));
  const now = Math.floor(Date.now() / 1000);
  const plain = buildTextReplyXml({ toUser: message.FromUserName ?? '', corpId: wecomKeys.corpId, createTime: now, content: nextAnswer() });
  ctx.type = 'text/xml';
  ctx.body = buildEncryptedReplyXml(sealReply(wecomKeys, plain, { timestamp: now }));
});

const agent = new Agent({ keepAlive: true, maxSockets: 32 });
router.post('/dingtalk/floor', async (ctx) => {
  verifyDingtalkSign(ctx.get('timestamp'), ctx.get('sign'), BENCH_DINGTALK.appSecret, Date.now());
  const body = JSON.parse((await getRawBody(ctx.req, { limit: BODY_LIMIT, length: ctx.request.length })).toString('utf8')) as {
    sessionWebhook: string;
  };
  ctx.body = {};
  // The reply goes out after the answer, as the bot's does.
  const payload = JSON.stringify({ msgtype: 'text', text: { content: nextAnswer() } });
  const req = request(body.sessionWebhook, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
    res.resume();
  });
  req.on('error', () => {});
  req.end(payload);
});

router.get('/healthz', (ctx) => {
  ctx.body = { status: 'ok' };
});
app.use(router.routes());
app.use(router.allowedMethods());
const server = app.listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
