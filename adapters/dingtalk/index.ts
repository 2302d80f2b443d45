import type Router from '@koa/router';
import type { Context } from 'koa';
import type { DingtalkConfig } from '../../src/config.ts';
import { BotError, RequestError } from '../../src/errors.ts';
import { hashUserId } from '../../src/log.ts';
import { readRawBody } from '../http.ts';
import type { AdapterContext, PlatformAdapter } from '../types.ts';
import { DINGTALK_PLATFORM, toInboundMessage } from './inbound.ts';
import { DEDUP_TTL_MS } from './limits.ts';
import { createDingtalkOpenApi } from './openapi.ts';
import { deliverReplies, sessionWebhookPolicy } from './outbound.ts';
import { verifyDingtalkSign } from './sign.ts';

/** Path DingTalk POSTs robot messages to (the console's 消息接收地址 is `<public base URL>` + this). */
export const DINGTALK_CALLBACK_PATH = '/dingtalk/callback';

/** Store key that makes one msgId produce one answer. */
export function dingtalkDedupKey(msgId: string): string {
  return `dedup:dingtalk:${msgId}`;
}

/**
 * The DingTalk enterprise internal app robot adapter, HTTP mode. Mounts `POST /dingtalk/callback`:
 * 1. verifies the `timestamp`/`sign` headers before reading the body (401 DINGTALK_BAD_SIGNATURE /
 *    DINGTALK_STALE_TIMESTAMP);
 * 2. reads the raw body (1 MB limit → 413 BODY_TOO_LARGE), parses JSON (400 DINGTALK_BAD_REQUEST),
 *    validates it and checks robotCode (400 DINGTALK_BAD_REQUEST / 403 DINGTALK_WRONG_ROBOT);
 * 3. group messages that do not @-mention the robot: 200 `{}`, nothing sent;
 * 4. dedups on `dedup:dingtalk:<msgId>` (2 h): a repeat gets 200 `{}` and nothing is sent;
 * 5. answers 200 `{}` at once and runs `ctx.handle` + delivery (sessionWebhook, else OpenAPI) in
 *    `ctx.background('dingtalk:reply', …)`.
 * Rejections are answered with the status and a plain-text "<CODE>: <reason>".
 * @throws ConfigError when `config.apiBase` is not scheme://host[:port]
 * Source: https://open.dingtalk.com/document/orgapp/receive-message (protocols.md §3)
 */
export function createDingtalkAdapter(config: DingtalkConfig, ctx: AdapterContext): PlatformAdapter {
  const log = ctx.log.child({ platform: DINGTALK_PLATFORM });
  const api = createDingtalkOpenApi(config, ctx.kv, log);
  const webhookAllowed = sessionWebhookPolicy(config.apiBase);

  async function callback(koa: Context): Promise<void> {
    verifyDingtalkSign(koa.get('timestamp') || undefined, koa.get('sign') || undefined, config.appSecret, ctx.now());
    const raw = await readRawBody(koa);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      throw new RequestError('DINGTALK_BAD_REQUEST', 'body is not JSON', 400);
    }
    const inbound = toInboundMessage(body, { robotCode: config.robotCode, receivedAt: ctx.now() });
    if (inbound.action === 'ignore') {
      log.debug({ msgId: inbound.messageId, reason: inbound.reason }, 'message ignored');
      koa.status = 200;
      koa.body = {};
      return;
    }
    const { message, target } = inbound;
    const user = hashUserId(DINGTALK_PLATFORM, message.userId);
    const first = await ctx.kv.claim(dingtalkDedupKey(message.messageId), DEDUP_TTL_MS);
    koa.status = 200;
    koa.body = {};
    if (!first) {
      log.info({ msgId: message.messageId, user }, 'duplicate message ignored');
      return;
    }
    log.info({ msgId: message.messageId, user, chat: message.chat.kind, kind: message.kind }, 'message accepted');
    ctx.background('dingtalk:reply', async () => {
      const result = await ctx.handle(message);
      const report = await deliverReplies(result.replies, target, { api, log, now: ctx.now, webhookAllowed });
      log.info({ msgId: message.messageId, user, intent: result.intent, ...report }, 'replies delivered');
    });
  }

  return {
    platform: DINGTALK_PLATFORM,
    mount(router: Router): void {
      router.post(DINGTALK_CALLBACK_PATH, async (koa) => {
        try {
          await callback(koa);
        } catch (err) {
          if (err instanceof BotError && err.status < 500) {
            koa.status = err.status;
            koa.type = 'text/plain; charset=utf-8';
            koa.body = `${err.code}: ${err.message}`;
            log.info({ code: err.code, httpStatus: err.status }, 'callback rejected');
            return;
          }
          throw err;
        }
      });
    },
  };
}
