import { WSClient, type Logger as SdkLogger, type WSClientOptions, type WsFrame } from '@wecom/aibot-node-sdk';
import type { Logger } from 'pino';
import { BotError } from '../../src/errors.ts';
import { hashUserId } from '../../src/log.ts';
import type { BotResult } from '../../src/platform/message.ts';
import type { AdapterContext } from '../../src/platform/adapter.ts';
import { createClaimGuard } from '../kit/claims.ts';
import { newStreamId } from './http.ts';
import { aibotToInbound, validateAibotCallback } from './inbound.ts';
import {
  AIBOT_DEDUP_TTL_MS,
  AIBOT_FAILURE_TEXT,
  AIBOT_FIRST_ANSWER_BUDGET_MS,
  AIBOT_PENDING_CONTENT,
  AIBOT_WS_START_TIMEOUT_MS,
} from './limits.ts';
import type { PrivateDelivery } from './private.ts';
import { errorSummary, routeReplies } from './replies.ts';
import { adapterError } from '../errors.ts';
import { settleWithin } from '../kit/settle.ts';
import { createAdmitter } from '../kit/admission.ts';

/**
 * The AI bot's long-connection mode (docs/PROTOCOLS.md §2.5(b); developer.work.weixin.qq.com/document/path/101463)
 * through `@wecom/aibot-node-sdk` (WSClient): no public URL needed. The SDK authenticates with
 * `aibot_subscribe` {bot_id, secret}, sends heartbeats and reconnects; we handle its
 * `aibot_msg_callback` / `aibot_event_callback` frames with the same converter as HTTP mode:
 * messages -> core -> `replyStream(frame, streamId, content, true)` with the 'chat' replies (an
 * unfinished "…" first when the core takes longer than ~1 s); enter_chat -> `replyWelcome`;
 * private replies in groups -> 1:1 through message/send, never into the group.
 * Dedup on msgid as in HTTP mode. `stop()` disconnects without reconnecting.
 * This channel has no acknowledgement of its own: the first reply frame is what tells WeCom (and
 * the employee) the message arrived. A message that changes state (a card click, a "确认", an
 * admin's "yes"; ../admission.ts) is therefore recorded before any frame for it is sent — no
 * "…" placeholder goes out while it is recorded — and with no redelivery on this channel, there
 * is no deadline: the reply waits for the record.
 */

/** SDK tuning (tests shorten the timings). */
export type AibotWsClientTuning = Partial<
  Pick<WSClientOptions, 'reconnectInterval' | 'maxReconnectAttempts' | 'maxAuthFailureAttempts' | 'heartbeatInterval' | 'requestTimeout'>
>;

export interface AibotWsDeps {
  botId: string;
  secret: string;
  /** wss://openws.work.weixin.qq.com, or a fake's ws://127.0.0.1:port */
  wsUrl: string;
  ctx: AdapterContext;
  log: Logger;
  deliverPrivately: PrivateDelivery;
  /** Our CorpID when the self-built app is configured, else ''. */
  tenant: string;
  /** How long before an unfinished "…" stream is shown, in ms (default {@link AIBOT_FIRST_ANSWER_BUDGET_MS}). */
  firstAnswerBudgetMs?: number;
  /** How long start() waits for authentication, in ms (default {@link AIBOT_WS_START_TIMEOUT_MS}). */
  startTimeoutMs?: number;
  clientTuning?: AibotWsClientTuning;
}

export interface AibotLongConnection {
  /**
   * Connects and resolves once authenticated, or after `startTimeoutMs` (the SDK keeps retrying,
   * a warning is logged). Idempotent.
   * @throws BotError AIBOT_WS_AUTH_FAILED when WeCom refuses the BotID/Secret
   */
  start(): Promise<void>;
  /** Disconnects; no reconnect follows. Idempotent. */
  stop(): Promise<void>;
  /** Whether the socket is open. */
  readonly connected: boolean;
}

/**
 * The SDK's logger, made privacy-safe: its debug lines carry whole frame bodies (message text), so
 * debug is dropped, and only the first (message) argument of other lines is kept.
 */
function sdkLogger(log: Logger): SdkLogger {
  return {
    debug: () => undefined,
    info: (m: string) => log.debug({ sdk: 'aibot-node-sdk' }, String(m)),
    warn: (m: string) => log.warn({ sdk: 'aibot-node-sdk' }, String(m)),
    error: (m: string) => log.error({ sdk: 'aibot-node-sdk' }, String(m)),
  };
}

/** Creates the long connection (not connected until start()). */
export function createAibotLongConnection(deps: AibotWsDeps): AibotLongConnection {
  const { ctx, log, deliverPrivately } = deps;
  const budgetMs = deps.firstAnswerBudgetMs ?? AIBOT_FIRST_ANSWER_BUDGET_MS;
  const claims = createClaimGuard(ctx.kv, log);
  // No redelivery is documented on the long connection: no deadline, and the claim is kept whole.
  const admitter = createAdmitter(ctx, claims, log, 'wecom-aibot', { commitDeadlineMs: Number.POSITIVE_INFINITY, leaseMs: AIBOT_DEDUP_TTL_MS });
  const client = new WSClient({
    botId: deps.botId,
    secret: deps.secret,
    wsUrl: deps.wsUrl,
    logger: sdkLogger(log),
    ...deps.clientTuning,
  });
  let running = false;

  const onFrame = (frame: WsFrame): void => {
    ctx.background('wecom-aibot.ws', () => handleFrame(frame));
  };
  client.on('message', onFrame);
  client.on('event', onFrame);
  client.on('error', (err: Error) => log.warn({ err: err.message }, 'wecom-aibot long connection error'));
  client.on('disconnected', (reason: string) => log.warn({ reason }, 'wecom-aibot long connection closed'));
  client.on('reconnecting', (attempt: number) => log.info({ attempt }, 'wecom-aibot long connection reconnecting'));
  client.on('event.disconnected_event', () => {
    log.warn('wecom-aibot: another connection for this bot took over (one connection per bot); this one stops');
  });

  async function handleFrame(frame: WsFrame): Promise<void> {
    let inbound;
    try {
      inbound = aibotToInbound(validateAibotCallback(frame.body), { tenant: deps.tenant, receivedAt: ctx.now() });
    } catch (err) {
      log.warn({ err: errorSummary(err) }, 'wecom-aibot frame refused');
      return;
    }
    if (inbound.action !== 'handle') {
      log.debug({ what: inbound.action === 'ignore' ? inbound.reason : 'stream' }, 'wecom-aibot frame ignored');
      return;
    }
    const { message, dedupKey, mode } = inbound;
    const user = hashUserId('wecom', message.userId);
    // Store down: the claim is held in this process (../claims.ts). No retry exists on this
    // channel, so answering is better than dropping the frame.
    const admission = await admitter.admit(message, { dedupKey, dedupTtlMs: AIBOT_DEDUP_TTL_MS, channel: 'ws' });
    if (admission.kind === 'duplicate') {
      log.info({ user, kind: message.kind, dedup: 'duplicate' }, 'wecom-aibot frame duplicate');
      return;
    }
    if (admission.kind === 'not-recorded') return; // logged by the admitter; nothing was said
    let told = false;
    /** Right before the first thing that tells WeCom (and the employee) the message arrived. */
    const telling = (): void => {
      if (told) return;
      told = true;
      admission.acknowledging();
    };
    const pending = Promise.resolve().then(() => admission.answer());

    if (mode === 'private-only') {
      const result = await pending;
      telling();
      admission.acknowledged();
      await deliverPrivately(message.userId, result.replies.map((r) => r.text));
      return;
    }
    if (mode === 'welcome') {
      const { inChat } = routeReplies(await pending, message.chat);
      telling();
      admission.acknowledged();
      if (inChat) await client.replyWelcome(frame, { msgtype: 'text', text: { content: inChat } });
      log.info({ user, kind: message.kind, delivery: inChat ? 'welcome' : 'none' }, 'wecom-aibot message handled');
      return;
    }

    const streamId = newStreamId();
    let started = false;
    if ((await settleWithin(pending, budgetMs)).state === 'late') {
      started = true;
      telling();
      admission.acknowledged();
      await client.replyStream(frame, streamId, AIBOT_PENDING_CONTENT, false).catch((err: unknown) => {
        log.warn({ user, err: errorSummary(err) }, 'wecom-aibot unfinished stream reply failed');
      });
    }
    let result: BotResult;
    try {
      result = await pending;
    } catch (err) {
      log.error({ user, kind: message.kind, err: errorSummary(err) }, 'wecom-aibot handler failed');
      telling();
      await client.replyStream(frame, streamId, AIBOT_FAILURE_TEXT, true);
      return;
    }
    const { inChat, toAsker } = routeReplies(result, message.chat);
    let chatError: unknown = null;
    telling();
    if (!started) admission.acknowledged();
    if (inChat || started) {
      try {
        await client.replyStream(frame, streamId, inChat, true);
      } catch (err) {
        chatError = err;
        log.error({ user, err: errorSummary(err) }, 'wecom-aibot stream reply failed');
      }
    }
    log.info({ user, kind: message.kind, delivery: inChat ? 'stream' : 'none', private: toAsker.length, late: started }, 'wecom-aibot message handled');
    await deliverPrivately(message.userId, toAsker);
    if (chatError) throw chatError;
  }

  return {
    async start() {
      if (running) return;
      running = true;
      const timeoutMs = deps.startTimeoutMs ?? AIBOT_WS_START_TIMEOUT_MS;
      await new Promise<void>((resolve, reject) => {
        const done = (): void => {
          clearTimeout(timer);
          client.off('authenticated', onAuthenticated);
          client.off('error', onError);
        };
        const onAuthenticated = (): void => {
          done();
          log.info('wecom-aibot long connection authenticated');
          resolve();
        };
        const onError = (err: Error): void => {
          if (!/Authentication failed/i.test(err.message)) return;
          done();
          running = false;
          client.disconnect();
          reject(
            adapterError('AIBOT_WS_AUTH_FAILED', `WeCom refused the AI bot's credentials (check WECOM_AIBOT_BOT_ID and WECOM_AIBOT_SECRET): ${err.message}`),
          );
        };
        const timer = setTimeout(() => {
          done();
          log.warn({ timeoutMs }, 'wecom-aibot long connection not authenticated yet; starting anyway, the SDK keeps reconnecting');
          resolve();
        }, timeoutMs);
        client.on('authenticated', onAuthenticated);
        client.on('error', onError);
        client.connect();
      });
    },
    async stop() {
      if (!running) return;
      running = false;
      client.disconnect();
      log.info('wecom-aibot long connection stopped');
    },
    get connected() {
      return client.isConnected;
    },
  };
}
