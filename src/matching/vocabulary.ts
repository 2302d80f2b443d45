/**
 * Domain vocabulary for matching: words jieba must keep whole, words that carry no meaning for matching
 * (stop words), and synonyms folded onto one canonical word — data in knowledge/lexicon/ (see lexicon.ts) — plus
 * the cue patterns that add synthetic tokens. General language of workplace chat privacy, applied identically to
 * knowledge-base phrasings and to questions; never copied from evaluation questions.
 */

import { lexicon } from './lexicon.ts';

const LEXICON = lexicon();

/**
 * Domain terms loaded into jieba's user dictionary so they stay one token (jieba alone splits 企业微信 or
 * 会话存档 inconsistently): `domain_terms` of knowledge/lexicon/terms.yaml. Knowledge-base keywords are added
 * to these at start-up.
 */
export const DOMAIN_TERMS: readonly string[] = LEXICON.domainTerms;

/**
 * Synthetic cue tokens and the corpus weight they carry (they are not words of jieba's IDF table).
 * - DEFINITION: "what is X" questions (什么是 / 是什么意思 / 怎么回事 / what is) — favours entries explaining X.
 * - SELF_STATUS: the asker asks about their own state (我有没有被…, 我是不是在…, 我的…开了吗, am I being …) —
 *   favours the entry that answers with the asker's own archiving status.
 */
export const CUE_DEFINITION = '是什么';
export const CUE_SELF_STATUS = '我的状态';
/**
 * - BEFORE_START: the question is about messages from before archiving started or before one was added to it
 *   (开通之前的聊天, 以前的消息, 加进存档前…) — favours the entry on when the archive starts.
 */
export const CUE_BEFORE_START = '开启之前';
/** - WHO_CAN_SEE: "who can see / open / read it" (谁能看, 哪些人有权限查, who can access) — favours the entry on who reads the archive. */
export const CUE_WHO_CAN_SEE = '谁能看';
/** - INSPECT: someone demands to check a phone or have a chat opened in front of them (查手机, 交出手机, 打开给他看). */
export const CUE_INSPECT = '检查手机';
/**
 * - HOW_TO: "how do I operate the app" (怎么撤回, 在哪开, how do i recall …) — the kind of question the out-of-scope
 *   examples (app how-to) ask; a topic whose phrasings ask it too (在哪开启登录保护) keeps it.
 */
export const CUE_HOW_TO = '怎么操作';
export const CUE_WEIGHTS: Readonly<Record<string, number>> = {
  [CUE_HOW_TO]: 4,
  [CUE_DEFINITION]: 6,
  [CUE_SELF_STATUS]: 9,
  [CUE_BEFORE_START]: 8,
  [CUE_WHO_CAN_SEE]: 8,
  [CUE_INSPECT]: 8,
};

/** Patterns (on normalised text) that add {@link CUE_HOW_TO}: how / where to do something in the app. */
export const HOW_TO_PATTERNS: readonly RegExp[] = [
  /(怎么|如何|怎样|咋|在哪|在哪里|哪里)(才能|才可以|可以|能|去)?(撤回|删除|删|搜索|搜|找回|恢复|设置|开启|开|关闭|关|修改|改|迁移|迁|备份|置顶|建|拉|退出|登录|转)/,
  /\bhow (do|can|to|should) (i |we |you )?(撤回|删除|search|find|恢复|set|开启|关闭|change|备份|pin|create|make|add|登录|migrate|move)(?![a-z])/,
];

/** Patterns (on normalised text) that add {@link CUE_INSPECT}. */
export const INSPECT_PATTERNS: readonly RegExp[] = [
  /(检查|查看|看|查|翻|搜|交出|上交|交|解锁)[^\s，。,.!?？！]{0,4}(手机|电话)/,
  /(要求|让|逼|强制|强迫|命令)[^\s，。,.!?？！]{0,8}(打开|给[^\s，。,.!?？！]{0,4}看|交出|上交|检查|解锁)/,
  /\b(check|inspect|search|through|unlock|hand over|show|checks)\b[^.]{0,30}(手机|phone)/,
];

/** Patterns (on normalised text) that add {@link CUE_WHO_CAN_SEE}. */
export const WHO_CAN_SEE_PATTERNS: readonly RegExp[] = [
  /(谁|哪些人|什么人|哪个部门)[^\s，。,.!?？！]{0,6}(看|查|调阅|打开|访问|权限)/,
  /(?<![a-z0-9])(谁|who) (can|could|gets? to|is able to|has|have) (看|查看|access|open|调阅|权限)/,
];

/**
 * Patterns (on normalised text) that add {@link CUE_BEFORE_START}: "switched on / added … before", "earlier
 * messages", "before archiving". A bare 之前 ("我们部门之前有人…") is narrative and adds nothing.
 */
export const BEFORE_START_PATTERNS: readonly RegExp[] = [
  /(开启|开通|开|启用|生效|上线|加入|加进|进入|纳入|存档)[^\s，。,.!?？！]{0,8}(之前|以前|前)(的|发|聊|那|说|讲|写|传)/,
  /(之前|以前|过去|早先|早期|从前)的?(也|都|还)?(会)?(被)?(存|保存|记录|存档)/,
  /(之前|以前|过去|去年|早先|早期|从前|老)的?(聊天记录|聊天|消息|记录|对话)/,
  /(追溯|往前|补存|回溯|开始算|起算|从哪天|从什么时候|哪天开始|什么时候开始)/,
  /(聊天记录|消息|记录|对话)\s?(from\s)?(之前|以前)|(^|\s)(追溯)(\s|$)/,
];

/**
 * The bot's canonical word (机器人 / 助手 / bot …), also added by {@link BOT_ADDRESS_PATTERNS}: a question naming or
 * addressing the assistant. An ordinary word (its weight is its corpus IDF) that the matcher also treats as a cue.
 */
export const CUE_BOT = '机器人';

/**
 * The asker addresses the bot itself ("你会记录…吗", "do you keep …"): adds the token 机器人, because in this
 * product "you" is the assistant.
 */
export const BOT_ADDRESS_PATTERNS: readonly RegExp[] = [
  /你们?(自己)?(会不会|会|能|是不是|有没有|是否)?[^\s，。,.!?？！]{0,8}(记录|保存|存档|存|记下|告诉|上报|泄露|看|知道|收集)/,
  /\b(do|will|can|does) (you|this bot|the bot)\b/,
  /问(你|你们|机器人|助手)|(跟|和|同)你(说|聊|讲)|在这(里|儿)?问|你这(里|儿)?的?(对话|聊天|记录)/,
  // the glossary has already turned question/ask/bot into Chinese words by the time these run
  /(?<![a-z0-9])(问题|问|tell|told|type|typed|say|said|聊天记录|talk|talking|speak|speaking) (to |with )?(you|this 机器人|the 机器人)\b/,
];

/** "Did they see that I read it": 看没看 / 读没读 / 看了没 / 有没有读 … add the token 已读. */
export const READ_RECEIPT_PATTERNS: readonly RegExp[] = [
  /(看|读)没(看|读)|(看|读)了没|有没有(读|看过)|是否已?读|读了[^\s，。,.!?？！]{0,6}(没|未)/,
  /\b(if|whether|that) (i|someone|they|he|she) (ve |have |has |had |already )?看(?=\s|$)|\bopen(ed)? (his|her|their|the|a) 聊天记录/,
];

/**
 * Canonical tokens that make a question about privacy at all (`privacy_concepts` of knowledge/lexicon/terms.yaml,
 * plus the self-status cue). The top entry is answered only when at least one of its matched tokens is one of
 * these: "企业微信怎么发红包" matches the archive-scope entry on 企业微信 and 红包 but asks nothing about privacy.
 */
export const PRIVACY_CONCEPTS: ReadonlySet<string> = new Set([...LEXICON.privacyConcepts, CUE_SELF_STATUS]);

/**
 * Pairs of canonical-token lists (`privacy_concept_pairs` of knowledge/lexicon/terms.yaml): a top entry matching one
 * token of `who` and one of `what` passes the privacy-concept gate ("钉钉上的聊天记录老板能调出来吗": 领导 + 聊天记录),
 * though neither alone does (领导 and 聊天记录 each appear in many out-of-scope questions).
 */
export const PRIVACY_CONCEPT_PAIRS: ReadonlyArray<{ who: ReadonlySet<string>; what: ReadonlySet<string> }> = LEXICON.privacyConceptPairs.map((p) => ({
  who: new Set(p.who),
  what: new Set(p.what),
}));

/** "How does X work" questions also add {@link CUE_DEFINITION}. */
export const DEFINITION_PATTERNS: readonly RegExp[] = [
  /(怎么|如何|怎样)(实现|运作|运行|工作)|原理|是(个)?什么(功能|东西)|\bwhat (is|are|does)\b|\bhow does\b/,
];

/**
 * Patterns (on normalised text) that add {@link CUE_SELF_STATUS}: first person + "whether … 被 (passive)",
 * "我被…", "我的 … 开了/开没开", "am i being / am i archived", "is my account".
 */
export const SELF_STATUS_PATTERNS: readonly RegExp[] = [
  /(我|自己)[^\s，。,.!?？！]{0,8}(有没有|是不是|是否|有无)在?被/,
  /(我|自己)(现在|目前)?(正在|在)?被[^\s，。,.!?？！]{0,6}(了吗|吗|了没|没有|没|未)/,
  // a whole message that only says "I (am being) archived / monitored" asks about the asker's status ("我被存档了?")
  /^(我|自己)(现在|目前)?(正在|在)?被(公司|领导)?(存档|存|监控|记录|保存)(了|着)?$/,
  /(我|自己)[^\s，。,.!?？！]{0,8}(有没有|是不是|是否)在[^\s，。,.!?？！]{0,10}(范围|名单)/,
  /我的[^\s，。,.!?？！]{0,8}(开了|开没开|开通了|开启了|有没有开)/,
  /查(一下|一查|查|询)?(一下)?(我|自己)的?[^\s，。,.!?？！]{0,6}(状态|有没有|是不是)/,
  /\bam i (being|archived|monitored|in|on)\b/,
  /\bis my (account|wecom|chat)s?\b/,
  // the glossary has already turned archived/monitored/account/chats into Chinese words by the time these run
  /\bam i (存档|会话存档|监控|记录)/,
  /\b(is|are) my (账号|企业微信|钉钉|飞书|聊天记录|会话)/,
  /我的(账号|聊天记录|聊天|消息|对话|企业微信|钉钉|飞书)(现在|目前)?被[^\s，。,.!?？！被]{0,4}(存档|监控|监听|记录)(下来)?(了吗|了没|了没有|没有|吗)/,
  // "how can I tell / check whether … is being archived", "whether they archive me"
  /(确认|查|知道|看出|判断|发现|分辨)[^\s，。,.!?？！]{0,8}(有没有|是不是|是否)[^\s，。,.!?？！]{0,6}(监控|存档|记录|保存)/,
  /(有没有|是不是|是否)[^\s，。,.!?？！]{0,4}(监控|存档|记录)(我|自己)/,
  /\b(my|i) [^ ]+ (is|are) (being )?(存档|保存|监控|记录)|\bis it (being )?(存档|保存|监控|记录)|\b(from|on) my (side|end)\b/,
];

/** Words ignored when matching: particles, pronouns, question scaffolding, English function words (terms.yaml). */
export const STOP_WORDS: ReadonlySet<string> = LEXICON.stopWords;

/**
 * Synonyms folded onto one canonical word after segmentation (a word may stand for two canonical words,
 * e.g. 不同意 -> 拒绝 + 同意), from knowledge/lexicon/synonyms.yaml. Applied to knowledge-base phrasings and
 * questions alike.
 */
export const SYNONYMS: Readonly<Record<string, readonly string[]>> = LEXICON.synonyms;
