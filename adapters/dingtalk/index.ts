import type Router from '@koa/router';
import type { Context } from 'koa';
import type { DingtalkConfig } from '../../src/config.ts';
import { BotError, RequestError } from '../../src/errors.ts';
import { hashUserId } from '../../src/log.ts';
import { readRawBody } from '../http.ts';
import { createClaimGuard } from '../claims.ts';
import { bindSignPair } from './replay.ts';
import type { AdapterContext, PlatformAdapter } from '../types.ts';
import { DINGTALK_PLATFORM, toInboundMessage } from './inbound.ts';
import { DEDUP_TTL_MS } from './limits.ts';
import { createDingtalkNoticeChannel } from './notices.ts';
import { createDingtalkOpenApi } from './openapi.ts';
import { deliverReplies, sessionWebhookPolicy } from './outbound.ts';
import { verifyDingtalkSign } from './sign.ts';
import { createDingtalkStream, type DingtalkStream } from './stream.ts';

/** Path DingTalk POSTs robot messages to (the console's 消息接收地址 is `<public base URL>` + this). */
export const DINGTALK_CALLBACK_PATH = '/dingtalk/callback';

/** Store key that makes one msgId produce one answer. */
export function dingtalkDedupKey(msgId: string): string {
  return `dedup:dingtalk:${msgId}`;
}

/** Options of {@link createDingtalkAdapter} that are not configuration (tests, benchmarks). */
export interface DingtalkAdapterOptions {
  /**
   * Stream mode only, test-only: where the connection-open POST goes (e.g. a FakeStreamGateway's
   * `gatewayUrl`). Default: `<apiBase>/v1.0/gateway/connections/open` when apiBase is not
   * api.dingtalk.com, else the SDK's built-in https://api.dingtalk.com/v1.0/gateway/connections/open.
   */
  streamGatewayUrl?: string;
  /** Stream mode: reconnect delay in ms (default the SDK's 1 s). */
  streamReconnectIntervalMs?: number;
  /** Notice channel: calls per second per DingTalk API (default 20 × 0.9; see limits.ts). */
  noticeQps?: number;
}

/**
 * The DingTalk enterprise internal app robot adapter.
 *
 * Robot messages, `config.mode`:
 * - 'http' (default): mounts `POST /dingtalk/callback`:
 *   1. verifies the `timestamp`/`sign` headers before reading the body (401 DINGTALK_BAD_SIGNATURE /
 *      DINGTALK_STALE_TIMESTAMP);
 *   2. reads the raw body (1 MB limit → 413 BODY_TOO_LARGE), parses JSON (400 DINGTALK_BAD_REQUEST),
 *      validates it and checks robotCode (400 DINGTALK_BAD_REQUEST / 403 DINGTALK_WRONG_ROBOT);
 *      binds the header pair to the body's msgId: a body with a pair already used by another
 *      msgId may be a replay with a forged body and is answered as anonymous, FAQ only (./replay.ts);
 *   3. group messages that do not @-mention the robot: 200 `{}`, nothing sent;
 *   4. dedups on `dedup:dingtalk:<msgId>` (2 h): a repeat gets 200 `{}` and nothing is sent (store
 *      down: the claim is held in this process, ../claims.ts, and the message answered);
 *   5. answers 200 `{}` at once and runs `ctx.handle` + delivery (sessionWebhook, else OpenAPI) in
 *      `ctx.background('dingtalk:reply', …)`.
 *   Rejections are answered with the status and a plain-text "<CODE>: <reason>".
 * - 'stream': mounts no route; `start()` opens the Stream connection (./stream.ts) and `stop()`
 *   closes it for good. Every robot CALLBACK frame is acknowledged at once, then its `data` (the
 *   HTTP-mode body) goes through steps 2–5 above in `ctx.background('dingtalk:stream', …)` — the same
 *   converter, the same msgId dedup key (so DingTalk's re-push after ~60 s gets no second answer),
 *   the same reply path. A frame that fails step 2 is logged by code and dropped.
 *
 * `noticeChannel`: archiving-notice delivery (./notices.ts), paced across instances through `ctx.kv`.
 * @throws ConfigError when `config.apiBase` is not scheme://host[:port]
 * Source: https://open.dingtalk.com/document/orgapp/receive-message (protocols.md §3)
 */
export function createDingtalkAdapter(
  config: DingtalkConfig,
  ctx: AdapterContext,
  options: DingtalkAdapterOptions = {},
): PlatformAdapter {
  const log = ctx.log.child({ platform: DINGTALK_PLATFORM });
  const claims = createClaimGuard(ctx.kv, log);
  const api = createDingtalkOpenApi(config, ctx.kv, log, ctx.health, ctx.observeApiCall && ((api, code) => ctx.observeApiCall!('dingtalk', api, code)));
  const webhookAllowed = sessionWebhookPolicy(config.apiBase);
  const mode = config.mode ?? 'http';
  const noticeChannel = createDingtalkNoticeChannel({
    api,
    log,
    now: ctx.now,
    appKey: config.appKey,
    kv: ctx.kv,
    qps: options.noticeQps,
  });

  /**
   * Steps 2–5 for a parsed body; the caller answers the platform.
   * @throws RequestError for a body that is not a valid robot message
   */
  async function accept(body: unknown, signPair?: { timestamp: string; sign: string }): Promise<'accepted' | 'duplicate' | 'ignored'> {
    const inbound = toInboundMessage(body, { robotCode: config.robotCode, receivedAt: ctx.now() });
    const pairUse = signPair ? await bindSignPair(claims, signPair, inbound.action === 'ignore' ? inbound.messageId : inbound.message.messageId, ctx.now()) : 'first';
    if (inbound.action === 'ignore') {
      log.debug({ msgId: inbound.messageId, reason: inbound.reason }, 'message ignored');
      return 'ignored';
    }
    const { message, target } = inbound;
    const user = hashUserId(DINGTALK_PLATFORM, message.userId);
    if (pairUse === 'reused') {
      // Possibly a replay with a forged body (./replay.ts): trusted as nobody — FAQ only.
      message.anonymous = true;
      log.warn({ msgId: message.messageId, user }, 'timestamp/sign pair already used by another message: answered as anonymous');
    }
    const first = await claims.claim(dingtalkDedupKey(message.messageId), DEDUP_TTL_MS);
    if (!first) {
      log.info({ msgId: message.messageId, user }, 'duplicate message ignored');
      return 'duplicate';
    }
    log.info({ msgId: message.messageId, user, chat: message.chat.kind, kind: message.kind, mode }, 'message accepted');
    ctx.background('dingtalk:reply', async () => {
      const result = await ctx.handle(message);
      const report = await deliverReplies(result.replies, target, { api, log, now: ctx.now, webhookAllowed });
      log.info({ msgId: message.messageId, user, intent: result.intent, ...report }, 'replies delivered');
    });
    return 'accepted';
  }

  async function callback(koa: Context): Promise<void> {
    const timestamp = koa.get('timestamp');
    const sign = koa.get('sign');
    verifyDingtalkSign(timestamp || undefined, sign || undefined, config.appSecret, ctx.now());
    const raw = await readRawBody(koa);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      throw new RequestError('DINGTALK_BAD_REQUEST', 'body is not JSON', 400);
    }
    await accept(body, { timestamp, sign });
    koa.status = 200;
    koa.body = {};
  }

  const stream: DingtalkStream | null =
    mode === 'stream'
      ? createDingtalkStream(config, {
          log,
          gatewayUrl: options.streamGatewayUrl,
          reconnectIntervalMs: options.streamReconnectIntervalMs,
          onRobotMessage(data, frame) {
            ctx.background('dingtalk:stream', async () => {
              let body: unknown;
              try {
                body = JSON.parse(data);
              } catch {
                log.warn({ messageId: frame.messageId, code: 'DINGTALK_BAD_REQUEST' }, 'stream frame dropped: data is not JSON');
                return;
              }
              try {
                await accept(body);
              } catch (err) {
                if (err instanceof BotError && err.status < 500) {
                  log.warn({ messageId: frame.messageId, code: err.code, reason: err.message }, 'stream frame dropped');
                  return;
                }
                throw err;
              }
            });
          },
        })
      : null;

  return {
    platform: DINGTALK_PLATFORM,
    noticeChannel,
    async checkCredentials(): Promise<void> {
      await api.accessToken();
    },
    async start(): Promise<void> {
      await stream?.start();
    },
    async stop(): Promise<void> {
      await stream?.stop();
    },
    mount(router: Router): void {
      if (mode === 'stream') {
        log.info('stream mode: robot messages arrive over the Stream connection; /dingtalk/callback is not mounted');
        return;
      }
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
