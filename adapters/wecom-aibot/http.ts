import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import type { Logger } from 'pino';
import { BotError, RequestError } from '../../src/errors.ts';
import { hashUserId } from '../../src/log.ts';
import type { BotResult, InboundMessage } from '../../src/types.ts';
import { readRawBody } from '../http.ts';
import { createClaimGuard } from '../claims.ts';
import type { AdapterContext } from '../types.ts';
import { assertFreshTimestamp, requireParams } from '../wecom/crypto.ts';
import { openAibotCiphertext, openAibotEchostr, sealAibotReply, type AibotCallbackSecrets } from './crypto.ts';
import { aibotToInbound, parseAibotCallback } from './inbound.ts';
import { AIBOT_DEDUP_TTL_MS, AIBOT_FAILURE_TEXT, AIBOT_FIRST_ANSWER_BUDGET_MS, AIBOT_PENDING_CONTENT } from './limits.ts';
import type { PrivateDelivery } from './private.ts';
import {
  errorSummary,
  loadStreamState,
  routeReplies,
  saveStreamState,
  streamReplyJson,
  welcomeReplyJson,
  type StreamState,
} from './replies.ts';
import { settleWithin } from './settle.ts';

/**
 * The AI bot's HTTP ("URL") mode (shared/protocols.md §2.5(a); developer.work.weixin.qq.com/document/path/100719,
 * /path/101031, /path/101033).
 *
 * GET  ?msg_signature&timestamp&nonce&echostr -> 200 text/plain, the bare decrypted echostr.
 * POST ?msg_signature&timestamp&nonce with body {"encrypt":"…"}. Order: query params -> raw body
 *   (413 over 1 MB) -> JSON envelope -> signature over `encrypt` (constant time) -> decrypt, receiveid ""
 *   -> signed timestamp within 1 h of our clock (else 401 WECOM_STALE_TIMESTAMP, as on GET)
 *   -> JSON-parse + zod-validate the plaintext -> convert -> dedup (store claim on msgid) -> core.
 * Answers (encrypted JSON {"encrypt","msgsignature","timestamp","nonce"}, application/json):
 * - a message: the core's 'chat' text as a stream. Ready within ~1 s -> a finished stream; otherwise an
 *   unfinished stream ("…") is answered, the result is kept in the store under the stream id, and
 *   the stream refresh callbacks that follow get the current state until it is finished.
 * - enter_chat: the welcome as `text` (only if ready within the budget; a welcome is only allowed
 *   within 5 s). template_card_event: empty 200, the replies go 1:1.
 * - a stream refresh: the stored state of that stream (empty 200 when unknown or expired).
 * - a duplicate msgid (WeCom retry): the same stream's current state, the core is not called again.
 * - private replies in a group: 1:1 through message/send (see private.ts), never in the answer.
 * Failures: 4xx text/plain "<CODE>: <reason>" (nothing handled or sent); store down -> the dedup
 * claim is held in this process (../claims.ts) and the message answered, but a stream refresh or a
 * late answer, which need the stored stream state, get 503 (WeCom retries); the core
 * failing within the budget -> 500 and the dedup claim is released so a retry can succeed.
 */

export interface AibotHttpDeps {
  secrets: AibotCallbackSecrets;
  ctx: AdapterContext;
  log: Logger;
  deliverPrivately: PrivateDelivery;
  /** Our CorpID when the self-built app is configured, else '' (then from.corpid / aibotid). */
  tenant: string;
  /** How long the first answer waits for the core, in ms. */
  firstAnswerBudgetMs?: number;
}

/** New random stream id (the platform only needs it unique per bot). */
export function newStreamId(): string {
  return `stream_${randomBytes(12).toString('hex')}`;
}

/** The GET and POST route handlers. */
export function createAibotHttpHandlers(deps: AibotHttpDeps): { verifyUrl: (k: Context) => Promise<void>; receive: (k: Context) => Promise<void> } {
  const { secrets, ctx, log, deliverPrivately } = deps;
  const budgetMs = deps.firstAnswerBudgetMs ?? AIBOT_FIRST_ANSWER_BUDGET_MS;
  const claims = createClaimGuard(ctx.kv, log);

  async function verifyUrl(k: Context): Promise<void> {
    try {
      const plain = openAibotEchostr(secrets, {
        msgSignature: queryValue(k, 'msg_signature'),
        timestamp: queryValue(k, 'timestamp'),
        nonce: queryValue(k, 'nonce'),
        echostr: queryValue(k, 'echostr'),
      });
      assertFreshTimestamp(queryValue(k, 'timestamp')!, ctx.now());
      k.status = 200;
      k.type = 'text/plain';
      k.body = plain;
      log.info('wecom-aibot callback URL verified');
    } catch (err) {
      answerError(k, err);
    }
  }

  function answerSealed(k: Context, plaintextJson: string): void {
    const sealed = sealAibotReply(secrets, plaintextJson, { timestamp: Math.floor(ctx.now() / 1000) });
    k.status = 200;
    k.type = 'application/json';
    k.body = JSON.stringify(sealed);
  }

  function answerStream(k: Context, streamId: string, state: StreamState): void {
    answerSealed(k, streamReplyJson(streamId, state.finish, state.content));
  }

  /** Store calls on the answer path: a failure means we cannot answer correctly -> 503, WeCom retries. */
  async function storeOr503<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      log.error({ code: (err as BotError).code, what }, 'wecom-aibot store unavailable');
      throw new RequestError('AIBOT_STORE_UNAVAILABLE', 'store unavailable, retry later', 503);
    }
  }

  async function receive(k: Context): Promise<void> {
    const startedAt = performance.now();
    try {
      const params = requireParams(
        { msgSignature: queryValue(k, 'msg_signature'), timestamp: queryValue(k, 'timestamp'), nonce: queryValue(k, 'nonce') },
        ['msgSignature', 'timestamp', 'nonce'],
      );
      const encrypt = envelopeEncrypt(await readRawBody(k));
      const plain = openAibotCiphertext(secrets, { ...params, encrypt });
      assertFreshTimestamp(params.timestamp, ctx.now());
      const callback = parseAibotCallback(plain);
      const inbound = aibotToInbound(callback, { tenant: deps.tenant, receivedAt: ctx.now() });

      if (inbound.action === 'ignore') {
        log.debug({ what: inbound.reason }, 'wecom-aibot callback ignored');
        return answerEmpty(k);
      }
      if (inbound.action === 'refresh') {
        const state = await storeOr503('stream state', () => loadStreamState(ctx.kv, inbound.streamId));
        if (state === null) {
          log.info({ finish: null }, 'wecom-aibot stream refresh for an unknown or expired stream');
          return answerEmpty(k);
        }
        log.debug({ finish: state.finish }, 'wecom-aibot stream refresh answered');
        return answerStream(k, inbound.streamId, state);
      }

      const { message, dedupKey, mode } = inbound;
      const user = hashUserId('wecom', message.userId);
      const streamId = newStreamId();
      const fresh = await claims.claim(dedupKey, AIBOT_DEDUP_TTL_MS, streamId);
      if (!fresh) {
        // A retry of a callback we already took: show the same stream (one answer), never call the core again.
        const earlier = await claims.value(dedupKey);
        const state = earlier && mode === 'stream' ? await storeOr503('stream state', () => loadStreamState(ctx.kv, earlier)) : null;
        log.info({ user, kind: message.kind, dedup: 'duplicate' }, 'wecom-aibot callback duplicate');
        return state && earlier ? answerStream(k, earlier, state) : answerEmpty(k);
      }

      const pending = Promise.resolve().then(() => ctx.handle(message));
      const outcome = await settleWithin(pending, budgetMs - (performance.now() - startedAt));
      if (outcome.state === 'failed') {
        await claims.release(dedupKey);
        log.error({ user, kind: message.kind, err: errorSummary(outcome.error) }, 'wecom-aibot handler failed');
        k.status = 500;
        k.type = 'text/plain';
        k.body = 'AIBOT_HANDLER_FAILED: internal error';
        return;
      }

      if (mode === 'private-only') {
        log.info({ user, kind: message.kind, delivery: 'private' }, 'wecom-aibot message handled');
        ctx.background('wecom-aibot.private', async () => {
          const result = await pending;
          await deliverPrivately(message.userId, result.replies.map((r) => r.text));
        });
        return answerEmpty(k);
      }

      if (mode === 'welcome') {
        if (outcome.state === 'late') {
          log.warn({ user, kind: message.kind }, 'wecom-aibot welcome not ready within the budget, not sent');
          return answerEmpty(k);
        }
        const { inChat } = routeReplies(outcome.value, message.chat);
        log.info({ user, kind: message.kind, delivery: inChat ? 'welcome' : 'none' }, 'wecom-aibot message handled');
        return inChat ? answerSealed(k, welcomeReplyJson(inChat)) : answerEmpty(k);
      }

      if (outcome.state === 'done') {
        const { inChat, toAsker } = routeReplies(outcome.value, message.chat);
        if (toAsker.length > 0) {
          ctx.background('wecom-aibot.private', async () => {
            await deliverPrivately(message.userId, toAsker);
          });
        }
        log.info({ user, kind: message.kind, delivery: inChat ? 'stream' : 'none', private: toAsker.length }, 'wecom-aibot message handled');
        if (!inChat) return answerEmpty(k);
        const state: StreamState = { finish: true, content: inChat };
        // Kept so a retry of this callback gets the same answer; best effort (the answer is complete anyway).
        await saveStreamState(ctx.kv, streamId, state).catch((err: unknown) => {
          log.warn({ user, code: (err as BotError).code }, 'wecom-aibot stream state not saved');
        });
        return answerStream(k, streamId, state);
      }

      // Late: an unfinished stream now; the refresh callbacks get the result once it is there.
      const state: StreamState = { finish: false, content: AIBOT_PENDING_CONTENT };
      // Without the stored state the refresh callbacks cannot show the answer: give the claim back
      // and answer 503, so WeCom's retry runs the message again.
      await storeOr503('stream state', () => saveStreamState(ctx.kv, streamId, state)).catch(async (err: unknown) => {
        await claims.release(dedupKey);
        throw err;
      });
      log.info({ user, kind: message.kind, delivery: 'stream', late: true }, 'wecom-aibot message accepted, answer follows');
      ctx.background('wecom-aibot.finish', () => finishLater(pending, message, streamId));
      return answerStream(k, streamId, state);
    } catch (err) {
      answerError(k, err);
    }
  }

  /** Waits for the core, stores the finished stream for the refresh callbacks, sends private replies. */
  async function finishLater(pending: Promise<BotResult>, message: InboundMessage, streamId: string): Promise<void> {
    const user = hashUserId('wecom', message.userId);
    let result: BotResult;
    try {
      result = await pending;
    } catch (err) {
      log.error({ user, kind: message.kind, err: errorSummary(err) }, 'wecom-aibot handler failed after the stream started');
      await saveStreamState(ctx.kv, streamId, { finish: true, content: AIBOT_FAILURE_TEXT });
      return;
    }
    const { inChat, toAsker } = routeReplies(result, message.chat);
    await saveStreamState(ctx.kv, streamId, { finish: true, content: inChat });
    log.info({ user, kind: message.kind, private: toAsker.length }, 'wecom-aibot stream finished');
    await deliverPrivately(message.userId, toAsker);
  }

  function answerError(k: Context, err: unknown): void {
    const status = err instanceof BotError ? err.status : 500;
    if (err instanceof BotError && status >= 400 && status < 600 && status !== 500) {
      log.warn({ code: err.code, status }, 'wecom-aibot callback refused');
      k.status = status;
      k.type = 'text/plain';
      k.body = `${err.code}: ${err.message}`;
      return;
    }
    log.error({ err: errorSummary(err) }, 'wecom-aibot callback failed');
    k.status = 500;
    k.type = 'text/plain';
    k.body = 'internal error';
  }

  return { verifyUrl, receive };
}

/**
 * The `encrypt` string of a POST body {"encrypt":"<base64>"} (other fields are ignored).
 * @throws RequestError AIBOT_BAD_REQUEST (400) when the body is not a JSON object with a non-empty string `encrypt`
 */
export function envelopeEncrypt(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new RequestError('AIBOT_BAD_REQUEST', 'body is not JSON', 400);
  }
  const encrypt = parsed !== null && typeof parsed === 'object' ? (parsed as { encrypt?: unknown }).encrypt : undefined;
  if (typeof encrypt !== 'string' || encrypt === '') {
    throw new RequestError('AIBOT_BAD_REQUEST', 'body has no "encrypt" string', 400);
  }
  return encrypt;
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
