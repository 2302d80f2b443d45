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

/** The platform-neutral core: knowledge base, matcher, store and the router over them. */
export interface Core {
  kb: KnowledgeBase;
  matcher: Matcher;
  store: Store;
  handle: MessageHandler;
}

/**
 * Loads the knowledge base (KNOWLEDGE_DIR), builds the matcher and opens the store
 * (Redis when REDIS_URL is set, else DATA_DIR/privacy-bot.db).
 * @throws BotError KB_INVALID naming file and field; STORE_UNAVAILABLE naming the store
 */
export async function createCore(config: Config, log: Logger): Promise<Core> {
  const kb = await loadKnowledge(config.knowledgeDir);
  const matcher = await createMatcher(kb);
  const store = await openStore({ redisUrl: config.redisUrl, dataDir: config.dataDir });
  const handle = createRouter({ kb, matcher, store, log });
  return { kb, matcher, store, handle };
}

/** Where the embedded store lives for a given DATA_DIR. */
export function embeddedStorePath(dataDir: string): string {
  return join(dataDir, 'privacy-bot.db');
}
