/**
 * The seam between platform adapters and the core (docs/ARCHITECTURE.md).
 * Adapters turn a verified, decrypted platform callback into an {@link InboundMessage};
 * the core answers with a {@link BotResult}; adapters deliver its {@link Reply} list.
 * Nothing here knows XML, signatures or access tokens.
 */

/** Platform id: 'wecom', 'dingtalk', 'try' (the local chat page), later 'feishu'. A plain string so
 * that adding a platform never touches src/. */
export type PlatformId = string;

/** Where a message was written. */
export type Chat =
  | { kind: 'single' }
  | { kind: 'group'; /** platform conversation id (DingTalk conversationId, WeCom chatid) */ chatId: string };

/**
 * What the employee did:
 * - 'text': a text message (the usual case);
 * - 'enter': opened the bot's chat (WeCom `enter_agent`, AI bot `enter_chat`) — gets a short welcome;
 * - 'non-text': image, voice, file, … — gets a polite "I read text only";
 * - 'ack-action': pressed an acknowledge button on a notice card (text holds the button key).
 */
export type InboundKind = 'text' | 'enter' | 'non-text' | 'ack-action';

/** One message from one employee, platform-neutral. */
export interface InboundMessage {
  platform: PlatformId;
  /** The organisation the message belongs to (WeCom CorpID, DingTalk robotCode/corpId, 'local' for /try). */
  tenant: string;
  /** The sender's platform user id (WeCom UserID, DingTalk senderStaffId). Never a display name. */
  userId: string;
  chat: Chat;
  kind: InboundKind;
  /** The text with @-mentions of the bot stripped; '' for kinds other than 'text'. Characters, not bytes. */
  text: string;
  /**
   * True when the employee's text was longer than the platform's limit (adapters/<platform>/limits.ts) or the
   * core's (src/text-cap.ts) and `text` holds only its beginning. Commands whose meaning a cut would change
   * (an admin's user list) refuse such a message.
   */
  truncated?: boolean;
  /** True when the bot was @-mentioned (always true for group messages the platforms deliver). */
  mentionedBot: boolean;
  /** The platform's message id (dedup already done by the adapter). */
  messageId: string;
  /** When the adapter received it, ms since the Unix epoch. */
  receivedAt: number;
  /** True for the anonymous /try page and the CLI without --user: FAQ answers only, never a personal status. */
  anonymous?: boolean;
  /** True for an admin's "try a question" in the console: not counted in the answer statistics. */
  uncounted?: boolean;
  /**
   * False when the adapter cannot reach the asker 1:1 from this chat (e.g. a WeCom AI bot group
   * without the self-built app configured). Then a group answer carries no personal part at all
   * and tells the asker to ask in a 1:1 chat instead. Default true.
   */
  canReplyPrivately?: boolean;
  /**
   * A topic picked directly (a suggestion button on the /try page), answered in `lang` without matching `text`.
   * `topic` is a knowledge-base entry id; an unknown id is ignored (the message is then handled by its text).
   */
  pick?: { topic: string; lang: Lang };
  /**
   * A language the asker probably reads, known from outside the message (the /try page sends its page language,
   * i.e. the browser's). Only a hint: used for a language-neutral message ("?", "2", an emoji) when neither the
   * bot's last reply to the asker nor the employee's remembered question language decides it (src/bot/router.ts);
   * never for a message with a language of its own, and never remembered as the asker's language. Platform
   * adapters do not set it: a chat platform says nothing of the reader's language.
   */
  langHint?: Lang;
}

/** Language of a question and of its answer. */
export type Lang = 'zh-CN' | 'zh-TW' | 'en';

/** A link shown with a reply (a source of an answer). `url` is an absolute http(s) URL. */
export interface ReplyLink {
  title: string;
  url: string;
}

/**
 * The links at the end of a reply, for platforms that render links (src/reply-links.ts): `before` is the reply
 * text before them, `heading` their heading ("来源：" / "Sources:"), `items` the links in order.
 */
export interface ReplyLinks {
  before: string;
  heading: string;
  items: ReplyLink[];
}

/**
 * One reply to deliver.
 * - visibility 'chat': into the conversation the question came from (in a group: the group);
 * - visibility 'private': 1:1 to the asker only (WeCom `message/send` to the user, DingTalk
 *   `oToMessages/batchSend`). Personal archiving status is always 'private' when asked in a group.
 */
export interface Reply {
  /** Plain text with line breaks; adapters split it to the platform's byte limits. */
  text: string;
  visibility: 'chat' | 'private';
  /** In a group, @-mention the asker (DingTalk `at.atUserIds`). */
  mentionAsker?: boolean;
  /**
   * Set when the reply ends with links (an answer's sources). `text` is then exactly
   * {@link ReplyLinks.before} + a blank line + the plain block of src/reply-links.ts `plainLinks()`
   * ("来源：" and one "- title: url" line per link), so adapters that show plain text send `text` unchanged
   * and adapters that render links (DingTalk markdown, the AI bot's markdown stream, WeCom `<a href>`, /try)
   * build their own form from `links`.
   */
  links?: ReplyLinks;
}

/**
 * Why the router answered the way it did ('other-person': a question about someone else's status, refused;
 * 'detail': the longer detail of the previous answer, after "详细" / "more"; 'platform-choice': a question about one
 * platform family from an asker whose platform is unknown, answered with each platform's opening and a choice).
 */
export type Intent = 'faq' | 'platform-choice' | 'detail' | 'help' | 'fallback' | 'welcome' | 'non-text' | 'empty' | 'status' | 'rate-limited' | 'other-person';

/** The core's answer to one {@link InboundMessage}. `replies` may be empty (nothing to send). */
export interface BotResult {
  replies: Reply[];
  intent: Intent;
  /** Matched FAQ topic id, null unless intent is 'faq'. */
  topic: string | null;
  /** Matcher confidence in [0, 1] (1 = certain); 0 when no match was attempted. */
  score: number;
  /** Up to 3 topic ids suggested when not sure (or related topics). */
  suggestions: string[];
  lang: Lang;
}

/** The core as adapters see it: one function. Never throws for bad user input; throws only on bugs. */
export type MessageHandler = (message: InboundMessage) => Promise<BotResult>;

/**
 * A message whose state change (if it has one) is already recorded durably; what is left is the
 * answer. See {@link MessageCommitter}.
 */
export interface CommittedMessage {
  /**
   * Makes the replies. Call it once, after the platform was told the message arrived (the HTTP
   * answer, the Stream acknowledgement frame). May take long (FAQ matching, personal lines, an
   * admin's broadcast resolving its audience through the platform's directory).
   * Never throws for user input; throws only on bugs.
   */
  answer(): Promise<BotResult>;
}

/**
 * The core's two-step view of a message, for adapters that must not tell a platform "received"
 * before a state change (a notice acknowledgement, an admin's confirmation) is recorded — a
 * platform never sends a message again once it was acknowledged, so a crash in between would lose
 * it (docs/RELIABILITY.md, "Acknowledgements recorded before the platform is told").
 *
 * The adapter's order for a message `mayChangeState` says yes to:
 *   dedup claim (a short lease) → `await commit(m)` within the platform's deadline → acknowledge the
 *   platform → `answer()` → deliver.
 * If commit does not finish in time the adapter does not acknowledge (HTTP 503, no Stream ack
 * frame) and gives its dedup claim back, so the platform's redelivery is handled, not swallowed.
 * Every state change is idempotent per message, so a redelivery after a crash changes nothing twice.
 * Any other message: acknowledge first, then `handle(m)` in the background, as before.
 */
export interface MessageCommitter {
  /**
   * True when the message may change durable state (then the adapter awaits {@link commit} before
   * acknowledging). Synchronous and without I/O: looks at the message only.
   */
  mayChangeState(message: InboundMessage): boolean;
  /**
   * Applies the message's state change durably and returns how to answer it. A store failure
   * inside a command is answered ("please try again"), not thrown.
   */
  commit(message: InboundMessage): Promise<CommittedMessage>;
}

/**
 * Where an adapter is about to tell the platform a message arrived (test seam, see
 * AdapterContext.beforePlatformAck).
 */
export interface PlatformAckPoint {
  /** 'wecom', 'wecom-aibot', 'dingtalk'. */
  platform: string;
  /** How the platform is told: 'http' (the callback's answer), 'stream' (DingTalk ack frame), 'ws' (the AI bot's first reply frame). */
  channel: 'http' | 'stream' | 'ws';
  /** The platform message id. */
  messageId: string;
  /** True when {@link MessageCommitter.commit} ran (the message may have changed state). */
  committed: boolean;
}
