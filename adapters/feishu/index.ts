import type Router from '@koa/router';
import type { Context } from 'koa';
import type { EventDispatcher } from '@larksuiteoapi/node-sdk';
import { BotError, RequestError } from '../../src/errors.ts';
import { hashUserId } from '../../src/log.ts';
import type { InboundMessage } from '../../src/platform/message.ts';
import { createClaimGuard } from '../kit/claims.ts';
import { createAdmitter, type Admission, type AdmissionTimings } from '../kit/admission.ts';
import { settleWithin } from '../kit/settle.ts';
import { readRawBytes } from '../kit/http.ts';
import { answerNotRecorded, callbackRoute } from '../kit/callback.ts';
import type { PaceClock } from '../kit/pace.ts';
import type { AdapterContext, PlatformAdapter } from '../../src/platform/adapter.ts';
import { createFeishuApi, type FeishuApi } from './api.ts';
import { ackAnswer, retryAnswer, type CardCallbackAnswer } from './cards.ts';
import type { FeishuConfig } from './config.ts';
import { decryptFeishu, tokenMatches, verifyFeishuSignature } from './crypto.ts';
import {
  FEISHU_PLATFORM,
  classifyCallback,
  fromDispatcherData,
  toCardClick,
  toInboundMessage,
  toReads,
  type FeishuHeader,
  type FeishuReplyTarget,
} from './inbound.ts';
import { BOT_INFO_WAIT_MS, CARD_LOOKUP_WAIT_MS, COMMIT_DEADLINE_MS, COMMIT_LEASE_MS, DEDUP_TTL_MS, MAX_CALLBACK_BODY_BYTES } from './limits.ts';
import { createFeishuNoticeChannel, noticeCardOfMessage, recordFeishuReads } from './notices.ts';
import { deliverFeishuReplies } from './outbound.ts';
import { createFeishuDispatcher, createFeishuLongConnection, type FeishuLongConnection } from './ws.ts';
import { adapterError, adapterRequestError } from '../errors.ts';

export { loadFeishuConfig, parseFeishuConfig, FEISHU_ENVIRONMENT_VARIABLES, FEISHU_REQUIRED, FEISHU_VARIABLES, type FeishuConfig } from './config.ts';

/** Path Feishu POSTs events and card callbacks to (the console's 请求地址 is `<public base URL>` + this). */
export const FEISHU_CALLBACK_PATH = '/feishu/callback';

/** Store key that makes one message_id (or one person's click on one card) produce one answer. */
export function feishuDedupKey(messageId: string): string {
  return `dedup:feishu:${messageId}`;
}

/** Options of {@link createFeishuAdapter} that are not configuration (tests, benchmarks). */
export interface FeishuAdapterOptions {
  /** Commit deadline and dedup lease of state changes (default limits.ts COMMIT_*). */
  commit?: Partial<AdmissionTimings>;
  /** Reply part size in bytes (default limits.ts TEXT_PART_MAX_BYTES). */
  partMaxBytes?: number;
  /** Sleep for throttled waits, ms (tests; default `paceClock.sleep`). */
  sleep?: (ms: number) => Promise<void>;
  /** Clock of the send pacing, ms (default the real one; tests inject a virtual one, adapters/kit/pace.ts). */
  paceClock?: PaceClock;
  /** Send pacing per app and per chat, calls/s (default limits.ts). */
  appQps?: number;
  chatQps?: number;
  /** Directory browser tuning (snapshot TTL, people cap) for tests. */
  org?: { ttlMs?: number; maxPeople?: number };
}

/** The Feishu adapter; `eventDispatcher` is the SDK dispatcher both modes feed (tests invoke it). */
export interface FeishuAdapter extends PlatformAdapter {
  readonly eventDispatcher: EventDispatcher;
  readonly api: FeishuApi;
}

/** What became of one event before Feishu is answered. */
type Outcome =
  /** Answer now (200 with `body`), then run `after` (the reply) if any. */
  | { kind: 'answer'; body: Record<string, unknown>; after?: () => void }
  /** A state change not recorded in time: do not acknowledge (HTTP 503 / WS error), or answer a card with a retry toast. */
  | { kind: 'not-recorded'; body?: Record<string, unknown> };

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw adapterRequestError('FEISHU_BAD_REQUEST', `${what} is not JSON`);
  }
}

/**
 * The Feishu / Lark self-built app bot adapter.
 *
 * Events, `config.mode`:
 * - 'http' (default): mounts `POST /feishu/callback` for events and card callbacks:
 *   1. reads the raw body (1 MB → 413); with an Encrypt Key and the `X-Lark-*` headers present,
 *      verifies `X-Lark-Signature` over those exact bytes in constant time before anything else
 *      (401 FEISHU_BAD_SIGNATURE);
 *   2. parses JSON, decrypts `{"encrypt"}` (AES-256-CBC, ./crypto.ts; 400 FEISHU_BAD_ENCRYPT;
 *      400 FEISHU_ENCRYPT_KEY_MISSING when FEISHU_ENCRYPT_KEY is unset);
 *   3. `url_verification` (plain or encrypted; never signed): checks its `token` (401
 *      FEISHU_BAD_TOKEN) and answers `{"challenge"}`; any other unsigned body while an Encrypt Key
 *      is set → 401 FEISHU_BAD_SIGNATURE;
 *   4. v2 events: `header.token` must be the Verification Token (401) and `header.app_id` this app
 *      (403 FEISHU_WRONG_APP); v1 (legacy) bodies get 200 `{}` and are not handled;
 *   5. the event ({@link handleEvent}); answers 200 within the 3 s deadline, replies in the background.
 * - 'ws': mounts nothing; `start()` opens the SDK's long connection (./ws.ts), `stop()` closes it.
 *   Events arrive through the same `EventDispatcher` handlers and go through step 5.
 *
 * Events (both modes):
 * - im.message.receive_v1: 1:1 messages and group messages that @-mention the bot (others ignored);
 *   dedup on `dedup:feishu:<message_id>` for {@link DEDUP_TTL_MS} (redeliveries up to ~7 h later,
 *   even with another event_id); state changes committed first (../admission.ts; not recorded →
 *   HTTP 503 / a failed WS answer, the claim given back); replies by ./outbound.ts.
 * - card.action.trigger: a notice card's acknowledge button → an 'ack-action' message, dedup per
 *   (card, person, key); answered with a toast and the acknowledged card; a repeat click gets the
 *   same answer and changes nothing.
 * - im.message.message_read_v1: read receipts of notice cards, recorded in the store.
 *
 * `noticeChannel`: ./notices.ts. No `archiveSource`: Feishu has no API that tells whose chats are
 * archived, so Feishu statuses come from policies and imports.
 * Source: https://open.feishu.cn/document/server-docs/event-subscription-guide/overview (docs/FEISHU.md)
 */
export function createFeishuAdapter(config: FeishuConfig, ctx: AdapterContext, options: FeishuAdapterOptions = {}): FeishuAdapter {
  const log = ctx.log.child({ platform: FEISHU_PLATFORM });
  const claims = createClaimGuard(ctx.kv, log);
  const api = createFeishuApi({
    appId: config.appId,
    appSecret: config.appSecret,
    apiBase: config.apiBase,
    kv: ctx.kv,
    log,
    health: ctx.health,
    observe: ctx.observeApiCall && ((name, code) => ctx.observeApiCall!(FEISHU_PLATFORM, name, code)),
    sleep: options.sleep,
    clock: options.paceClock,
    appQps: options.appQps,
    chatQps: options.chatQps,
  });
  const noticeChannel = createFeishuNoticeChannel({ api, kv: ctx.kv, log, org: { now: ctx.now, ...options.org } });
  const admitter = createAdmitter(ctx, claims, log, FEISHU_PLATFORM, {
    commitDeadlineMs: options.commit?.commitDeadlineMs ?? COMMIT_DEADLINE_MS,
    leaseMs: options.commit?.leaseMs ?? COMMIT_LEASE_MS,
    ...(options.commit?.deadline ? { deadline: options.commit.deadline } : {}),
  });

  /** After Feishu was answered: the claim's full TTL, then the answer and its delivery in the background. */
  function replyLater(admission: Extract<Admission, { kind: 'admitted' }>, message: InboundMessage, target: FeishuReplyTarget): () => void {
    return () => {
      admission.acknowledged();
      ctx.background('feishu:reply', async () => {
        const result = await admission.answer();
        const report = await deliverFeishuReplies(result.replies, target, message.messageId, { api, log, partMaxBytes: options.partMaxBytes });
        log.info({ msgId: message.messageId, user: hashUserId(FEISHU_PLATFORM, message.userId), intent: result.intent, ...report }, 'replies delivered');
      });
    };
  }

  async function onMessage(header: FeishuHeader, event: unknown, channel: 'http' | 'ws', startedAt: number): Promise<Outcome> {
    const isGroup = (event as { message?: { chat_type?: unknown } } | null)?.message?.chat_type === 'group';
    let botOpenId: string | null = null;
    if (isGroup) {
      const s = await settleWithin(api.botOpenId(), BOT_INFO_WAIT_MS);
      botOpenId = s.state === 'done' ? s.value : null;
    }
    const inbound = toInboundMessage(header, event, { botOpenId, receivedAt: ctx.now() });
    if (inbound.action === 'ignore') {
      log.debug({ msgId: inbound.messageId, reason: inbound.reason }, 'message ignored');
      return { kind: 'answer', body: {} };
    }
    const { message, target } = inbound;
    const user = hashUserId(FEISHU_PLATFORM, message.userId);
    const admission = await admitter.admit(message, { dedupKey: feishuDedupKey(message.messageId), dedupTtlMs: DEDUP_TTL_MS, channel, startedAt });
    if (admission.kind === 'duplicate') {
      log.info({ msgId: message.messageId, user }, 'duplicate message ignored');
      return { kind: 'answer', body: {} };
    }
    if (admission.kind === 'not-recorded') return { kind: 'not-recorded' };
    log.info({ msgId: message.messageId, user, chat: message.chat.kind, kind: message.kind, mode: channel, committed: admission.committed }, 'message accepted');
    admission.acknowledging();
    return { kind: 'answer', body: {}, after: replyLater(admission, message, target) };
  }

  async function onCard(header: FeishuHeader, event: unknown, channel: 'http' | 'ws', startedAt: number): Promise<Outcome> {
    const click = toCardClick(header, event, ctx.now());
    if (click.action === 'ignore') return { kind: 'answer', body: {} };
    const { message, target } = click;
    const user = hashUserId(FEISHU_PLATFORM, message.userId);
    const admission = await admitter.admit(message, { dedupKey: feishuDedupKey(message.messageId), dedupTtlMs: DEDUP_TTL_MS, channel, startedAt });
    if (admission.kind === 'not-recorded') return { kind: 'not-recorded', body: retryAnswer(click.language) as unknown as Record<string, unknown> };
    const card = await settleWithin(noticeCardOfMessage(ctx.kv, click.cardMessageId), CARD_LOOKUP_WAIT_MS);
    const answer: CardCallbackAnswer = ackAnswer(card.state === 'done' ? card.value : null, click.language);
    if (admission.kind === 'duplicate') {
      log.info({ msgId: message.messageId, user }, 'repeated card click: nothing recorded again');
      return { kind: 'answer', body: answer as unknown as Record<string, unknown> };
    }
    log.info({ msgId: message.messageId, user, kind: message.kind, mode: channel, committed: admission.committed }, 'card click accepted');
    admission.acknowledging();
    return { kind: 'answer', body: answer as unknown as Record<string, unknown>, after: replyLater(admission, message, target) };
  }

  /**
   * Handles one verified v2 event (both modes).
   * @param startedAt performance.now() when it arrived
   * @throws RequestError for an event that does not have the documented shape
   */
  async function handleEvent(header: FeishuHeader, event: unknown, channel: 'http' | 'ws', startedAt: number): Promise<Outcome> {
    switch (header.event_type) {
      case 'im.message.receive_v1':
        return onMessage(header, event, channel, startedAt);
      case 'card.action.trigger':
        return onCard(header, event, channel, startedAt);
      case 'im.message.message_read_v1': {
        const reads = toReads(event, ctx.now());
        ctx.background('feishu:reads', async () => {
          const n = await recordFeishuReads(ctx.kv, reads);
          if (n > 0) log.info({ reads: n }, 'notice read receipts recorded');
        });
        return { kind: 'answer', body: {} };
      }
      default:
        log.debug({ eventType: header.event_type }, 'event ignored');
        return { kind: 'answer', body: {} };
    }
  }

  function checkHeader(header: FeishuHeader, channel: 'http' | 'ws'): void {
    if (channel === 'http' && config.verificationToken !== null && !tokenMatches(header.token, config.verificationToken)) {
      throw adapterRequestError('FEISHU_BAD_TOKEN', 'header.token is not the Verification Token');
    }
    if (header.app_id !== undefined && header.app_id !== config.appId) {
      throw adapterRequestError('FEISHU_WRONG_APP', 'header.app_id is not the configured app');
    }
  }

  async function callback(koa: Context): Promise<void> {
    const startedAt = performance.now();
    const bytes = await readRawBytes(koa, MAX_CALLBACK_BODY_BYTES);
    const timestamp = koa.get('x-lark-request-timestamp') || undefined;
    const nonce = koa.get('x-lark-request-nonce') || undefined;
    const signature = koa.get('x-lark-signature') || undefined;
    let signed = false;
    if (config.encryptKey !== null && (timestamp || nonce || signature)) {
      verifyFeishuSignature({ timestamp, nonce, signature }, config.encryptKey, bytes);
      signed = true;
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      throw adapterRequestError('BODY_INVALID_UTF8', 'body is not valid UTF-8');
    }
    let body = parseJson(text, 'body');
    const encrypt = (body as { encrypt?: unknown } | null)?.encrypt;
    if (typeof encrypt === 'string') {
      if (config.encryptKey === null) throw adapterRequestError('FEISHU_ENCRYPT_KEY_MISSING', 'body is encrypted but FEISHU_ENCRYPT_KEY is not set');
      body = parseJson(decryptFeishu(config.encryptKey, encrypt), 'decrypted body');
    }
    const cb = classifyCallback(body);
    if (cb.kind === 'challenge') {
      if (config.verificationToken === null || !tokenMatches(cb.token, config.verificationToken)) {
        throw adapterRequestError('FEISHU_BAD_TOKEN', 'url_verification token is not the Verification Token');
      }
      log.info('url_verification answered');
      koa.status = 200;
      koa.body = { challenge: cb.challenge };
      return;
    }
    if (config.encryptKey !== null && !signed) {
      throw adapterRequestError('FEISHU_BAD_SIGNATURE', 'X-Lark-Signature is required when an Encrypt Key is set');
    }
    if (cb.kind === 'legacy') {
      log.info('v1 (legacy) callback ignored: subscribe to v2 events (docs/FEISHU.md)');
      koa.status = 200;
      koa.body = {};
      return;
    }
    checkHeader(cb.header, 'http');
    const outcome = await handleEvent(cb.header, cb.event, 'http', startedAt);
    if (outcome.kind === 'not-recorded') {
      if (outcome.body) {
        koa.status = 200;
        koa.body = outcome.body;
        return;
      }
      answerNotRecorded(koa, 'FEISHU', 'deliver it again');
      return;
    }
    koa.status = 200;
    koa.body = outcome.body;
    outcome.after?.();
  }

  /** A long-connection handler: the same path; its return value is the event's answer. */
  function wsHandler(eventType: string) {
    return async (data: Record<string, unknown>): Promise<unknown> => {
      const startedAt = performance.now();
      let header: FeishuHeader;
      let event: Record<string, unknown>;
      try {
        ({ header, event } = fromDispatcherData(data, eventType));
        checkHeader(header, 'ws');
      } catch (err) {
        log.warn({ code: (err as BotError).code ?? 'FEISHU_BAD_REQUEST', eventType }, 'long-connection event dropped');
        return undefined;
      }
      let outcome: Outcome;
      try {
        outcome = await handleEvent(header, event, 'ws', startedAt);
      } catch (err) {
        if (err instanceof BotError && err.status < 500) {
          log.warn({ code: err.code, reason: err.message, eventType }, 'long-connection event dropped');
          return undefined;
        }
        throw err;
      }
      if (outcome.kind === 'not-recorded') {
        if (outcome.body) return outcome.body;
        // A failed answer: Feishu delivers the event again; the claim was given back for that.
        throw adapterError('FEISHU_NOT_RECORDED', 'the message could not be recorded in time');
      }
      outcome.after?.();
      return Object.keys(outcome.body).length > 0 ? outcome.body : undefined;
    };
  }

  const eventDispatcher = createFeishuDispatcher(
    {
      'im.message.receive_v1': wsHandler('im.message.receive_v1'),
      'card.action.trigger': wsHandler('card.action.trigger'),
      'im.message.message_read_v1': wsHandler('im.message.message_read_v1'),
    },
    log,
  );
  const connection: FeishuLongConnection | null =
    config.mode === 'ws'
      ? createFeishuLongConnection({
          appId: config.appId,
          appSecret: config.appSecret,
          apiBase: config.apiBase,
          dispatcher: eventDispatcher,
          log,
          onError: (err) => ctx.health?.(FEISHU_PLATFORM, { code: 'FEISHU_LONG_CONNECTION_FAILED', message: err.message.slice(0, 200) }),
          onReady: () => ctx.health?.(FEISHU_PLATFORM, null),
        })
      : null;

  return {
    platform: FEISHU_PLATFORM,
    noticeChannel,
    eventDispatcher,
    api,
    async checkCredentials(): Promise<void> {
      await api.tenantToken();
    },
    async start(): Promise<void> {
      await connection?.start();
    },
    async stop(): Promise<void> {
      await connection?.stop();
    },
    mount(router: Router): void {
      if (config.mode === 'ws') {
        log.info('long-connection mode: events arrive over the SDK connection; /feishu/callback is not mounted');
        return;
      }
      router.post(FEISHU_CALLBACK_PATH, callbackRoute(FEISHU_PLATFORM, log, callback));
    },
  };
}
