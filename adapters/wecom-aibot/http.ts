import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import type { Logger } from 'pino';
import { BotError, RequestError } from '../../src/errors.ts';
import { hashUserId } from '../../src/log.ts';
import type { BotResult, InboundMessage } from '../../src/platform/message.ts';
import { readRawBody } from '../kit/http.ts';
import { createClaimGuard } from '../kit/claims.ts';
import type { AdapterContext } from '../../src/platform/adapter.ts';
import { assertFreshTimestamp, requireParams } from '../wecom/crypto.ts';
import { openAibotCiphertext, openAibotEchostr, sealAibotReply, type AibotCallbackSecrets } from './crypto.ts';
import { aibotToInbound, parseAibotCallback } from './inbound.ts';
import {
  AIBOT_CALLBACK_RETRY_WINDOW_MS,
  AIBOT_COMMIT_DEADLINE_MS,
  AIBOT_COMMIT_LEASE_MS,
  AIBOT_DEDUP_TTL_MS,
  AIBOT_FAILURE_TEXT,
  AIBOT_FIRST_ANSWER_BUDGET_MS,
  AIBOT_PENDING_CONTENT,
  AIBOT_STREAM_STATE_TTL_MS,
} from './limits.ts';
import type { PrivateDelivery } from './private.ts';
import { errorSummary, routeReplies, streamReplyJson, welcomeReplyJson } from './replies.ts';
import { createStreamStates, deriveStreamStateKey, type StreamState } from './stream-state.ts';
import { settleWithin } from '../kit/settle.ts';
import { createAdmitter, type AdmissionTimings } from '../kit/admission.ts';
import { answerCallbackError, answerNotRecorded } from '../kit/callback.ts';
import { adapterRequestError } from '../errors.ts';

/**
 * The AI bot's HTTP ("URL") mode (docs/PROTOCOLS.md §2.5(a); developer.work.weixin.qq.com/document/path/100719,
 * /path/101031, /path/101033).
 *
 * GET  ?msg_signature&timestamp&nonce&echostr -> 200 text/plain, the bare decrypted echostr.
 * POST ?msg_signature&timestamp&nonce with body {"encrypt":"…"}. Order: query params -> raw body
 *   (413 over 1 MB) -> JSON envelope -> signature over `encrypt` (constant time) -> decrypt, receiveid ""
 *   -> signed timestamp within 1 h of our clock (else 401 WECOM_STALE_TIMESTAMP, as on GET)
 *   -> JSON-parse + zod-validate the plaintext -> convert -> dedup (store claim on msgid) -> core.
 *   A message that changes state (a card click, a "确认", an admin's "yes"; ../admission.ts) is
 *   recorded before anything is answered, within {@link AIBOT_COMMIT_DEADLINE_MS}; not recorded in
 *   time -> 503 AIBOT_NOT_RECORDED and the claim is given back, so WeCom's retry is handled.
 * Answers (encrypted JSON {"encrypt","msgsignature","timestamp","nonce"}, application/json):
 * - a message: the core's 'chat' text as a stream. Ready within ~1 s -> a finished stream; otherwise an
 *   unfinished stream ("…") is answered, the result is kept in the store under the stream id —
 *   encrypted, for the stream's lifetime at most (stream-state.ts) — and the stream refresh
 *   callbacks that follow get the current state until it is finished; the state is deleted once
 *   the finished stream was fetched. An answer given at once is kept (encrypted) only for the
 *   callback's retry window.
 * - enter_chat: the welcome as `text` (only if ready within the budget; a welcome is only allowed
 *   within 5 s). template_card_event: empty 200, the replies go 1:1.
 * - a stream refresh: the stored state of that stream (empty 200 when unknown or expired).
 *   Answering a finished state deletes it.
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
  /** Commit deadline and dedup lease of messages that change state (default limits.ts AIBOT_COMMIT_*). */
  commit?: Partial<AdmissionTimings>;
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
  const states = createStreamStates(ctx.kv, deriveStreamStateKey(secrets));
  const admitter = createAdmitter(ctx, claims, log, 'wecom-aibot', {
    commitDeadlineMs: deps.commit?.commitDeadlineMs ?? AIBOT_COMMIT_DEADLINE_MS,
    leaseMs: deps.commit?.leaseMs ?? AIBOT_COMMIT_LEASE_MS,
    ...(deps.commit?.deadline ? { deadline: deps.commit.deadline } : {}),
  });

  /** A finished stream was fetched: its state is not needed any more (best effort, in the background). */
  function forgetIfFinished(streamId: string, state: StreamState): void {
    if (!state.finish) return;
    ctx.background('wecom-aibot.forget', () => states.delete(streamId));
  }

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
      throw adapterRequestError('AIBOT_STORE_UNAVAILABLE', 'store unavailable, retry later');
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
        const state = await storeOr503('stream state', () => states.load(inbound.streamId));
        if (state === null) {
          log.info({ finish: null }, 'wecom-aibot stream refresh for an unknown or expired stream');
          return answerEmpty(k);
        }
        log.debug({ finish: state.finish }, 'wecom-aibot stream refresh answered');
        answerStream(k, inbound.streamId, state);
        forgetIfFinished(inbound.streamId, state);
        return;
      }

      const { message, dedupKey, mode } = inbound;
      const user = hashUserId('wecom', message.userId);
      const streamId = newStreamId();
      const admission = await admitter.admit(message, { dedupKey, claimValue: streamId, dedupTtlMs: AIBOT_DEDUP_TTL_MS, channel: 'http', startedAt });
      if (admission.kind === 'duplicate') {
        // A retry of a callback we already took: show the same stream (one answer), never call the core again.
        const earlier = await claims.value(dedupKey);
        const state = earlier && mode === 'stream' ? await storeOr503('stream state', () => states.load(earlier)) : null;
        log.info({ user, kind: message.kind, dedup: 'duplicate' }, 'wecom-aibot callback duplicate');
        // Not forgotten here: a retry means our answer may not have arrived, and WeCom retries up
        // to three times; the state of an answer given at once lives for that retry window only.
        return state && earlier ? answerStream(k, earlier, state) : answerEmpty(k);
      }
      if (admission.kind === 'not-recorded') {
        // Not acknowledged: WeCom retries, and the claim was given back so the retry is handled.
        answerNotRecorded(k, 'AIBOT');
        return;
      }

      const pending = Promise.resolve().then(() => admission.answer());
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
        admission.acknowledging();
        ctx.background('wecom-aibot.private', async () => {
          const result = await pending;
          await deliverPrivately(message.userId, result.replies.map((r) => r.text));
        });
        answerEmpty(k);
        admission.acknowledged();
        return;
      }

      if (mode === 'welcome') {
        if (outcome.state === 'late') {
          log.warn({ user, kind: message.kind }, 'wecom-aibot welcome not ready within the budget, not sent');
          admission.acknowledging();
          answerEmpty(k);
          admission.acknowledged();
          return;
        }
        const { inChat } = routeReplies(outcome.value, message.chat);
        log.info({ user, kind: message.kind, delivery: inChat ? 'welcome' : 'none' }, 'wecom-aibot message handled');
        admission.acknowledging();
        if (inChat) answerSealed(k, welcomeReplyJson(inChat));
        else answerEmpty(k);
        admission.acknowledged();
        return;
      }

      if (outcome.state === 'done') {
        const { inChat, toAsker } = routeReplies(outcome.value, message.chat);
        if (toAsker.length > 0) {
          ctx.background('wecom-aibot.private', async () => {
            await deliverPrivately(message.userId, toAsker);
          });
        }
        log.info({ user, kind: message.kind, delivery: inChat ? 'stream' : 'none', private: toAsker.length }, 'wecom-aibot message handled');
        if (!inChat) {
          admission.acknowledging();
          answerEmpty(k);
          admission.acknowledged();
          return;
        }
        const state: StreamState = { finish: true, content: inChat };
        // Kept (encrypted) for the callback's retry window only, so a retry of this callback gets
        // the same answer; best effort (the answer is complete anyway).
        await states.save(streamId, state, AIBOT_CALLBACK_RETRY_WINDOW_MS).catch((err: unknown) => {
          log.warn({ user, code: (err as BotError).code }, 'wecom-aibot stream state not saved');
        });
        admission.acknowledging();
        answerStream(k, streamId, state);
        admission.acknowledged();
        return;
      }

      // Late: an unfinished stream now; the refresh callbacks get the result once it is there.
      const state: StreamState = { finish: false, content: AIBOT_PENDING_CONTENT };
      // Without the stored state the refresh callbacks cannot show the answer: give the claim back
      // and answer 503, so WeCom's retry runs the message again (a state change in it is idempotent).
      await storeOr503('stream state', () => states.save(streamId, state, AIBOT_STREAM_STATE_TTL_MS)).catch(async (err: unknown) => {
        await claims.release(dedupKey);
        throw err;
      });
      log.info({ user, kind: message.kind, delivery: 'stream', late: true }, 'wecom-aibot message accepted, answer follows');
      admission.acknowledging();
      ctx.background('wecom-aibot.finish', () => finishLater(pending, message, streamId));
      answerStream(k, streamId, state);
      admission.acknowledged();
    } catch (err) {
      answerError(k, err);
    }
  }

  /** Waits for the core, stores the finished stream (encrypted) for the refresh callbacks, sends private replies. */
  async function finishLater(pending: Promise<BotResult>, message: InboundMessage, streamId: string): Promise<void> {
    const user = hashUserId('wecom', message.userId);
    let result: BotResult;
    try {
      result = await pending;
    } catch (err) {
      log.error({ user, kind: message.kind, err: errorSummary(err) }, 'wecom-aibot handler failed after the stream started');
      await states.save(streamId, { finish: true, content: AIBOT_FAILURE_TEXT }, AIBOT_STREAM_STATE_TTL_MS);
      return;
    }
    const { inChat, toAsker } = routeReplies(result, message.chat);
    await states.save(streamId, { finish: true, content: inChat }, AIBOT_STREAM_STATE_TTL_MS);
    log.info({ user, kind: message.kind, private: toAsker.length }, 'wecom-aibot stream finished');
    await deliverPrivately(message.userId, toAsker);
  }

  function answerError(k: Context, err: unknown): void {
    answerCallbackError(k, err, log, 'wecom-aibot', errorSummary);
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
    throw adapterRequestError('AIBOT_BAD_REQUEST', 'body is not JSON');
  }
  const encrypt = parsed !== null && typeof parsed === 'object' ? (parsed as { encrypt?: unknown }).encrypt : undefined;
  if (typeof encrypt !== 'string' || encrypt === '') {
    throw adapterRequestError('AIBOT_BAD_REQUEST', 'body has no "encrypt" string');
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
