import type { Lang } from '../platform/message.ts';

/**
 * Fixed texts of the bot (help, welcome, fallback…) in the three reply languages.
 * zh-TW texts are written by hand, not converted, so they read naturally.
 */
export interface Messages {
  /** Help in a 1:1 chat or a group that can reach the asker privately: promises the asker's own status. */
  help: string;
  /** Help for an anonymous asker (/try, the CLI without --user): says no personal status is shown. */
  helpAnonymous: string;
  /** Help in a group with no private channel to the asker: the status only in a 1:1 chat. */
  helpNoPrivate: string;
  greeting: string;
  /** Answer to a thank-you or an okay alone ("谢谢", "thanks", "好的"). */
  thanks: string;
  welcome: string;
  nonText: string;
  fallbackIntro: string;
  fallbackPick: string;
  fallbackNone: string;
  /**
   * The whole reply to a message the classifier is sure is not about privacy (MatchResult.offTopic — pay, leave, a
   * poem): what the bot answers and where to go instead, rather than "not sure" as if it had misunderstood.
   */
  offTopic: string;
  /** Opens the "not sure" reply to a question about privacy that fits several topics (MatchResult.ambiguous). */
  clarifyIntro: string;
  /** Ends it: none of those. */
  clarifyNone: string;
  sources: string;
  groupPrivateNote: string;
  groupAskPrivately: string;
  statusUnavailable: string;
  anonymousStatus: string;
  /** After an answer whose entry has detail: how to get it. */
  detailHint: string;
  /** "详细" / "more" when the previous message was not an answer with detail. */
  detailNone: string;
  /** Opens the reply to a platform-family question from an asker of unknown platform (MatchResult.platformVariants). */
  platformChoiceIntro: string;
  /** Ends it: how to get one platform's full answer. */
  platformChoicePick: string;
  /** Platform ids (an entry's `platforms` value) -> the name employees know; an unknown id shows the entry's title. */
  platformNames: Readonly<Record<string, string>>;
  /**
   * Opens a platform-neutral answer given again for a follow-up naming a platform ("那钉钉呢" after a retention
   * answer): `name` as in {@link platformNames}; `mentioned`: the answer has a point about that platform. It never says
   * the answer is the same on every platform: most answers are about WeCom's archive, which the others do not have.
   */
  platformFollowUp: (name: string, mentioned: boolean) => string;
}

const HELP_ZH_CN =
  '我是隐私助手，可以回答关于工作聊天隐私的问题，例如：\n' +
  '- 管理员能看到我的聊天记录吗？\n- 我的聊天有没有被存档？\n- 我可以拒绝会话存档吗？\n- 公司监控聊天合法吗？\n' +
  '直接用一句话提问即可；';
const HELP_ZH_TW =
  '我是隱私助手，可以回答關於工作聊天隱私的問題，例如：\n' +
  '- 管理員能看到我的聊天記錄嗎？\n- 我的聊天有沒有被存檔？\n- 我可以拒絕會話存檔嗎？\n- 公司監控聊天合法嗎？\n' +
  '直接用一句話提問即可；';
const HELP_EN =
  'I am the privacy assistant. I answer questions about privacy in work chats, for example:\n' +
  '- Can admins read my chats?\n- Are my chats archived?\n- Can I refuse session archiving?\n- Is it legal for my employer to monitor chats?\n' +
  'Just ask in one sentence.';

const zhCN: Messages = {
  help: `${HELP_ZH_CN}涉及你本人存档状态的问题，我会附上你自己的状态（在群里只私信发给你）。`,
  helpAnonymous: `${HELP_ZH_CN}这里是匿名提问，只有通用答案，不显示个人存档状态。`,
  helpNoPrivate: `${HELP_ZH_CN}群里不显示个人存档状态；想查你自己的状态，请单独私聊我。`,
  greeting: '你好！我是隐私助手，可以回答工作聊天隐私和会话存档的问题。发送“帮助”查看示例。',
  thanks: '不客气！还有关于工作聊天隐私或会话存档的问题，直接问我就好。',
  welcome: '你好，我是隐私助手 / Hi, I am the privacy assistant. 问我“管理员能看到我的聊天吗？”或发送“帮助”。Ask me "Can admins read my chats?" or send "help".',
  nonText: '抱歉，我目前只能读文字消息，请用文字提问。/ Sorry, I can only read text messages — please type your question.',
  fallbackIntro: '我不太确定你问的是哪个问题。',
  fallbackPick: '你可能想问（回复数字即可查看答案）：',
  fallbackNone: '你可以换个说法再问一次，或发送“帮助”查看我能回答的问题。与隐私无关的事务请联系 HR 或 IT。',
  offTopic: '这个问题不在我回答的范围：我只回答中国大陆公司里企业微信、钉钉、飞书工作聊天的隐私问题，比如管理员能不能看聊天记录、会话存档、你的权利。工资、请假、IT 故障请联系 HR 或 IT，其他地区的法律或别的应用请问法务或专业人士；发送“帮助”查看我能回答的问题。',
  clarifyIntro: '这个问题可以有几种理解，你想问的是哪一个？（回复数字即可查看答案）',
  clarifyNone: '都不是？请多说一句你想了解的具体情况，或发送“帮助”查看我能回答的问题。',
  sources: '来源：',
  groupPrivateNote: '（你本人的存档状态已私信发给你，不在群里公开。）',
  groupAskPrivately: '（个人存档状态不在群里显示；请单独私聊我查询。）',
  statusUnavailable: '你的会话存档状态暂时无法查询，请稍后再试。',
  anonymousStatus: '（匿名提问不显示个人存档状态。）',
  detailHint: '回复“详细”查看更多。',
  detailNone: '上一条回答没有更多细节。你可以换个说法提问，或发送“帮助”查看我能回答的问题。',
  platformChoiceIntro: '要看你的公司用的是哪个平台：',
  platformChoicePick: '回复数字查看该平台的完整答案和来源。',
  platformNames: { wecom: '企业微信', dingtalk: '钉钉', feishu: '飞书' },
  platformFollowUp: (name, mentioned) =>
    mentioned ? `关于${name}：看下面回答里讲到${name}的部分。` : `关于${name}：下面的回答没有单独讲${name}；讲到具体平台的内容只适用于那个平台，其余（法律、你的权利）同样适用于${name}。`,
};

const zhTW: Messages = {
  help: `${HELP_ZH_TW}涉及你本人存檔狀態的問題，我會附上你自己的狀態（在群裡只私訊發給你）。`,
  helpAnonymous: `${HELP_ZH_TW}這裡是匿名提問，只有通用答案，不顯示個人存檔狀態。`,
  helpNoPrivate: `${HELP_ZH_TW}群裡不顯示個人存檔狀態；想查你自己的狀態，請單獨私訊我。`,
  greeting: '你好！我是隱私助手，可以回答工作聊天隱私和會話存檔的問題。傳送「幫助」查看範例。',
  thanks: '不客氣！還有關於工作聊天隱私或會話存檔的問題，直接問我就好。',
  welcome: zhCN.welcome,
  nonText: zhCN.nonText,
  fallbackIntro: '我不太確定你問的是哪個問題。',
  fallbackPick: '你可能想問（回覆數字即可查看答案）：',
  fallbackNone: '你可以換個說法再問一次，或傳送「幫助」查看我能回答的問題。與隱私無關的事務請聯繫 HR 或 IT。',
  offTopic: '這個問題不在我回答的範圍：我只回答中國大陸公司裡企業微信、釘釘、飛書工作聊天的隱私問題，例如管理員能不能看聊天紀錄、會話存檔、你的權利。薪資、請假、IT 故障請聯繫 HR 或 IT，其他地區的法律或別的應用請問法務或專業人士；傳送「幫助」查看我能回答的問題。',
  clarifyIntro: '這個問題可以有幾種理解，你想問的是哪一個？（回覆數字即可查看答案）',
  clarifyNone: '都不是？請多說一句你想了解的具體情況，或傳送「幫助」查看我能回答的問題。',
  sources: '來源：',
  groupPrivateNote: '（你本人的存檔狀態已私訊發給你，不在群裡公開。）',
  groupAskPrivately: '（個人存檔狀態不在群裡顯示；請單獨私訊我查詢。）',
  statusUnavailable: '你的會話存檔狀態暫時無法查詢，請稍後再試。',
  anonymousStatus: '（匿名提問不顯示個人存檔狀態。）',
  detailHint: '回覆「詳細」查看更多。',
  detailNone: '上一則回答沒有更多細節。你可以換個說法提問，或傳送「幫助」查看我能回答的問題。',
  platformChoiceIntro: '要看你的公司用的是哪個平台：',
  platformChoicePick: '回覆數字查看該平台的完整答案和來源。',
  platformNames: { wecom: '企業微信', dingtalk: '釘釘', feishu: '飛書' },
  platformFollowUp: (name, mentioned) =>
    mentioned ? `關於${name}：看下面回答裡講到${name}的部分。` : `關於${name}：下面的回答沒有單獨講${name}；講到具體平台的內容只適用於那個平台，其餘（法律、你的權利）同樣適用於${name}。`,
};

const en: Messages = {
  help: `${HELP_EN} Where it matters I add your own archiving status (in a group I send it to you privately).`,
  helpAnonymous: `${HELP_EN} Questions here are anonymous: general answers only, no personal archiving status.`,
  helpNoPrivate: `${HELP_EN} Personal archiving status is never shown in a group; ask me in a 1:1 chat to see yours.`,
  greeting: 'Hi! I am the privacy assistant: ask me about privacy in work chats and session archiving. Send "help" for examples.',
  thanks: "You're welcome! Ask me anything else about privacy in work chats or session archiving.",
  welcome: zhCN.welcome,
  nonText: zhCN.nonText,
  fallbackIntro: "I'm not sure which question you mean.",
  fallbackPick: 'Did you mean (reply with the number):',
  fallbackNone: 'Try asking in other words, or send "help" to see what I can answer. For anything not about privacy, please contact HR or IT.',
  offTopic: 'That is not something I answer: I only answer questions about privacy in work chats on WeCom, DingTalk and Feishu at companies in mainland China, such as whether admins can read them, session archiving and your rights. For pay, leave or IT problems please contact HR or IT, and for other places\' laws or other apps a legal adviser; send "help" to see what I can answer.',
  clarifyIntro: 'That could mean a few things. Which one do you mean? (reply with the number)',
  clarifyNone: 'None of these? Tell me a little more about your situation, or send "help" to see what I can answer.',
  sources: 'Sources:',
  groupPrivateNote: '(I have sent your personal archiving status to you privately, not to the group.)',
  groupAskPrivately: '(Personal archiving status is never shown in a group; ask me in a 1:1 chat to see yours.)',
  statusUnavailable: 'Your archiving status cannot be looked up right now; please try again later.',
  anonymousStatus: '(Personal archiving status is not shown for anonymous questions.)',
  detailHint: 'Reply "more" for details.',
  detailNone: 'There is no more detail for the last answer. Try asking in other words, or send "help" to see what I can answer.',
  platformChoiceIntro: 'It depends on which app your company uses:',
  platformChoicePick: 'Reply with the number for that app\'s full answer and its sources.',
  platformNames: { wecom: 'WeCom', dingtalk: 'DingTalk', feishu: 'Feishu / Lark' },
  platformFollowUp: (name, mentioned) =>
    mentioned ? `For ${name}: see what the answer below says about ${name}.` : `For ${name}: the answer below has no point of its own on ${name}; what it says about a named platform applies to that platform only, the rest (the law, your rights) to ${name} as well.`,
};

/** The message set for a language. */
export function messagesFor(lang: Lang): Messages {
  return lang === 'en' ? en : lang === 'zh-TW' ? zhTW : zhCN;
}
