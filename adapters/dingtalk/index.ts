import type Router from '@koa/router';
import type { Context } from 'koa';
import type { DingtalkConfig } from './config.ts';
import { BotError, RequestError } from '../../src/errors.ts';
import { hashUserId } from '../../src/log.ts';
import { readRawBody } from '../kit/http.ts';
import { createClaimGuard } from '../kit/claims.ts';
import { bindSignPair } from './replay.ts';
import type { AdapterContext, PlatformAdapter } from '../../src/platform/adapter.ts';
import { DINGTALK_PLATFORM, toInboundMessage, type DingtalkReplyTarget } from './inbound.ts';
import { DEDUP_TTL_MS, HTTP_COMMIT_DEADLINE_MS, HTTP_COMMIT_LEASE_MS, STREAM_COMMIT_DEADLINE_MS, STREAM_COMMIT_LEASE_MS } from './limits.ts';
import { createAdmitter, type Admission, type AdmissionTimings } from '../kit/admission.ts';
import type { PaceClock } from '../kit/pace.ts';
import type { InboundMessage } from '../../src/platform/message.ts';
import { createDingtalkNoticeChannel } from './notices.ts';
import { createDingtalkOpenApi } from './openapi.ts';
import { deliverReplies, sessionWebhookPolicy } from './outbound.ts';
import { verifyDingtalkSign } from './sign.ts';
import { createDingtalkStream, type DingtalkStream } from './stream.ts';
import { answerNotRecorded, callbackRoute } from '../kit/callback.ts';
import { adapterRequestError } from '../errors.ts';

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
  /** Notice channel: clock of the pace gates, ms (default the real one; adapters/kit/pace.ts). */
  paceClock?: PaceClock;
  /** Commit deadline and dedup lease of messages that change state (default limits.ts HTTP_/STREAM_COMMIT_*). */
  commit?: Partial<AdmissionTimings>;
}

/** What became of one robot message before the platform is answered. */
type Accepted =
  | { kind: 'ignored' | 'duplicate' | 'not-recorded' }
  | { kind: 'admitted'; admission: Extract<Admission, { kind: 'admitted' }>; message: InboundMessage; target: DingtalkReplyTarget };

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
 *   5. a message that changes state (an acknowledgement "确认", an admin's "yes"; ../admission.ts) is
 *      recorded first, within {@link HTTP_COMMIT_DEADLINE_MS}; not recorded in time → 503
 *      DINGTALK_NOT_RECORDED and the dedup claim is given back (DingTalk never sends a message again
 *      after a 200, so a 200 before the record could lose it);
 *   6. answers 200 `{}` and runs the answer + delivery (sessionWebhook, else OpenAPI) in
 *      `ctx.background('dingtalk:reply', …)`.
 *   Rejections are answered with the status and a plain-text "<CODE>: <reason>".
 * - 'stream': mounts no route; `start()` opens the Stream connection (./stream.ts) and `stop()`
 *   closes it for good. Each robot CALLBACK frame's `data` (the HTTP-mode body) goes through steps
 *   2–6 above in `ctx.background('dingtalk:stream', …)` — the same converter, the same msgId dedup key
 *   (so DingTalk's re-push after ~60 s gets no second answer), the same reply path — and the frame is
 *   acknowledged where the HTTP mode answers 200: at once for questions, after the record for state
 *   changes ({@link STREAM_COMMIT_DEADLINE_MS}; not recorded in time → no ack, DingTalk re-pushes).
 *   A frame that fails step 2 is acknowledged, logged by code and dropped.
 *
 * `noticeChannel`: archiving-notice delivery (./notices.ts), paced across instances through `ctx.kv`.
 * @throws ConfigError when `config.apiBase` is not scheme://host[:port]
 * Source: https://open.dingtalk.com/document/orgapp/receive-message (docs/PROTOCOLS.md §3)
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
    paceClock: options.paceClock,
  });

  const admitter = createAdmitter(ctx, claims, log, DINGTALK_PLATFORM, {
    commitDeadlineMs: options.commit?.commitDeadlineMs ?? (mode === 'stream' ? STREAM_COMMIT_DEADLINE_MS : HTTP_COMMIT_DEADLINE_MS),
    leaseMs: options.commit?.leaseMs ?? (mode === 'stream' ? STREAM_COMMIT_LEASE_MS : HTTP_COMMIT_LEASE_MS),
    ...(options.commit?.deadline ? { deadline: options.commit.deadline } : {}),
  });

  /**
   * Steps 2–5 for a parsed body; the caller answers the platform, then calls {@link afterAck}.
   * @param startedAt performance.now() when the request arrived
   * @throws RequestError for a body that is not a valid robot message
   */
  async function accept(body: unknown, channel: 'http' | 'stream', startedAt: number, signPair?: { timestamp: string; sign: string }): Promise<Accepted> {
    const inbound = toInboundMessage(body, { robotCode: config.robotCode, receivedAt: ctx.now() });
    const pairUse = signPair ? await bindSignPair(claims, signPair, inbound.action === 'ignore' ? inbound.messageId : inbound.message.messageId, ctx.now()) : 'first';
    if (inbound.action === 'ignore') {
      log.debug({ msgId: inbound.messageId, reason: inbound.reason }, 'message ignored');
      return { kind: 'ignored' };
    }
    const { message, target } = inbound;
    const user = hashUserId(DINGTALK_PLATFORM, message.userId);
    if (pairUse === 'reused') {
      // Possibly a replay with a forged body (./replay.ts): trusted as nobody — FAQ only.
      message.anonymous = true;
      log.warn({ msgId: message.messageId, user }, 'timestamp/sign pair already used by another message: answered as anonymous');
    }
    const admission = await admitter.admit(message, { dedupKey: dingtalkDedupKey(message.messageId), dedupTtlMs: DEDUP_TTL_MS, channel, startedAt });
    if (admission.kind === 'duplicate') {
      log.info({ msgId: message.messageId, user }, 'duplicate message ignored');
      return { kind: 'duplicate' };
    }
    if (admission.kind === 'not-recorded') return { kind: 'not-recorded' };
    log.info({ msgId: message.messageId, user, chat: message.chat.kind, kind: message.kind, mode, committed: admission.committed }, 'message accepted');
    return { kind: 'admitted', admission, message, target };
  }

  /** After the platform was answered: the claim's full TTL, then the answer and its delivery in the background. */
  function afterAck(accepted: Extract<Accepted, { kind: 'admitted' }>): void {
    const { admission, message, target } = accepted;
    admission.acknowledged();
    ctx.background('dingtalk:reply', async () => {
      const result = await admission.answer();
      const report = await deliverReplies(result.replies, target, { api, log, now: ctx.now, webhookAllowed });
      log.info({ msgId: message.messageId, user: hashUserId(DINGTALK_PLATFORM, message.userId), intent: result.intent, ...report }, 'replies delivered');
    });
  }

  async function callback(koa: Context): Promise<void> {
    const startedAt = performance.now();
    const timestamp = koa.get('timestamp');
    const sign = koa.get('sign');
    verifyDingtalkSign(timestamp || undefined, sign || undefined, config.appSecret, ctx.now());
    const raw = await readRawBody(koa);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      throw adapterRequestError('DINGTALK_BAD_REQUEST', 'body is not JSON');
    }
    const accepted = await accept(body, 'http', startedAt, { timestamp, sign });
    if (accepted.kind === 'not-recorded') {
      // Not acknowledged: DingTalk may deliver it again; the claim was given back for that.
      answerNotRecorded(koa, 'DINGTALK', 'deliver it again');
      return;
    }
    if (accepted.kind === 'admitted') accepted.admission.acknowledging();
    koa.status = 200;
    koa.body = {};
    if (accepted.kind === 'admitted') afterAck(accepted);
  }

  const stream: DingtalkStream | null =
    mode === 'stream'
      ? createDingtalkStream(config, {
          log,
          gatewayUrl: options.streamGatewayUrl,
          reconnectIntervalMs: options.streamReconnectIntervalMs,
          onRobotMessage(data, frame, ack) {
            const startedAt = performance.now();
            ctx.background('dingtalk:stream', async () => {
              let body: unknown;
              try {
                body = JSON.parse(data);
              } catch {
                ack();
                log.warn({ messageId: frame.messageId, code: 'DINGTALK_BAD_REQUEST' }, 'stream frame dropped: data is not JSON');
                return;
              }
              let accepted: Accepted;
              try {
                accepted = await accept(body, 'stream', startedAt);
              } catch (err) {
                ack();
                if (err instanceof BotError && err.status < 500) {
                  log.warn({ messageId: frame.messageId, code: err.code, reason: err.message }, 'stream frame dropped');
                  return;
                }
                throw err;
              }
              // Not recorded in time: no ack, DingTalk pushes the frame again (~60 s) and the claim was given back.
              if (accepted.kind === 'not-recorded') return;
              if (accepted.kind === 'admitted') accepted.admission.acknowledging();
              ack();
              if (accepted.kind === 'admitted') afterAck(accepted);
            });
          },
        })
      : null;

  return {
    platform: DINGTALK_PLATFORM,
    callbackRoutes: [DINGTALK_CALLBACK_PATH],
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
      router.post(DINGTALK_CALLBACK_PATH, callbackRoute(DINGTALK_PLATFORM, log, callback));
    },
  };
}
