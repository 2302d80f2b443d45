import type Router from '@koa/router';
import type { WecomAibotConfig } from './config.ts';
import type { AdapterContext, PlatformAdapter } from '../../src/platform/adapter.ts';
import type { AdmissionTimings } from '../kit/admission.ts';
import type { InboundMessage } from '../../src/platform/message.ts';
import type { WecomClient } from '../wecom/outbound.ts';
import { createAibotHttpHandlers } from './http.ts';
import { AIBOT_CALLBACK_PATH } from './limits.ts';
import { createPrivateDelivery } from './private.ts';
import { createAibotLongConnection, type AibotLongConnection, type AibotWsClientTuning } from './ws.ts';

/**
 * The WeCom AI bot (企业微信 智能机器人) adapter, for group chats and 1:1 (docs/PROTOCOLS.md §2.5):
 * - mode 'http': GET/POST {@link AIBOT_CALLBACK_PATH} (see http.ts);
 * - mode 'ws': a long connection through @wecom/aibot-node-sdk, started by start() (see ws.ts).
 * Both use the same converter (inbound.ts) and the same privacy rule (replies.ts): in a group only
 * 'chat' replies are answered in the group; 'private' replies (the asker's own status) go 1:1
 * through the self-built app's message/send — or are dropped with a warning when WECOM_* is absent.
 */

export { AIBOT_CALLBACK_PATH } from './limits.ts';

/** What the adapter needs besides its own config. */
export interface WecomAibotDeps {
  /** The self-built app's API client (the WeCom adapter's `client`), for private replies; null = none. */
  privateClient: Pick<WecomClient, 'sendText'> | null;
  /** Our CorpID (WECOM_CORP_ID) when known: the `tenant` of messages. Default '' (then from.corpid / aibotid). */
  tenant?: string;
}

/** Tuning for tests; production uses the defaults. */
export interface WecomAibotAdapterOptions {
  /** How long the first answer waits for the core, in ms (default 1000). */
  firstAnswerBudgetMs?: number;
  /** ws mode: how long start() waits for authentication, in ms (default 10000). */
  wsStartTimeoutMs?: number;
  /** ws mode: SDK timings (reconnect interval, heartbeat, …). */
  wsClient?: AibotWsClientTuning;
  /** http mode: commit deadline and dedup lease of messages that change state (default limits.ts AIBOT_COMMIT_*). */
  commit?: Partial<AdmissionTimings>;
}

export interface WecomAibotAdapter extends PlatformAdapter {
  readonly platform: 'wecom-aibot';
  readonly mode: 'http' | 'ws';
}

/**
 * Creates the AI bot adapter.
 * @param config src/config.ts WecomAibotConfig (mode + its credentials)
 * @param ctx the server's context (core handler, shared store, logger, clock, background runner)
 * @param deps the self-built app's client for private replies, our CorpID
 * @param options test tuning
 */
export function createWecomAibotAdapter(
  config: WecomAibotConfig,
  ctx: AdapterContext,
  deps: WecomAibotDeps,
  options: WecomAibotAdapterOptions = {},
): WecomAibotAdapter {
  const log = ctx.log.child({ platform: 'wecom-aibot' });
  const deliverPrivately = createPrivateDelivery(deps.privateClient, log);
  const tenant = deps.tenant ?? '';
  if (deps.privateClient === null) {
    log.warn('wecom-aibot: WECOM_* (self-built app) is not configured, so personal statuses cannot be sent 1:1 from groups; group answers say to ask 1:1');
    // Tell the core there is no private channel from here, so a group answer carries nothing personal.
    const handle = ctx.handle;
    const committer = ctx.committer;
    const mark = (m: InboundMessage): InboundMessage => ({ ...m, canReplyPrivately: m.chat.kind !== 'group' });
    ctx = {
      ...ctx,
      handle: (m) => handle(mark(m)),
      ...(committer ? { committer: { mayChangeState: (m) => committer.mayChangeState(mark(m)), commit: (m) => committer.commit(mark(m)) } } : {}),
    };
  }

  if (config.mode === 'http') {
    const { verifyUrl, receive } = createAibotHttpHandlers({
      secrets: { token: config.token, encodingAESKey: config.encodingAESKey },
      ctx,
      log,
      deliverPrivately,
      tenant,
      firstAnswerBudgetMs: options.firstAnswerBudgetMs,
      commit: options.commit,
    });
    return {
      platform: 'wecom-aibot',
      callbackRoutes: [AIBOT_CALLBACK_PATH],
      mode: 'http',
      mount(router: Router): void {
        router.get(AIBOT_CALLBACK_PATH, verifyUrl);
        router.post(AIBOT_CALLBACK_PATH, receive);
      },
    };
  }

  const connection: AibotLongConnection = createAibotLongConnection({
    botId: config.botId,
    secret: config.secret,
    wsUrl: config.wsUrl,
    ctx,
    log,
    deliverPrivately,
    tenant,
    firstAnswerBudgetMs: options.firstAnswerBudgetMs,
    startTimeoutMs: options.wsStartTimeoutMs,
    clientTuning: options.wsClient,
  });
  return {
    platform: 'wecom-aibot',
    callbackRoutes: [AIBOT_CALLBACK_PATH],
    mode: 'ws',
    mount(): void {
      // No routes: WeCom pushes over the long connection.
    },
    start: () => connection.start(),
    stop: () => connection.stop(),
  };
}
