/**
 * Knowledge-base entry: one FAQ topic, loaded from YAML under `knowledge/` (one file per topic,
 * file name `<id>.yaml`). Ids are exactly those of test/fixtures/topics.tsv.
 */
export interface KnowledgeSource {
  /** Human title, e.g. '《个人信息保护法》第十七条' or 'WeCom API: 获取会话内容存档开启成员列表'. */
  title: string;
  /** Official doc URL or statute text URL (https). */
  url: string;
}

export interface KnowledgeEntry {
  /** Stable id, kebab-case, as in topics.tsv, e.g. 'wecom-admin-access'. */
  id: string;
  title: { zh: string; en: string };
  /** Ways employees ask it: at least 5 Chinese and 2 English phrasings. Never copied from the eval sets. */
  questions: { zh: string[]; en: string[] };
  /** Domain words that signal the topic (Chinese and English). */
  keywords: string[];
  /**
   * The answer, one phone screen (schema.ts: at most 600 Chinese characters, whitespace not counted, or 1,000
   * English characters): the first sentence answers directly (yes / no / it depends on X, at most 80 Chinese or
   * 160 English characters), then the key points; the sources are appended by the bot. zh-TW is converted from
   * `zh` (src/bot/traditional.ts).
   */
  answer: { zh: string; en: string };
  /**
   * Optional longer detail, same size limits as the answer, sent when the asker replies "详细" / "詳細" / "more"
   * right after the answer (src/bot/router.ts). The answer says so only when the entry has detail.
   */
  detail?: { zh: string; en: string };
  /**
   * Optional openings for sub-questions the general answer's first sentence does not answer ("can I turn read
   * receipts off?", "are calls archived?"): when the asker's question contains one of a lead's `cues`
   * ({@link questionHasCue}: Simplified, lower case; a Latin cue matches whole words), that lead's `zh` / `en`
   * sentence is put before the answer, so the reply's first sentence answers what was asked. The first lead whose
   * cue matches wins. Each lead is one sentence within the first-sentence limits, and the answer with its longest
   * lead still fits one phone screen (schema.ts).
   */
  leads?: KnowledgeLead[];
  /** At least one; every entry cites an official doc URL or a law article. */
  sources: KnowledgeSource[];
  /** Date the entry was last reviewed, 'YYYY-MM-DD'. */
  reviewed: string;
  /** Whether the asking employee's own archiving status is appended (topics.tsv third column). */
  appendStatus: boolean;
  /**
   * The asker's own status is what the question asks (am-i-archived): in a 1:1 chat the status lines lead the reply,
   * before the general answer (src/bot/router.ts). Only with {@link appendStatus}; absent = false.
   */
  statusFirst?: boolean;
  /** Platforms the entry is about (informational): 'wecom', 'dingtalk', 'feishu', 'all'. */
  platforms: string[];
}

/** A sub-question's opening ({@link KnowledgeEntry.leads}). */
export interface KnowledgeLead {
  /** Words of the sub-question, Simplified Chinese or English, e.g. ['关掉', '隐藏', 'turn off']. */
  cues: string[];
  zh: string;
  en: string;
}

/** A validated, fully loaded knowledge base. */
export interface KnowledgeBase {
  entries: KnowledgeEntry[];
  byId: Map<string, KnowledgeEntry>;
  /** Directories loaded, in order (later ones override entries with the same id). */
  dirs: string[];
}
