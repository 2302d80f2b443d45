import * as lark from '@larksuiteoapi/node-sdk';
import type { Logger } from 'pino';

/**
 * Long-connection (长连接) mode through @larksuiteoapi/node-sdk 1.74.0: the SDK's `WSClient` pulls the
 * endpoint (`POST <domain>/callback/ws/endpoint`), holds the WebSocket, pings, reconnects on its own
 * (`autoReconnect`, with the server's ReconnectCount / ReconnectInterval), and hands every event to
 * an `EventDispatcher`, whose handler's return value is sent back as the event's answer (for
 * card.action.trigger: the toast and updated card). Events over the long connection are neither
 * encrypted nor signed (the connection is authenticated by App ID + Secret). The handler must
 * finish within 3 s; when several instances hold connections each event goes to one of them.
 * Source: https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/request-url-configuration-case
 * (长连接), larksuite/node-sdk README "长连接模式".
 */

/** Handlers of the three events the adapter uses; `data` is the SDK's flattened header + event. */
export interface FeishuEventHandlers {
  'im.message.receive_v1': (data: Record<string, unknown>) => Promise<unknown>;
  'card.action.trigger': (data: Record<string, unknown>) => Promise<unknown>;
  'im.message.message_read_v1': (data: Record<string, unknown>) => Promise<unknown>;
}

/**
 * A logger for the SDK that never passes message data on: debug and trace (where the SDK prints
 * whole event payloads) are dropped; info/warn/error keep string arguments only, cut to 200 characters.
 */
export function sdkLogger(log: Logger): { error: (...m: unknown[]) => void; warn: (...m: unknown[]) => void; info: (...m: unknown[]) => void; debug: () => void; trace: () => void } {
  const text = (m: unknown[]): string =>
    m
      .map((x) => (typeof x === 'string' ? x : x instanceof Error ? x.name : ''))
      .join(' ')
      .slice(0, 200);
  return {
    error: (...m) => log.error({ sdk: 'lark' }, text(m)),
    warn: (...m) => log.warn({ sdk: 'lark' }, text(m)),
    info: (...m) => log.info({ sdk: 'lark' }, text(m)),
    debug: () => undefined,
    trace: () => undefined,
  };
}

/** The SDK's EventDispatcher with the adapter's handlers registered (checks off: used after our own checks or over WS). */
export function createFeishuDispatcher(handlers: FeishuEventHandlers, log: Logger): lark.EventDispatcher {
  const dispatcher = new lark.EventDispatcher({ logger: sdkLogger(log), loggerLevel: lark.LoggerLevel.warn });
  // The SDK's handler map is typed per event; ours take the flattened object as it arrives.
  dispatcher.register(handlers as unknown as Parameters<lark.EventDispatcher['register']>[0]);
  return dispatcher;
}

/** The long connection of one app. */
export interface FeishuLongConnection {
  /** Opens the connection (returns once the first attempt was started; the SDK retries on its own). */
  start(): Promise<void>;
  /** Closes it for good (no reconnect); idempotent. */
  stop(): Promise<void>;
  /** The SDK's view: 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'idle'. */
  state(): string;
}

/** Options of {@link createFeishuLongConnection}. */
export interface FeishuLongConnectionOptions {
  appId: string;
  appSecret: string;
  /** OpenAPI origin (the SDK's `domain`): Feishu, Lark, or a fake. */
  apiBase: string;
  dispatcher: lark.EventDispatcher;
  log: Logger;
  /** Called when the SDK gives up (bad credentials, retries exhausted): for /readyz. */
  onError?: (err: Error) => void;
  /** Called on every (re)connect. */
  onReady?: () => void;
}

/** Creates the long connection (not started). */
export function createFeishuLongConnection(options: FeishuLongConnectionOptions): FeishuLongConnection {
  const { log } = options;
  let client: lark.WSClient | null = null;
  return {
    async start() {
      if (client) return;
      client = new lark.WSClient({
        appId: options.appId,
        appSecret: options.appSecret,
        domain: options.apiBase,
        logger: sdkLogger(log),
        loggerLevel: lark.LoggerLevel.warn,
        autoReconnect: true,
        onReady: () => {
          log.info('long connection ready');
          options.onReady?.();
        },
        onReconnected: () => {
          log.info('long connection re-established');
          options.onReady?.();
        },
        onReconnecting: () => log.warn('long connection lost: reconnecting'),
        onError: (err: Error) => {
          log.error({ err: err.message.slice(0, 200) }, 'long connection failed');
          options.onError?.(err);
        },
      });
      await client.start({ eventDispatcher: options.dispatcher });
    },
    async stop() {
      const c = client;
      client = null;
      c?.close({ force: true });
    },
    state() {
      return client ? client.getConnectionStatus().state : 'idle';
    },
  };
}
