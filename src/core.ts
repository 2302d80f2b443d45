import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { loadKnowledge } from './knowledge/load.ts';
import type { KnowledgeBase } from './knowledge/types.ts';
import { createMatcher } from './matching/matcher.ts';
import type { Matcher } from './matching/types.ts';
import { openStore } from './store/index.ts';
import type { Store } from './store/port.ts';
import type { MessageHandler } from './types.ts';
import { createRouter } from './bot/router.ts';
import { NoticeService } from './notices/service.ts';
import { createAckCommand, createNoticeSection } from './notices/ack.ts';
import { createAdminCommand } from './admin/chat.ts';
import { closingAlso, openNoticeStore } from './store/notices-open.ts';
import type { NoticeStore } from './store/notices-port.ts';
import { StatusDirectory } from './archiving/directory.ts';
import { createConsentSection } from './archiving/consent.ts';

/** The platform-neutral core: knowledge base, matcher, store and the router over them. */
export interface Core {
  kb: KnowledgeBase;
  matcher: Matcher;
  /** The store; its close() also closes the notice store. */
  store: Store;
  /** Archiving notices (issue 4): notices, broadcasts, acknowledgements. Channels are registered by the server / CLI. */
  notices: NoticeService;
  /** Where statuses come from; the server adds the platforms' archive sources (WeCom msgaudit). */
  statuses: StatusDirectory;
  handle: MessageHandler;
}

/**
 * Loads the knowledge base (KNOWLEDGE_DIR), builds the matcher and opens the store
 * (Redis when REDIS_URL is set, else DATA_DIR/privacy-bot.db).
 * @param stores already opened stores to use instead (tests: Redis under a private key prefix);
 *   the core then owns them (core.store.close() closes both)
 * @throws BotError KB_INVALID naming file and field; STORE_UNAVAILABLE naming the store
 */
export async function createCore(config: Config, log: Logger, stores: { store?: Store; noticeStore?: NoticeStore } = {}): Promise<Core> {
  const kb = await loadKnowledge(config.knowledgeDir);
  const matcher = await createMatcher(kb);
  const mainStore = stores.store ?? (await openStore({ redisUrl: config.redisUrl, dataDir: config.dataDir }));
  let noticeStore: NoticeStore;
  try {
    noticeStore = stores.noticeStore ?? (await openNoticeStore({ redisUrl: config.redisUrl, dataDir: config.dataDir }));
  } catch (err) {
    await mainStore.close();
    throw err;
  }
  const store = closingAlso(mainStore, noticeStore);
  const notices = new NoticeService({ store: noticeStore, log });
  const statuses = new StatusDirectory(store, log);
  const handle = createRouter({
    kb,
    matcher,
    store,
    log,
    statusLookup: (platform, userId) => statuses.lookup(platform, userId),
    // Admin commands first: an admin's "yes" confirms a pending send before "确认"-style acknowledgements are tried.
    commands: [createAdminCommand({ service: notices, kv: store, admins: config.adminUsers, log }), createAckCommand(notices, log)],
    personalSections: [createNoticeSection(notices), createConsentSection({ source: () => statuses.source('wecom') })],
  });
  return { kb, matcher, store, notices, statuses, handle };
}

/** Where the embedded store lives for a given DATA_DIR. */
export function embeddedStorePath(dataDir: string): string {
  return join(dataDir, 'privacy-bot.db');
}
