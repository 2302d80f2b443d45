import type { Logger } from 'pino';
import { hashUserId } from '../log.ts';
import { toSimplified } from '../matching/language.ts';
import type { BotResult, Lang } from '../platform/message.ts';
import type { CommandHandler } from './router.ts';

/**
 * Questions about *someone else's* archiving status ("查一下张三的存档状态", "What is lisi's
 * archiving status?"). The bot only ever shows the asker's own status; answering such a question
 * with the status topic would show the asker theirs under the other person's name. It is refused
 * politely instead, with no status of anyone.
 *
 * A question counts when it asks for a status (an archiving/monitoring word with a status cue:
 * 存档状态, 有没有被存档, 在不在名单, archiving status, is … archived, …) AND names its owner as
 * another person: a third-person pronoun (他/她/TA, his/her/their), a name (a common surname plus
 * one or two characters, 小王/老李, 张总/李经理/王老师), or a user id (ASCII) before 的 / 's. The
 * owner is never "我/自己/本人/my", an institution (公司, 群, 客户, 员工, 大家…), a pronoun standing for customers or a
 * group named before it ("客户知道他们的聊天被存档吗"), or a chat partner ("我和张三的聊天" is the asker's own chat). Questions with no named owner ("员工的聊天会被存档吗")
 * are general questions and go on to the FAQ.
 */

const ARCHIVE = '(?:会话)?(?:存档|归档|监控|监听|记录|备份)';
/** A status cue in simplified Chinese. */
const ZH_STATUS_CUE = new RegExp(
  [
    `${ARCHIVE}(?:状态|情况|名单|范围)`,
    `(?:有没有|有无|是否|是不是|会不会|开没开|在不在)(?:被|在)?(?:公司)?(?:开通|开启|开了|开)?${ARCHIVE}`,
    `被(?:公司)?${ARCHIVE}(?:了)?(?:吗|么|没|没有|呢|？|\\?|$)`,
    `(?:开通|开启|开了|开)(?:了)?${ARCHIVE}(?:吗|么|没|没有|呢|？|\\?|$)`,
    `(?:在|进)(?:不在)?(?:公司的?)?${ARCHIVE}名单`,
    `${ARCHIVE}(?:了)?(?:吗|么|没|没有)`,
    `${ARCHIVE}(?:功能)?(?:开了|开通了|开启了|开没开|开了没|开通没|开启没)`,
  ].join('|'),
);

/** Common surnames (single character), for telling a name from an ordinary word. */
const SURNAMES =
  '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池麻苑迟邝';
/** Words that start with a surname character but are not names. */
const NOT_NAMES = new Set([
  '任何', '任何人', '高管', '高层', '周末', '方面', '方便', '马上', '程序', '钱包', '万一', '史上', '石头', '白天', '毛病', '段落', '安全', '和我',
  '全体', '全部', '全员', '全公司', '公司', '公司的', '明天', '时候', '时间', '文件', '文字', '管理员', '管理层', '管理', '司机', '连续', '华为', '江湖',
  '成员', '成年', '关于', '单位', '单聊', '党员', '包括', '项目', '项目组', '宁可', '路上', '时时', '车间', '商务', '简单', '卫生', '常用', '齐全',
  '应该', '解释', '师傅', '向上', '甘愿', '申请', '左右', '司法', '乔迁', '易于', '曲线', '游客', '谷歌', '米哈', '金融', '金额', '许多', '许可',
  '于是', '于此', '余额', '叶子', '苏州', '武汉', '常州', '温州', '杭州', '雷同', '龙头', '华人', '钟点', '姜汁', '邮件', '季度', '盛大', '康复',
  '施工', '牛人', '葛优', '关键', '关系', '朱门', '黄金', '黎明', '宫廷', '冷静', '费用', '景区', '房间', '蓝色', '明白', '明确', '查看', '查询', '查一下',
  '查下', '查查', '和谁', '和他', '和她', '和别人', '何时', '何人', '谁的', '钱的', '林子', '孔子',
]);
/** Owners that are never a specific other person. */
const NOT_PERSONS = new Set([
  '我', '我们', '咱', '咱们', '自己', '我自己', '本人', '俺', '公司', '企业', '单位', '群', '群里', '群聊', '客户', '外部', '外部联系人', '员工', '部门',
  '团队', '大家', '所有人', '每个人', '别人', '其他人', '他人', '任何人', '老板', '领导', '同事', '管理员', '人', '谁', '你', '您', '机器人', '助手',
]);

/** The chats or status a 的 gives an owner to ("张三的聊天记录", "他的存档状态"). */
const ZH_OWNED = /的\s*(?:企业微信|企微|钉钉|微信|飞书|聊天记录|聊天|会话|消息|记录|账号|存档|监控|状态|情况)/gu;
/** Words asking about a person before a status cue ("有没有", "是不是", "被"…). */
const ZH_ASKING_PERSON = /(?:帮我查一下|帮我查查|帮我看看|帮我看一下|帮我查|帮我看|查一下|查一查|查查|查下|查|看一下|看看|问一下|想知道|请问)$/u;
const ZH_PERSON_CUE = /(?:有没有|有无|是否|是不是|在不在|开没开|也被|被)/gu;
const PARTNER_MARK = /[和跟与同及]$/u;
/**
 * People outside the company, or a group, that a following 他/她/他们 refers to ("客户知道他们的聊天被存档吗": the
 * customers' chats, a general question about external-contact consent — not one other employee's status).
 */
const ZH_PRONOUN_ANTECEDENT = /(?:客户|顾客|外部联系人|外部人员|外部的人|合作方|供应商|用户|对方|员工们|同事们|大家|所有人|每个人)/u;
const ZH_PRONOUN = /^(?:他们|她们|他|她|ta|TA)$/u;

/** One character of a user id (ASCII letters, digits, `.`, `_`, `-`). */
const ID_CHAR = /[A-Za-z0-9._-]/;
const ASCII_LETTER = /[A-Za-z]/;

/**
 * The user id `b` ends with, as /[A-Za-z][A-Za-z0-9._-]{1,63}$/ would find it (the leftmost letter
 * among the last 64 id characters, 2–64 characters long), found with a loop: that expression,
 * tried at every position, takes time quadratic in the length of `b`.
 */
function idAtEnd(b: string): string | undefined {
  let start = b.length;
  while (start > 0 && b.length - start < 64 && ID_CHAR.test(b[start - 1]!)) start--;
  for (let i = start; i <= b.length - 2; i++) if (ASCII_LETTER.test(b[i]!)) return b.slice(i);
  return undefined;
}

/**
 * The owners `before` may end with: a user id, a pronoun, a name with a title, 小/老 + surname,
 * and the last three and two characters; each with what precedes it.
 */
function ownersAtEnd(before: string): { owner: string; rest: string }[] {
  const b = before.trimEnd();
  const found: { owner: string; rest: string }[] = [];
  const take = (owner: string | undefined) => {
    if (owner) found.push({ owner, rest: b.slice(0, b.length - owner.length).trimEnd() });
  };
  take(idAtEnd(b));
  take(/(?:他们|她们|他|她|ta|TA)$/u.exec(b)?.[0]);
  take(/[\u4e00-\u9fff]{1,3}(?:总|经理|老师|主管|总监|部长|主任)$/u.exec(b)?.[0]);
  take(/(?:小|老)[\u4e00-\u9fff]$/u.exec(b)?.[0]);
  for (const n of [3, 2]) {
    const tail = b.slice(-n);
    if (tail.length === n && /^[\u4e00-\u9fff]+$/u.test(tail)) take(tail);
  }
  return found;
}

/** True when `owner` (simplified Chinese or an id) is another specific person. */
function isOtherPerson(owner: string): boolean {
  const o = owner.trim();
  if (NOT_PERSONS.has(o) || NOT_NAMES.has(o)) return false;
  if (/^(?:他|她|ta|TA|他们|她们)$/u.test(o)) return true;
  if (/^[A-Za-z][A-Za-z0-9._-]{1,63}$/.test(o)) return looksLikePersonId(o);
  if (/^(?:小|老)[\u4e00-\u9fff]$/u.test(o)) return SURNAMES.includes(o[1]!);
  const title = /(?:总|经理|老师|主管|总监|部长|主任)$/u.exec(o);
  const name = title ? o.slice(0, -title[0].length) : o;
  if (name.length === 0 || NOT_NAMES.has(name) || NOT_PERSONS.has(name)) return false;
  if (title && name.length === 1) return SURNAMES.includes(name);
  return name.length >= 2 && name.length <= 3 && SURNAMES.includes(name[0]!);
}

/** English words that are not a person when they own "'s archiving …". */
const EN_NOT_PERSONS = new Set([
  'i', 'me', 'my', 'mine', 'myself', 'it', 'its', 'this', 'that', 'the', 'a', 'an', 'company', 'companys', 'employer', 'team', 'group', 'everyone', 'everybody',
  'anyone', 'anybody', 'someone', 'somebody', 'people', 'employee', 'employees', 'staff', 'wecom', 'dingtalk', 'feishu', 'lark', 'wechat', 'bot', 'boss',
  'manager', 'admin', 'administrator', 'hr', 'you', 'your', 'our', 'we', 'us', 'customer', 'customers', 'client', 'clients', 'china', 'today', 'yesterday',
  'app', 'user', 'users', 'colleague', 'colleagues', 'chat', 'chats', 'archive', 'archiving', 'status', 'who', 'whose', 'what', 'is', 'are', 'am',
  'everything', 'anything', 'something', 'nothing', 'all', 'ceo', 'cto', 'cfo', 'coo', 'vp', 'pm', 'ai', 'data', 'media', 'line', 'name', 'same',
  'long', 'song', 'man', 'men', 'can', 'ban', 'fan', 'pan', 'tan', 'ten', 'pen', 'gen', 'zen', 'bang', 'gang', 'hang', 'sang', 'tencent', 'alibaba',
  'baidu', 'huawei', 'bytedance', 'microsoft', 'google', 'apple', 'slack', 'teams', 'zoom', 'outlook', 'email', 'audio', 'video', 'voice',
  'files', 'file', 'images', 'image', 'photos', 'location', 'history', 'there', 'here', 'he', 'she',
]);
const EN_ARCHIVE = '(?:archiv\\w*|monitor\\w*|record\\w*|logg\\w*|retain\\w*|retention)';
/** An English owner: one token, or a token and a capitalised second one ("Zhang San"). */
const EN_OWNER = '([A-Za-z][A-Za-z0-9._-]*(?:\\s[A-Z][a-z]+)?)';
/**
 * Where an owner before "'s" may start: at the start of a run of id characters (after leading dots or
 * dashes). A plain \\b would also try every letter after a dot or dash inside the run ("a-b-c-…"),
 * each time reading the run to its end: quadratic time.
 */
const EN_OWNER_START = '(?<![A-Za-z0-9._-])[._-]*\\b';
const EN_PATTERNS: RegExp[] = [
  // lisi's archiving status / Zhang San's chats are archived (matched case-sensitively for the name)
  new RegExp(`${EN_OWNER_START}${EN_OWNER}'s\\s+(?:(?:WeCom|wecom|DingTalk|dingtalk|Feishu|feishu|WeChat|wechat|work)\\s+)?(?:${EN_ARCHIVE}|chats?|messages?|account|status)`, 'gu'),
  // Is lisi archived? / Is Wang Wu being monitored?
  new RegExp(`^\\s*(?:[Ii]s|[Aa]re|[Hh]as|[Hh]ave|[Ww]as)\\s+${EN_OWNER}\\s+(?:(?:being|been|also|still)\\s+)*(?:archived|monitored|recorded)\\b`, 'gu'),
  // archiving status of lisi / status for user zhangsan
  new RegExp(`\\b(?:[Ss]tatus|[Aa]rchiving|[Aa]rchive)\\s+(?:of|for)\\s+(?:user\\s+|employee\\s+|colleague\\s+)?${EN_OWNER}\\b`, 'gu'),
];
/**
 * "his chats … archived": a pronoun owner ({@link EN_PRONOUN_HEAD}) followed later on the same line by an archiving
 * word ({@link EN_ARCHIVE_WORD}); see {@link pronounOwnerAsked}. (One expression `head.*archive` would read the
 * rest of the line again after every head: quadratic time.)
 */
const EN_PRONOUN_HEAD = new RegExp(`\\b(?:his|her|their)\\s+(?:(?:wecom|dingtalk|feishu|wechat|work)\\s+)?(?:chats?|messages?|account|${EN_ARCHIVE}\\s+status)\\b`, 'giu');
const EN_ARCHIVE_WORD = new RegExp(`\\b${EN_ARCHIVE}`, 'giu');
/** Plural groups a following "their" refers to (customers, employees, …): not one other person. */
const EN_GROUP_ANTECEDENT = /\b(?:customers|clients|(?:external\s+)?contacts|employees|colleagues|co-?workers|staff|people|users|members|everyone|everybody|teams?|partners|suppliers|vendors|companies|managers|admins)\b/iu;
/** What `.` does not match: the line terminators. */
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/gu;
const EN_STATUS_CUE = new RegExp(`${EN_ARCHIVE}|\\bstatus\\b`, 'iu');

/**
 * True when `text` asks for the archiving status of a person other than the asker.
 * @param text the question as the employee wrote it (any of zh-CN, zh-TW, en)
 */
export function asksAboutSomeoneElse(text: string): boolean {
  const t = toSimplified(text.normalize('NFKC')).replace(/[\u2018\u2019]/g, "'");
  if (ZH_STATUS_CUE.test(t)) {
    // "张三的存档状态": the owner before 的; never a chat partner ("我和张三的聊天" is the asker's).
    for (const m of t.matchAll(ZH_OWNED)) {
      for (const { owner, rest } of ownersAtEnd(t.slice(0, m.index))) {
        if (ZH_PRONOUN.test(owner) && ZH_PRONOUN_ANTECEDENT.test(rest)) continue;
        if (!PARTNER_MARK.test(rest) && !PARTNER_MARK.test(owner[0]!) && isOtherPerson(owner)) return true;
      }
    }
    // "查一下李四有没有被存档", "李四是不是在存档名单里": the owner before the cue, asked about.
    for (const m of t.matchAll(ZH_PERSON_CUE)) {
      for (const { owner, rest } of ownersAtEnd(t.slice(0, m.index))) {
        if ((rest === '' || ZH_ASKING_PERSON.test(rest)) && isOtherPerson(owner)) return true;
      }
    }
  }
  if (EN_STATUS_CUE.test(t)) {
    for (const re of EN_PATTERNS) {
      for (const m of t.matchAll(re)) if (isEnglishPerson(m[1]!)) return true;
    }
    if (pronounOwnerAsked(t)) return true;
  }
  return false;
}

/**
 * True when some {@link EN_PRONOUN_HEAD} is followed by an {@link EN_ARCHIVE_WORD} with no line terminator between
 * them (what /head.*archive/iu matches), in time linear in the length of `t`: heads, archiving words and line
 * terminators are each found once, in order, and walked with three pointers.
 */
function pronounOwnerAsked(t: string): boolean {
  // "their" after a group ("Do customers have to agree before their chats … are archived?") is that group's, not a person's.
  const groupAt = t.search(EN_GROUP_ANTECEDENT);
  const heads = [...t.matchAll(EN_PRONOUN_HEAD)].filter((m) => !(groupAt >= 0 && groupAt < m.index && /^their/i.test(m[0]))).map((m) => m.index + m[0].length);
  if (heads.length === 0) return false;
  const words = [...t.matchAll(EN_ARCHIVE_WORD)].map((m) => m.index);
  const breaks = [...t.matchAll(LINE_TERMINATOR)].map((m) => m.index);
  let w = 0;
  let b = 0;
  for (const end of heads) {
    while (w < words.length && words[w]! < end) w++;
    if (w === words.length) return false;
    while (b < breaks.length && breaks[b]! < end) b++;
    if (b === breaks.length || breaks[b]! > words[w]!) return true;
  }
  return false;
}

function isEnglishPerson(owner: string): boolean {
  const words = owner.trim().split(/\s+/);
  if (words.length === 2) {
    // "Is John's chat…": the capitalised pair may begin with a sentence's first word.
    if (EN_NOT_PERSONS.has(words[0]!.toLowerCase())) return looksLikePersonId(words[1]!);
    return words.every((w) => /^[A-Z][a-z]+$/.test(w) && !EN_NOT_PERSONS.has(w.toLowerCase()));
  }
  return words.length === 1 && looksLikePersonId(words[0]!);
}

/** Pinyin syllables (permissive on finals; a syllable without an initial starts with a, o or e). */
const PINYIN_INITIALS = ['zh', 'ch', 'sh', ...'bpmfdtnlgkhjqxrzcsyw'];
const PINYIN_FINALS = ['iang', 'iong', 'uang', 'ang', 'eng', 'ing', 'ong', 'ian', 'iao', 'uai', 'uan', 'ai', 'ei', 'ao', 'ou', 'an', 'en', 'in', 'un', 'ia', 'ie', 'iu', 'ua', 'uo', 'ue', 'ui', 'a', 'o', 'e', 'i', 'u', 'v'];
const PINYIN_SYLLABLES: ReadonlySet<string> = new Set([
  ...PINYIN_INITIALS.flatMap((i) => PINYIN_FINALS.map((f) => i + f)),
  ...['ang', 'eng', 'ai', 'an', 'ao', 'ei', 'en', 'er', 'ou', 'a', 'o', 'e'],
]);
const PINYIN_SYLLABLE_MAX = Math.max(...[...PINYIN_SYLLABLES].map((s) => s.length));

/**
 * True when `lower` is one or more pinyin syllables ("zhangsan", "lisi"). A left-to-right walk over the
 * positions a syllable can end at, linear in the length: the same test written as one regular expression,
 * /^(?:syllable)+$/, takes exponential time on strings that split into syllables in many ways.
 */
function isPinyin(lower: string): boolean {
  if (lower.length === 0) return false;
  const reachable = new Array<boolean>(lower.length + 1).fill(false);
  reachable[0] = true;
  for (let i = 0; i < lower.length; i++) {
    if (!reachable[i]) continue;
    for (let n = 1; n <= PINYIN_SYLLABLE_MAX && i + n <= lower.length; n++) if (PINYIN_SYLLABLES.has(lower.slice(i, i + n))) reachable[i + n] = true;
  }
  return reachable[lower.length]!;
}

/**
 * A token that names a person rather than a thing: a romanised Chinese name (only pinyin
 * syllables: zhangsan, lisi, wangwu), a capitalised name (John, Lisi), or a user id with digits,
 * dots or underscores (zhang.san, u00012) — and not one of {@link EN_NOT_PERSONS}.
 */
function looksLikePersonId(token: string): boolean {
  const lower = token.toLowerCase();
  if (EN_NOT_PERSONS.has(lower.replace(/[^a-z]/g, ''))) return false;
  if (/[0-9._]/.test(token)) return /[a-z]/i.test(token);
  return isPinyin(lower) || /^[A-Z][a-z]{1,20}$/.test(token);
}

const REFUSAL: Record<Lang, string> = {
  'zh-CN': '我只能告诉你你本人的存档状态，不能查询其他人的。想了解同事的情况，请让对方自己来问我，或联系公司管理员。要查你自己的，可以问“我的聊天有没有被存档”。',
  'zh-TW': '我只能告訴你你本人的存檔狀態，不能查詢其他人的。想了解同事的情況，請讓對方自己來問我，或聯繫公司管理員。要查你自己的，可以問「我的聊天有沒有被存檔」。',
  en: "I can only tell you your own archiving status, not anyone else's. A colleague can ask me about theirs themselves, or you can contact your company's administrator. To check your own, ask \"Are my chats archived?\"",
};

/**
 * The command that refuses questions about another person's status (register it in the router's
 * `commands`, before FAQ matching). Intent 'other-person'; no status is looked up or shown.
 */
export function createThirdPartyRefusal(options: { log: Logger }): CommandHandler {
  return async (m, lang): Promise<BotResult | null> => {
    if (m.kind !== 'text' || !asksAboutSomeoneElse(m.text)) return null;
    options.log.info({ platform: m.platform, user: hashUserId(m.platform, m.userId) }, 'question about another person refused');
    return {
      intent: 'other-person',
      topic: null,
      score: 1,
      suggestions: [],
      lang,
      replies: [{ text: REFUSAL[lang], visibility: 'chat', mentionAsker: m.chat.kind === 'group' }],
    };
  };
}
