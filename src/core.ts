import type { Clock } from './notices/clock.ts';
import type { Logger } from 'pino';
import type { CoreConfig } from './config.ts';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { botError } from './errors.ts';
import { loadKnowledge } from './knowledge/load.ts';
import type { KnowledgeBase } from './knowledge/types.ts';
import { createMatcher } from './matching/matcher.ts';
import { cachedMatcher } from './matching/cache.ts';
import type { Matcher } from './matching/types.ts';
import { openStores } from './store/index.ts';
import type { Store } from './store/ports/store.ts';
import type { MessageCommitter, MessageHandler } from './platform/message.ts';
import { createRouter } from './bot/router.ts';
import { createThirdPartyRefusal } from './bot/third-party.ts';
import { NoticeService } from './notices/service.ts';
import { createAckCommand, createNoticeSection } from './notices/ack.ts';
import { createAdminCommand } from './admin/chat.ts';
import { StatusDirectory } from './archiving/directory.ts';
import { createConsentSection } from './archiving/consent.ts';
import { PolicyService } from './policies/service.ts';
import { createPolicyStatusProvider } from './policies/status.ts';
import { createPolicySection } from './policies/section.ts';
import { createRateLimit } from './bot/rate-limit.ts';
import { AnswerStats } from './bot/answer-stats.ts';

/** The platform-neutral core: knowledge base, matcher, store and the router over them. */
export interface Core {
  kb: KnowledgeBase;
  matcher: Matcher;
  /** The key-value and status store; its close() closes the one connection the notice and policy stores share with it. */
  store: Store;
  /** Archiving notices: notices, broadcasts, acknowledgements. Channels are registered by the server / CLI. */
  notices: NoticeService;
  /** Where statuses come from; the server adds the platforms' archive sources (WeCom msgaudit). */
  statuses: StatusDirectory;
  /** Company policies declared by admins: a status provider and the policy lines of answers. */
  policies: PolicyService;
  /** Answers per topic and "not sure" per day (counts only; src/bot/answer-stats.ts). */
  answerStats: AnswerStats;
  handle: MessageHandler;
  /** The same pipeline in two steps, for adapters: commit state changes before the platform is told (src/platform/message.ts). */
  committer: MessageCommitter;
}

/**
 * Loads the knowledge base (KNOWLEDGE_DIR), builds the matcher and opens the stores over one
 * connection (src/store/index.ts: Redis when REDIS_URL is set, else the embedded file in DATA_DIR).
 * @param options `redisKeyPrefix`: namespace of the Redis keys instead of 'privacy-bot:' (tests
 *   share the real Redis under a private prefix). `noticeClock`: the notice engine's time
 *   (leases, backoff, audit times; default the system clock) — tests move it on instead of
 *   waiting for a lease to run out
 * @throws BotError KB_INVALID naming file and field; STORE_UNAVAILABLE naming the store
 */
export async function createCore(
  config: CoreConfig,
  log: Logger,
  options: { redisKeyPrefix?: string; noticeClock?: Clock } = {},
): Promise<Core> {
  // A directory that is not there is the configuration's fault: say which variable and which directory was tried.
  if (!existsSync(config.knowledgeDir)) {
    throw botError('KB_INVALID', `KNOWLEDGE_DIR: directory ${path.resolve(config.knowledgeDir)} does not exist (set KNOWLEDGE_DIR to the knowledge base, or leave it unset for the one shipped with privacy-bot)`);
  }
  const kb = await loadKnowledge(config.knowledgeDir);
  // Results cached by the question's hash: repeated questions skip normalisation and Fuse.js.
  const matcher = cachedMatcher(await createMatcher(kb));
  const { kv: store, notices: noticeStore, policies: policyStore } = await openStores(
    { redisUrl: config.redisUrl, dataDir: config.dataDir },
    options.redisKeyPrefix !== undefined ? { redisKeyPrefix: options.redisKeyPrefix } : {},
  );
  const notices = new NoticeService({ store: noticeStore, kv: store, log, evidenceKey: config.evidenceKey, noticeLanguage: config.noticeLanguage ?? 'bilingual', ...(options.noticeClock ? { clock: options.noticeClock } : {}) });
  const statuses = new StatusDirectory(store, log);
  // Declared policies: a status after a platform sync and the employee's own record, and the policy
  // lines of the retention / viewers / legality / consent answers. Departments are matched through
  // the platform's directory (its notice channel, registered by the server or CLI).
  const policies = new PolicyService({
    store: policyStore,
    log,
    channelFor: (platform) => notices.channelFor(platform),
    hasArchiveSync: (platform) => statuses.sync(platform) !== undefined,
  });
  statuses.addProvider(createPolicyStatusProvider(policies));
  // Daily counters on the notice engine's clock and time zone (the company's).
  const answerStats = new AnswerStats({ kv: store, topics: () => kb.entries.map((e) => e.id), timeZone: notices.timeZone, log, now: () => notices.clock.now() });
  const handle = createRouter({
    kb,
    matcher,
    store,
    log,
    statusLookup: (platform, userId) => statuses.lookup(platform, userId),
    describeSource: (sourceName) => statuses.describe(sourceName),
    timeZone: notices.timeZone,
    // The per-user rate limit first; then admin commands: an admin's "yes" confirms a pending send before "确认"-style acknowledgements are tried.
    // Last: a question about someone else's status is refused before FAQ matching would show the asker's own.
    commands: [
      createRateLimit({ kv: store, log }),
      createAdminCommand({ service: notices, kv: store, admins: config.adminUsers, log }),
      createAckCommand(notices, log),
      createThirdPartyRefusal({ log }),
    ],
    onAnswer: (outcome) => answerStats.record(outcome),
    // The language of each question: the employee's notices come in it (hash(user) -> language only, 180 days).
    onQuestionLanguage: (m, lang) => notices.rememberLanguage(m.platform, m.userId, lang),
    // The same record answers "2", "?" or an emoji alone (no language of their own) in the employee's language.
    lastQuestionLanguage: (m) => notices.employeeLanguage(m.platform, m.userId),
    personalSections: [
      createNoticeSection(notices),
      createConsentSection({ source: (platform) => statuses.source(platform) }),
      createPolicySection({ service: policies, statusOf: (platform, userId) => statuses.lookup(platform, userId) }),
    ],
  });
  return { kb, matcher, store, notices, statuses, policies, answerStats, handle, committer: handle };
}
