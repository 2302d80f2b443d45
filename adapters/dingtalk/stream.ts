import { DWClient, TOPIC_ROBOT, type DWClientDownStream } from 'dingtalk-stream';
import type WebSocket from 'ws';
import type { Logger } from 'pino';
import type { DingtalkConfig } from './config.ts';
import { DINGTALK_PLATFORM } from './inbound.ts';
import { STREAM_RECONNECT_INTERVAL_MS } from './limits.ts';

/**
 * DingTalk Stream mode (docs/PROTOCOLS.md §3.3): the bot opens an outbound WebSocket to DingTalk with the
 * app's credentials instead of exposing `POST /dingtalk/callback`, so no public URL is needed.
 * Built on the official `dingtalk-stream` SDK (2.1.5): `connect()` POSTs
 * `https://api.dingtalk.com/v1.0/gateway/connections/open` {clientId, clientSecret, ua, subscriptions}
 * → {endpoint, ticket} and opens `endpoint?ticket=…`; robot messages arrive as CALLBACK frames on topic
 * `/v1.0/im/bot/messages/get` whose `data` is the HTTP-mode body as a JSON string.
 *
 * What this wrapper adds to the SDK:
 * - every CALLBACK frame is handed to the adapter with an `ack` function that sends its
 *   acknowledgement (`socketCallBackResponse(messageId)`) once: the adapter acknowledges questions
 *   at once and state changes after they are recorded (DingTalk re-pushes an unacknowledged frame
 *   after about 60 s, and never one that was acknowledged);
 * - one connection at a time: the SDK may schedule two reconnects for one failure (its `error` and
 *   `close` handlers both do), so a connect while one is running or a socket is open is skipped;
 * - `stop()` is final: no reconnect after it, even one already scheduled (the SDK's own
 *   `disconnect()` is undone by a reconnect that was pending, pitfall #8);
 * - connection failures are logged with our logger (the SDK retries every second, silently).
 * The SDK itself prints "connect success" / "Disconnecting." with console.info (not our logger).
 * Its `keepAlive` pings stay off (SDK default): they leak an interval per reconnect.
 * Source: npm dingtalk-stream@2.1.5 dist/client.mjs; https://open.dingtalk.com/document/orgapp/receive-message
 */

/**
 * Receives the `data` of one robot CALLBACK frame and `ack`, which sends the frame's
 * acknowledgement (once; later calls do nothing). A frame never acked is pushed again by DingTalk
 * after about 60 s. Must not throw.
 */
export type RobotFrameHandler = (data: string, frame: { messageId: string }, ack: () => void) => void;

/** Options of {@link createDingtalkStream}. */
export interface DingtalkStreamOptions {
  log: Logger;
  onRobotMessage: RobotFrameHandler;
  /**
   * Test-only: the URL the connection-open POST goes to. Unset, it is
   * `<config.apiBase>/v1.0/gateway/connections/open` when apiBase is not https://api.dingtalk.com
   * (a local fake), and otherwise the SDK's own built-in `GATEWAY_URL` (production).
   */
  gatewayUrl?: string;
  /** Delay before reconnecting, ms (default {@link STREAM_RECONNECT_INTERVAL_MS}, the SDK's). */
  reconnectIntervalMs?: number;
}

/** One Stream connection per adapter (and so per process). */
export interface DingtalkStream {
  /**
   * Connects (first attempt awaited; on failure the SDK keeps retrying every reconnect interval and
   * this still resolves). Idempotent; after `stop()` it does nothing.
   */
  start(): Promise<void>;
  /** Closes the socket (waits for the close, at most 2 s), cancels reconnects for good. Idempotent. */
  stop(): Promise<void>;
  /** True while the WebSocket is open. */
  readonly connected: boolean;
}

/** Waited for the server's close frame on stop before the socket is terminated, ms. */
const CLOSE_WAIT_MS = 2_000;

/** The SDK's runtime fields that its typings mark private. */
interface SdkInternals {
  socket?: WebSocket;
  dw_url?: string;
  reconnectInterval: number;
}

class BotStreamClient extends DWClient {
  stopped = false;
  connecting: Promise<void> | null = null;
  private failures = 0;
  private wasConnected = false;

  constructor(
    config: DingtalkConfig,
    private readonly opts: DingtalkStreamOptions,
  ) {
    super({ clientId: config.appKey, clientSecret: config.appSecret, keepAlive: false, debug: false });
    this.internals.reconnectInterval = opts.reconnectIntervalMs ?? STREAM_RECONNECT_INTERVAL_MS;
  }

  get internals(): SdkInternals {
    return this as unknown as SdkInternals;
  }

  get socketOpenOrOpening(): boolean {
    const s = this.internals.socket;
    return s !== undefined && (s.readyState === 0 || s.readyState === 1);
  }

  override async getEndpoint(): Promise<this> {
    if (this.stopped) throw new Error('stream stopped');
    try {
      if (this.opts.gatewayUrl === undefined) {
        await super.getEndpoint();
      } else {
        const res = await fetch(this.opts.gatewayUrl, {
          method: 'POST',
          headers: { accept: 'application/json', 'content-type': 'application/json' },
          body: JSON.stringify({
            clientId: this.config.clientId,
            clientSecret: this.config.clientSecret,
            ua: this.config.ua ?? '',
            subscriptions: this.config.subscriptions,
          }),
          signal: AbortSignal.timeout(10_000),
        });
        if (!res.ok) throw new Error(`connections/open answered HTTP ${res.status}`);
        const data = (await res.json()) as { endpoint?: unknown; ticket?: unknown };
        if (typeof data.endpoint !== 'string' || typeof data.ticket !== 'string') throw new Error('endpoint or ticket is missing');
        this.internals.dw_url = `${data.endpoint}?ticket=${encodeURIComponent(data.ticket)}`;
      }
      return this;
    } catch (err) {
      this.failures++;
      const e = err as { message?: string; response?: { status?: number } };
      const fields = { attempt: this.failures, httpStatus: e.response?.status, err: e.message };
      // First failure loud, then quiet: the SDK retries every second.
      if (this.failures === 1 || this.failures % 60 === 0) this.opts.log.warn(fields, 'DingTalk stream: cannot open a connection; retrying');
      else this.opts.log.debug(fields, 'DingTalk stream: connection attempt failed');
      throw err;
    }
  }

  override connect(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.connecting) return this.connecting;
    if (this.socketOpenOrOpening) return Promise.resolve();
    this.connecting = super
      .connect()
      .then(() => {
        if (this.socketOpenOrOpening && !this.stopped) {
          if (this.failures > 0 || this.wasConnected) this.opts.log.info({}, 'DingTalk stream connected');
          this.failures = 0;
          this.wasConnected = true;
        }
      })
      .finally(() => {
        this.connecting = null;
        if (this.stopped) this.closeSocket();
      });
    return this.connecting;
  }

  override _connect(): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('stream stopped'));
    return super._connect();
  }

  /** The SDK's disconnect (sets userDisconnect, closes the socket). */
  closeSocket(): void {
    if (this.internals.socket) super.disconnect();
  }
}

/**
 * Where the connection-open POST goes for an OpenAPI base: undefined (= the SDK's built-in
 * https://api.dingtalk.com/v1.0/gateway/connections/open) for the real api.dingtalk.com, else
 * `<origin>/v1.0/gateway/connections/open` on that base (a local fake).
 */
export function streamGatewayUrl(apiBase: string): string | undefined {
  const url = new URL(apiBase);
  return url.hostname === 'api.dingtalk.com' ? undefined : `${url.origin}/v1.0/gateway/connections/open`;
}

/**
 * Creates the Stream connection of one DingTalk app. Nothing connects before `start()`.
 * @param config appKey/appSecret are the Stream clientId/clientSecret
 */
export function createDingtalkStream(config: DingtalkConfig, options: DingtalkStreamOptions): DingtalkStream {
  const log = options.log;
  const client = new BotStreamClient(config, { ...options, gatewayUrl: options.gatewayUrl ?? streamGatewayUrl(config.apiBase) });
  client.registerCallbackListener(TOPIC_ROBOT, (frame: DWClientDownStream) => {
    const messageId = frame?.headers?.messageId;
    if (typeof messageId !== 'string' || messageId === '') {
      log.warn({}, 'DingTalk stream: CALLBACK frame without messageId dropped');
      return;
    }
    let acked = false;
    const ack = (): void => {
      if (acked) return;
      acked = true;
      try {
        client.socketCallBackResponse(messageId, {});
      } catch (err) {
        log.warn({ messageId, err: (err as Error).message }, 'DingTalk stream: ack failed');
      }
    };
    try {
      options.onRobotMessage(typeof frame.data === 'string' ? frame.data : '', { messageId }, ack);
    } catch (err) {
      ack();
      log.error({ messageId, err: (err as Error).message }, 'DingTalk stream: handler threw');
    }
  });
  let started: Promise<void> | null = null;
  let stopping: Promise<void> | null = null;

  return {
    get connected() {
      return client.internals.socket?.readyState === 1;
    },
    start() {
      if (client.stopped) return Promise.resolve();
      started ??= (async () => {
        await client.connect();
        log.info({ connected: client.internals.socket?.readyState === 1 }, 'DingTalk stream started');
      })();
      return started;
    },
    stop() {
      stopping ??= (async () => {
        client.stopped = true;
        client.closeSocket();
        await client.connecting?.catch(() => undefined);
        const socket = client.internals.socket;
        client.closeSocket();
        if (socket && socket.readyState !== 3) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              socket.terminate();
              resolve();
            }, CLOSE_WAIT_MS);
            socket.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
          });
        }
        log.info({}, 'DingTalk stream stopped');
      })();
      return stopping;
    },
  };
}
