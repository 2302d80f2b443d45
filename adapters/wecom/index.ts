import type Router from '@koa/router';
import type { Context } from 'koa';
import { hashUserId } from '../../src/log.ts';
import type { WecomArchiveConfig, WecomConfig } from './config.ts';
import type { BotResult, InboundMessage } from '../../src/platform/message.ts';
import { readRawBody } from '../kit/http.ts';
import { createClaimGuard } from '../kit/claims.ts';
import type { AdapterContext, PlatformAdapter } from '../../src/platform/adapter.ts';
import { assertFreshTimestamp, openCallback, openEchostr, requireParams, sealReply, type WecomCallbackKeys } from './crypto.ts';
import { wecomToInbound } from './inbound.ts';
import {
  WECOM_COMMIT_DEADLINE_MS,
  WECOM_COMMIT_LEASE_MS,
  WECOM_DEDUP_TTL_MS,
  WECOM_PASSIVE_REPLY_BUDGET_MS,
  WECOM_PASSIVE_TEXT_MAX_BYTES,
} from './limits.ts';
import { createAdmitter, type AdmissionTimings } from '../kit/admission.ts';
import { createWecomArchiveSource, type WecomArchiveSource } from './msgaudit.ts';
import { createWecomNoticeChannel, type WecomNoticeChannel, type WecomNoticeChannelOptions } from './notices.ts';
import { createWecomClient, wecomTextMessages, type WecomClient, type WecomClientOptions } from './outbound.ts';
import { buildEncryptedReplyXml, buildTextReplyXml, parseWecomXml } from './xml.ts';
import { answerCallbackError, answerNotRecorded, errorSummary } from '../kit/callback.ts';
import { adapterRequestError } from '../errors.ts';

/**
 * The WeCom self-built app (企业微信 自建应用) adapter (docs/PROTOCOLS.md §1).
 *
 * Routes (path {@link WECOM_CALLBACK_PATH}):
 * - GET: URL verification (developer.work.weixin.qq.com/document/path/91144): 200 text/plain with the
 *   bare decrypted echostr.
 * - POST: message/event callback. Order: query params -> raw body (413 over 1 MB) -> outer XML (only
 *   its Encrypt element is used) -> signature -> decrypt + receiveid -> signed timestamp within 1 h
 *   of our clock (else 401 WECOM_STALE_TIMESTAMP; also on GET) -> inner XML -> convert -> dedup
 *   (store claim) -> core. A message that changes state (a card click, a "确认", an admin's "yes";
 *   ../admission.ts) is recorded before anything is answered, within {@link WECOM_COMMIT_DEADLINE_MS};
 *   not recorded in time -> 503 WECOM_NOT_RECORDED, the claim is given back and WeCom's retry is
 *   handled. The HTTP answer waits at most ~700 ms (from arrival) for the core: a ready result with a
 *   single reply of ≤ 2048 bytes is answered as an encrypted passive reply (/path/96469); otherwise an
 *   empty 200 is answered and every reply is sent through message/send in `ctx.background`.
 *   Self-built apps are 1:1, so 'chat' and 'private' replies both go to the sender.
 *
 * Answers: verification/parse failures -> 4xx text/plain "<CODE>: <reason>", nothing handled or sent;
 * duplicates (WeCom retries) and ignored events -> empty 200; store down -> the dedup claim is held
 * in this process (../claims.ts) and the message is answered;
 * a core failure within the budget -> 500 and the dedup claim is released so WeCom's retry can succeed.
 */

/** Callback path of the WeCom app (the URL to enter in the admin console is <public base>/wecom/callback). */
export const WECOM_CALLBACK_PATH = '/wecom/callback';

/** Tuning for tests; production uses the defaults. */
export interface WecomAdapterOptions {
  /** How long the POST answer waits for the core, in ms (default {@link WECOM_PASSIVE_REPLY_BUDGET_MS}). */
  passiveReplyBudgetMs?: number;
  /** Passed to the API client (timeouts, backoff). */
  client?: Pick<WecomClientOptions, 'timeoutMs' | 'backoffMs' | 'maxBusyRetries'>;
  /** The archive block (adapters/wecom/config.ts `wecomArchive`); set = the adapter exposes `archiveSource`. */
  archive?: WecomArchiveConfig | null;
  /** Notice channel tuning (throttle retry delays, pacing) for tests and the bench. */
  notices?: Pick<WecomNoticeChannelOptions, 'throttleRetryMs' | 'callsPerMinute' | 'org' | 'paceClock'>;
  /** Commit deadline and dedup lease of messages that change state (default limits.ts WECOM_COMMIT_*). */
  commit?: Partial<AdmissionTimings>;
}

/** The adapter, plus its API client, its notice channel and (with the archive secret) its archive source. */
export interface WecomAdapter extends PlatformAdapter {
  readonly platform: 'wecom';
  readonly client: WecomClient;
  readonly noticeChannel: WecomNoticeChannel;
  readonly archiveSource?: WecomArchiveSource;
}

type Outcome = { state: 'done'; result: BotResult } | { state: 'failed'; error: unknown } | { state: 'late' };

/**
 * Creates the WeCom adapter.
 * @param config credentials (src/config.ts WecomConfig); `apiBase` points the client at WeCom or a fake
 * @param ctx the server's context (core handler, shared store, logger, clock, background runner)
 * @param options test tuning, see {@link WecomAdapterOptions}
 */
export function createWecomAdapter(config: WecomConfig, ctx: AdapterContext, options: WecomAdapterOptions = {}): WecomAdapter {
  const keys: WecomCallbackKeys = { token: config.token, encodingAESKey: config.encodingAESKey, corpId: config.corpId };
  const budgetMs = options.passiveReplyBudgetMs ?? WECOM_PASSIVE_REPLY_BUDGET_MS;
  const log = ctx.log.child({ platform: 'wecom' });
  const claims = createClaimGuard(ctx.kv, log);
  const admitter = createAdmitter(ctx, claims, log, 'wecom', {
    commitDeadlineMs: options.commit?.commitDeadlineMs ?? WECOM_COMMIT_DEADLINE_MS,
    leaseMs: options.commit?.leaseMs ?? WECOM_COMMIT_LEASE_MS,
    ...(options.commit?.deadline ? { deadline: options.commit.deadline } : {}),
  });
  const client = createWecomClient({
    corpId: config.corpId,
    agentId: config.agentId,
    secret: config.secret,
    apiBase: config.apiBase,
    kv: ctx.kv,
    log,
    ...(ctx.health ? { health: ctx.health } : {}),
    ...(ctx.observeApiCall ? { observe: (api: string, code: string) => ctx.observeApiCall!('wecom', api, code) } : {}),
    ...options.client,
  });
  const noticeChannel = createWecomNoticeChannel({
    client,
    agentId: config.agentId,
    corpId: config.corpId,
    kv: ctx.kv,
    log,
    ...options.notices,
    org: { now: ctx.now, ...options.notices?.org },
  });
  const archiveSource = options.archive
    ? createWecomArchiveSource({ wecom: config, archiveSecret: options.archive.secret, kv: ctx.kv, log, appClient: client, client: options.client, syncIntervalMs: options.archive.syncMinutes * 60_000 })
    : undefined;

  async function verifyUrl(k: Context): Promise<void> {
    try {
      const plain = openEchostr(keys, {
        msgSignature: queryValue(k, 'msg_signature'),
        timestamp: queryValue(k, 'timestamp'),
        nonce: queryValue(k, 'nonce'),
        echostr: queryValue(k, 'echostr'),
      });
      assertFreshTimestamp(queryValue(k, 'timestamp')!, ctx.now());
      k.status = 200;
      k.type = 'text/plain';
      k.body = plain;
      log.info('wecom callback URL verified');
    } catch (err) {
      answerError(k, err);
    }
  }

  async function receive(k: Context): Promise<void> {
    const startedAt = performance.now();
    try {
      const params = requireParams(
        { msgSignature: queryValue(k, 'msg_signature'), timestamp: queryValue(k, 'timestamp'), nonce: queryValue(k, 'nonce') },
        ['msgSignature', 'timestamp', 'nonce'],
      );
      const body = await readRawBody(k);
      const encrypt = parseWecomXml(body)['Encrypt']?.trim();
      if (!encrypt) throw adapterRequestError('WECOM_BAD_REQUEST', 'body has no Encrypt element');
      const plain = openCallback(keys, { ...params, encrypt });
      assertFreshTimestamp(params.timestamp, ctx.now());
      const fields = parseWecomXml(plain);
      const inbound = wecomToInbound(fields, { corpId: config.corpId, receivedAt: ctx.now() });
      if (inbound.action === 'ignore') {
        log.debug({ what: inbound.reason }, 'wecom callback ignored');
        return answerEmpty(k);
      }
      const { message, dedupKey } = inbound;
      const user = hashUserId('wecom', message.userId);
      const admission = await admitter.admit(message, { dedupKey, dedupTtlMs: WECOM_DEDUP_TTL_MS, channel: 'http', startedAt });
      if (admission.kind === 'duplicate') {
        log.info({ user, kind: message.kind, dedup: 'duplicate' }, 'wecom callback duplicate');
        return answerEmpty(k);
      }
      if (admission.kind === 'not-recorded') {
        // Not acknowledged: WeCom retries, and the claim was given back so the retry is handled.
        answerNotRecorded(k, 'WECOM');
        return;
      }

      const pending = Promise.resolve().then(() => admission.answer());
      const outcome = await settleWithin(pending, Math.max(0, budgetMs - (performance.now() - startedAt)));
      if (outcome.state === 'failed') {
        await claims.release(dedupKey);
        log.error({ user, kind: message.kind, err: errorSummary(outcome.error) }, 'wecom handler failed');
        k.status = 500;
        k.type = 'text/plain';
        k.body = 'WECOM_HANDLER_FAILED: internal error';
        return;
      }
      if (outcome.state === 'done') {
        const replies = deliverable(outcome.result);
        const only = replies[0];
        if (replies.length === 0) {
          log.info({ user, kind: message.kind, delivery: 'none' }, 'wecom message handled');
          admission.acknowledging();
          answerEmpty(k);
          admission.acknowledged();
          return;
        }
        if (inbound.passiveReplyAllowed && replies.length === 1 && only !== undefined && fitsPassive(only)) {
          const now = ctx.now();
          const plainXml = buildTextReplyXml({ toUser: inbound.replyTo, corpId: config.corpId, createTime: now / 1000, content: only });
          const sealed = buildEncryptedReplyXml(sealReply(keys, plainXml, { timestamp: Math.floor(now / 1000) }));
          admission.acknowledging();
          k.status = 200;
          k.type = 'text/xml';
          k.body = sealed;
          admission.acknowledged();
          log.info({ user, kind: message.kind, delivery: 'passive' }, 'wecom message handled');
          return;
        }
      }
      log.info({ user, kind: message.kind, delivery: 'api', late: outcome.state === 'late' }, 'wecom message handled');
      admission.acknowledging();
      ctx.background('wecom.deliver', () => deliverLater(pending, message, dedupKey));
      answerEmpty(k);
      admission.acknowledged();
    } catch (err) {
      answerError(k, err);
    }
  }

  /** Waits for the core (if still running) and sends every reply through message/send, in order. */
  async function deliverLater(pending: Promise<BotResult>, message: InboundMessage, dedupKey: string): Promise<void> {
    const user = hashUserId('wecom', message.userId);
    let result: BotResult;
    try {
      result = await pending;
    } catch (err) {
      await claims.release(dedupKey);
      log.error({ user, kind: message.kind, err: errorSummary(err) }, 'wecom handler failed after the answer was sent');
      throw err;
    }
    let sent = 0;
    try {
      // message/send text: an answer's sources as <a href> links (wecomTextMessages); the passive reply
      // above stays plain text with "title: url" lines (the passive format documents no tags).
      for (const reply of result.replies.filter((r) => r.text.trim() !== '')) {
        for (const text of wecomTextMessages(reply)) sent += await client.sendText(message.userId, text);
      }
    } catch (err) {
      log.error({ user, sent, err: errorSummary(err) }, 'wecom message/send failed');
      throw err;
    }
    log.info({ user, sent }, 'wecom replies sent');
  }

  function answerError(k: Context, err: unknown): void {
    answerCallbackError(k, err, log, 'wecom', errorSummary);
  }

  return {
    platform: 'wecom',
    callbackRoutes: [WECOM_CALLBACK_PATH],
    client,
    noticeChannel,
    ...(archiveSource ? { archiveSource } : {}),
    mount(router: Router): void {
      router.get(WECOM_CALLBACK_PATH, verifyUrl);
      router.post(WECOM_CALLBACK_PATH, receive);
    },
    async checkCredentials(): Promise<void> {
      await client.getAccessToken();
    },
  };
}

/** The texts to deliver, in order; empty texts are skipped. Both visibilities go 1:1 to the sender. */
function deliverable(result: BotResult): string[] {
  return result.replies.map((r) => r.text).filter((t) => t.trim() !== '');
}

function fitsPassive(text: string): boolean {
  return Buffer.byteLength(text, 'utf8') <= WECOM_PASSIVE_TEXT_MAX_BYTES;
}

function answerEmpty(k: Context): void {
  k.status = 200;
  k.body = '';
}

/** First value of a query parameter (Koa has already URL-decoded it), or undefined. */
function queryValue(k: Context, name: string): string | undefined {
  const v = k.query[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The promise's outcome if it settles within `ms`, else 'late' (the promise keeps running). */
async function settleWithin(p: Promise<BotResult>, ms: number): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ state: 'late' }), ms);
  });
  try {
    return await Promise.race([
      p.then(
        (result): Outcome => ({ state: 'done', result }),
        (error: unknown): Outcome => ({ state: 'failed', error }),
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}


