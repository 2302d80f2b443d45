import type Router from '@koa/router';
import type { Logger } from 'pino';
import type { KeyValueStore, Store } from '../store/ports/store.ts';
import type { NoticeStore } from '../store/ports/notices.ts';
import type { MessageCommitter, MessageHandler, PlatformAckPoint } from './message.ts';
import type { NoticeChannel } from './notices.ts';
import type { HealthReporter } from './health.ts';
import type { ArchiveSource } from './archive.ts';
import type { Lang } from './message.ts';

/**
 * What every platform adapter gets from the server. Adapters know platforms, never FAQs:
 * they verify, decrypt, parse, dedup and normalise into an InboundMessage, call `handle`,
 * and deliver the replies.
 */
export interface AdapterContext {
  /** The core (router). */
  handle: MessageHandler;
  /**
   * The core in two steps (commit, then answer): messages that may change state are committed
   * before the platform is told they arrived (src/platform/message.ts MessageCommitter; adapters/kit/admission.ts).
   * Optional for tests of one adapter: without it nothing counts as a state change and every
   * message is acknowledged first and handled with `handle`, as before.
   */
  committer?: MessageCommitter;
  /**
   * Test seam: called synchronously right before an adapter tells the platform that a message it
   * admitted arrived (sets the callback's HTTP answer, sends the Stream ack frame, sends the AI
   * bot's first reply frame); not for duplicates or ignored events. The durability tests SIGKILL
   * the process here (test/resilience/kill-child.ts). Unset in production.
   */
  beforePlatformAck?: (point: PlatformAckPoint) => void;
  /** Shared key-value store for dedup keys and access-token caches (all instances share it). */
  kv: KeyValueStore;
  /** Structured logger; never log message text, answers or statuses; hash user ids (src/log.ts). */
  log: Logger;
  /** Clock in ms since the epoch (injected in tests so official vectors verify). */
  now: () => number;
  /**
   * Runs work after the HTTP answer was sent; the server tracks it so shutdown can wait and tests
   * can await `idle()`. Errors are logged, never thrown back.
   */
  background: (name: string, work: () => Promise<void>) => void;
  /**
   * Report a configuration fault met talking to the platform (wrong secret, IP not allowed) or,
   * with null, that it is healthy again; GET /readyz shows the faults. Optional (tests).
   */
  health?: HealthReporter;
  /** Count one outbound platform API call by its result code ('0'/'ok' = success). Optional (metrics). */
  observeApiCall?: (platform: string, api: string, code: string) => void;
  /**
   * The notice engine, for an adapter that sees reads itself rather than polling a platform (the
   * sandbox records a read when the employee opens the card: `notices.store.markRead`, the call the
   * worker's read poll makes; `notices.store.userNotices` for its inbox). Optional: the real platforms
   * do not use it. The server passes the core's notice service, whose `store` is the notice store.
   */
  notices?: { readonly store: Pick<NoticeStore, 'markRead' | 'userNotices'> };
  /**
   * A knowledge-base topic's title, or undefined for an unknown id: the sandbox's /try answers label
   * their suggestions with it, as POST /try/ask does. Optional.
   */
  topicTitle?: (topicId: string) => { zh: string; en: string } | undefined;
  /**
   * A title as the core shows it in a language: English, Simplified, or Simplified converted to Taiwan
   * Traditional for 'zh-TW' (as POST /try/ask labels its suggestions). Optional: absent = English for
   * 'en', else the Simplified title.
   */
  titleIn?: (title: { zh: string; en: string }, lang: Lang) => string;
  /**
   * The company time zone (IANA name: the notice service's timeZone, Asia/Shanghai unless configured) in which employees and admins
   * read times — the bot's "acknowledged on …", the console: the sandbox's inbox shows its times in it
   * too. Optional: absent = Asia/Shanghai, the notices' default.
   */
  timeZone?: string;
  /** The status store, for the sandbox's demo statuses (source 'sandbox demo data'). Optional. */
  statusStore?: Pick<Store, 'getStatus' | 'putStatuses'>;
}

/** One platform. Mounted by src/app/server.ts when its credentials are configured. */
export interface PlatformAdapter {
  /** 'wecom', 'dingtalk', … */
  readonly platform: string;
  /**
   * Paths of the platform's callbacks (also in stream / long-connection mode, where they are not
   * mounted): POSTs to them are counted per platform in the callback metrics (src/http/observability.ts).
   */
  readonly callbackRoutes?: readonly string[];
  /** Add the adapter's callback routes. */
  mount(router: Router): void;
  /** Optional: start stream connections etc. */
  start?(): Promise<void>;
  /** Optional: stop connections; idempotent. */
  stop?(): Promise<void>;
  /**
   * Optional: get the app's access token once (through the shared token cache), so that a wrong
   * secret is reported to `ctx.health` — and shown by GET /readyz — right after start instead of
   * at the first reply that needs a token. The server runs it in the background after listening.
   * @throws whatever the token call throws (the server logs it; the health report is the signal)
   */
  checkCredentials?(): Promise<void>;
  /** Optional: archiving-notice delivery; absent = notices cannot be sent on this platform. */
  readonly noticeChannel?: NoticeChannel;
  /** Optional: the platform's own archive configuration (WeCom msgaudit); absent = statuses come from imports/policies. */
  readonly archiveSource?: ArchiveSource;
  /**
   * Optional: how statuses this adapter writes itself (source `sourceName`, not synced) read in an answer — its name
   * and scope texts per language (the sandbox's demo statuses). Registered by the server.
   */
  readonly statusSource?: Pick<ArchiveSource, 'sourceName' | 'scopeTexts'> & Required<Pick<ArchiveSource, 'label'>>;
  /** Optional: same-origin script paths the /try page loads before its own script (the sandbox's employee picker). */
  readonly tryPageScripts?: readonly string[];
}
