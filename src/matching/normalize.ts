/**
 * Question normalisation for matching: one pure function, {@link normalizeQuestion}.
 *
 * Steps, in order:
 * 1. cap raw input ({@link RAW_INPUT_CAP} UTF-16 units) so hostile input costs bounded time;
 * 2. remove @-mentions (WeCom/WeChat end a mention with U+2005; DingTalk with a plain space; full-width ＠ too);
 * 3. control / format characters -> space; Unicode NFKC; lowercase;
 * 4. traditional -> simplified characters (OpenCC 't' -> 'cn') plus a few Taiwan word forms (訊息 -> 消息 …);
 * 5. emoji, symbols and punctuation runs -> one space; whitespace collapsed;
 * 6. English -> Chinese domain glossary (wecom -> 企业微信, archive -> 存档, consent -> 同意 …) and Chinese aliases
 *    (企微 -> 企业微信 …);
 * 7. homophone-typo repair against the domain vocabulary by toneless pinyin (存挡 -> 存档, 钉丁 -> 钉钉,
 *    企业威信 -> 企业微信); a window is repaired only when its pinyin equals a domain word's and it shares at least
 *    one character with it;
 * 8. result capped at {@link NORMALIZED_CAP} characters (code points).
 *
 * The glossary and vocabulary are general domain language (how employees name the platforms and privacy
 * concepts), not copies of any evaluation question.
 */
import { pinyin } from 'pinyin-pro';
import { toSimplified } from './language.ts';

/** Raw input beyond this many UTF-16 code units is ignored before any processing. */
export const RAW_INPUT_CAP = 2000;
/** The normalised question is cut to this many characters (code points). */
export const NORMALIZED_CAP = 500;

/**
 * English words and phrases -> Chinese domain words. Keys are lowercase; multi-word keys use single spaces
 * (hyphens are turned into spaces before lookup). Single words are also found through simple inflection
 * stripping (-s, -es, -ed, -ing, -d), so list base forms.
 */
const EN_PHRASES: Record<string, string> = {
  // platforms
  'wecom': '企业微信', 'we com': '企业微信', 'wework': '企业微信', 'wechat work': '企业微信',
  'work wechat': '企业微信', 'enterprise wechat': '企业微信', 'weixin work': '企业微信', 'qiwei': '企业微信',
  'personal wechat': '个人微信', 'private wechat': '个人微信', 'own wechat': '个人微信', 'wechat': '微信', 'weixin': '微信',
  'dingtalk': '钉钉', 'ding talk': '钉钉', 'dingding': '钉钉', 'lark': '飞书', 'feishu': '飞书', 'larksuite': '飞书',
  'tencent': '腾讯', 'alibaba': '阿里巴巴', 'bytedance': '字节跳动',
  // archiving and chats
  'session archiving': '会话存档', 'session archive': '会话存档', 'conversation archiving': '会话存档',
  'chat archiving': '聊天记录 存档', 'message archiving': '聊天记录 存档', 'archive': '存档', 'archiving': '存档',
  'chat history': '聊天记录', 'chat log': '聊天记录', 'chat record': '聊天记录', 'message history': '聊天记录',
  'group chat': '群聊', 'group': '群聊', 'private chat': '私聊', 'direct message': '私聊', 'dm': '私聊',
  'chat': '聊天记录', 'message': '聊天记录', 'conversation': '会话', 'session': '会话', 'msg': '聊天记录',
  'read receipt': '已读', 'read status': '已读', 'unread': '未读', 'seen': '已读',
  'recall': '撤回', 'unsend': '撤回', 'retract': '撤回', 'withdraw': '撤回',
  'delete': '删除', 'erase': '删除', 'remove': '删除',
  'encrypt': '加密', 'encryption': '加密', 'end to end': '端到端 加密', 'e2ee': '端到端 加密',
  'export': '导出', 'download': '下载', 'backup': '备份',
  'file': '文件', 'document': '文件', 'image': '图片', 'photo': '图片', 'picture': '图片', 'screenshot': '截图',
  'voice': '语音', 'audio': '语音', 'video': '视频', 'call': '通话', 'link': '链接',
  'external contact': '外部联系人', 'customer': '客户', 'client': '客户',
  // people
  'admin': '管理员', 'administrator': '管理员', 'it department': '管理员', 'it admin': '管理员',
  'manager': '领导', 'boss': '领导', 'supervisor': '领导', 'leader': '领导', 'leadership': '领导',
  'employer': '公司', 'company': '公司', 'organization': '公司', 'organisation': '公司', 'firm': '公司',
  'hr': '人事', 'human resource': '人事', 'employee': '员工', 'staff': '员工', 'worker': '员工',
  'colleague': '同事', 'coworker': '同事', 'co worker': '同事', 'friend': '朋友', 'family': '家人',
  'bot': '机器人', 'assistant': '机器人', 'chatbot': '机器人',
  // actions and concepts
  'consent': '同意', 'agree': '同意', 'approval': '同意', 'permission': '同意',
  'opt out': '拒绝', 'refuse': '拒绝', 'decline': '拒绝', 'object': '拒绝', 'say no': '拒绝',
  'notice': '通知', 'notify': '通知', 'notification': '通知', 'inform': '告知', 'tell': '告知',
  'acknowledge': '确认', 'acknowledgement': '确认', 'acknowledgment': '确认', 'confirm': '确认',
  'see': '看到', 'read': '看', 'view': '查看', 'look at': '查看', 'access': '查看', 'visible': '看到', 'check': '查看',
  'spy': '偷看', 'snoop': '偷看',
  'monitor': '监控', 'surveil': '监控', 'surveillance': '监控', 'watch': '监控', 'track': '追踪',
  'record': '记录', 'log': '记录', 'store': '保存', 'save': '保存', 'keep': '保存', 'kept': '保存',
  'retain': '保存', 'retention': '保存期限', 'how long': '多久',
  'legal': '合法', 'lawful': '合法', 'illegal': '违法', 'unlawful': '违法', 'law': '法律', 'regulation': '法规',
  'pipl': '个人信息保护法', 'personal information protection law': '个人信息保护法',
  'personal information': '个人信息', 'personal data': '个人信息', 'my data': '我的 个人信息',
  'privacy': '隐私', 'private': '私人', 'personal': '个人', 'right': '权利',
  'complain': '投诉', 'complaint': '投诉', 'report': '举报', 'whistleblow': '举报',
  'leak': '泄露', 'breach': '泄露', 'protect': '保护', 'tip': '技巧', 'advice': '建议',
  'location': '位置', 'gps': '定位', 'clock in': '打卡', 'check in': '打卡', 'attendance': '考勤',
  'screen': '屏幕', 'computer': '电脑', 'laptop': '电脑', 'pc': '电脑', 'browsing': '上网记录',
  'browsing history': '上网记录', 'internet': '上网', 'web': '网页', 'phone': '手机', 'mobile': '手机',
  'two factor': '双重验证', 'two step': '双重验证', '2fa': '双重验证', 'mfa': '双重验证',
  'password': '密码', 'account': '账号', 'secure': '安全', 'safe': '安全', 'safer': '安全', 'security': '安全',
  'alternative': '替代', 'app': '软件', 'tool': '工具', 'software': '软件',
  'question': '问题', 'ask': '问',
  'leave the company': '离职', 'leave': '离职', 'quit': '离职', 'resign': '离职', 'resignation': '离职',
  'turn on': '开启', 'enable': '开启', 'switch on': '开启', 'turn off': '关闭', 'disable': '关闭',
  'status': '状态', 'cost': '收费', 'fee': '收费', 'price': '收费', 'charge': '收费', 'pay': '收费',
  'who': '谁', 'what is': '什么是', 'legally': '合法',
};

/** Chinese aliases and Taiwan word forms (already converted to simplified characters) -> canonical words. */
const ZH_ALIASES: ReadonlyArray<readonly [string, string]> = [
  ['企业版微信', '企业微信'], ['微信企业版', '企业微信'], ['企微', '企业微信'], ['企业wx', '企业微信'],
  ['个人wx', '个人微信'], ['私人微信', '个人微信'], ['自己的微信', '个人微信'], ['我的微信', '我的个人微信'],
  ['it部门', '管理员'], ['it人员', '管理员'], ['it管理员', '管理员'], ['it同事', '管理员'],
  ['丁丁', '钉钉'], ['叮叮', '钉钉'],
  ['会话内容存档', '会话存档'], ['聊天存档', '聊天记录 存档'],
  ['讯息', '消息'], ['资讯安全', '信息安全'], ['软体', '软件'], ['萤幕', '屏幕'], ['帐号', '账号'],
  ['个资', '个人信息'], ['个人资料', '个人信息'], ['网路', '网络'], ['档案', '文件'], ['透过', '通过'],
  ['脸书', 'facebook'],
];

/**
 * Domain words that homophone typos are repaired to. 微信 alone is left out (威信 is an ordinary word); the
 * compounds containing it are in.
 */
export const TYPO_VOCABULARY: readonly string[] = [
  '企业微信', '个人微信', '会话存档', '存档', '会话', '钉钉', '飞书', '隐私', '管理员', '聊天记录', '聊天',
  '监控', '撤回', '加密', '同意', '权限', '泄露', '投诉', '考勤', '打卡', '已读', '导出', '离职', '群聊',
  '删除', '个人信息', '外部联系人', '私聊', '记录', '查看', '定位',
];

/**
 * Ordinary words that sound like a domain word and share a character with it, so must not be "repaired"
 * (found by comparing the vocabulary's pinyin with jieba's dictionary): 同一 ~ 同意, 定为 ~ 定位, 回话 ~ 会话 …
 */
const REAL_WORD_HOMOPHONES: ReadonlySet<string> = new Set([
  '同一', '同义', '回话', '汇话', '威信', '定为', '订位', '投宿', '查勘', '大卡', '达卡', '易读', '异读', '因私',
  '群僚', '辑录', '键控', '检控', '飞鼠', '加米',
]);

const SPACE_LIKE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;
/** @-mention ended by U+2005 (WeCom/WeChat): the name may contain spaces. Applied before NFKC. */
const MENTION_2005 = /[@＠][^@＠\u2005\n]{1,40}\u2005/g;
/**
 * @-mention ended by whitespace or the end of the text (DingTalk and typed mentions): up to 20 non-space
 * characters, plus up to 3 following capitalised Latin words ("@Privacy Bot"), which must be followed by more text.
 * Not preceded by a letter or digit (so e-mail addresses stay).
 */
const MENTION_PLAIN = /(^|[^\p{L}\p{N}])@[^\s@]{1,20}(?:\s+[A-Z][A-Za-z]*(?=\s+\S)){0,3}(?=\s|$)/gu;
const EMOJI_SYMBOL_PUNCT = /[\p{Extended_Pictographic}\p{Emoji_Modifier}\p{P}\p{S}\u200d\ufe0e\ufe0f]+/gu;
const HAN = /\p{Script=Han}/u;
const LATIN_RUN = /[a-z][a-z0-9]*(?:[ '][a-z][a-z0-9]*)*/g;

const PHRASE_KEYS = Object.keys(EN_PHRASES).filter((k) => k.includes(' '));
const MAX_PHRASE_WORDS = Math.max(...PHRASE_KEYS.map((k) => k.split(' ').length));

/**
 * Normalises one question for matching (see the module comment for the steps).
 * @param raw user text, possibly with @-mentions, traditional characters, English, typos, emoji; non-strings give ''.
 * @returns lowercase simplified text, words separated by single spaces, at most {@link NORMALIZED_CAP} characters.
 * Never throws.
 */
export function normalizeQuestion(raw: string): string {
  if (typeof raw !== 'string' || raw.length === 0) return '';
  let s = raw.length > RAW_INPUT_CAP ? raw.slice(0, RAW_INPUT_CAP) : raw;
  s = s.replace(MENTION_2005, ' ');
  s = s.replace(SPACE_LIKE, ' ').normalize('NFKC');
  s = s.replace(MENTION_PLAIN, '$1 ');
  s = s.toLowerCase();
  if (HAN.test(s)) s = toSimplified(s);
  s = s.replace(/-/g, ' ').replace(EMOJI_SYMBOL_PUNCT, ' ').replace(/\s+/g, ' ').trim();
  for (const [from, to] of ZH_ALIASES) if (s.includes(from)) s = s.split(from).join(to);
  s = translateEnglish(s);
  if (HAN.test(s)) s = repairHomophones(s);
  s = s.replace(/\s+/g, ' ').trim();
  const chars = Array.from(s);
  return chars.length > NORMALIZED_CAP ? chars.slice(0, NORMALIZED_CAP).join('').trim() : s;
}

/** Looks up one lowercase English word, trying simple inflections. */
function lookupWord(word: string): string | undefined {
  const direct = EN_PHRASES[word];
  if (direct !== undefined) return direct;
  const candidates: string[] = [];
  if (word.endsWith('ies')) candidates.push(word.slice(0, -3) + 'y');
  if (word.endsWith('es')) candidates.push(word.slice(0, -2));
  if (word.endsWith('s')) candidates.push(word.slice(0, -1));
  if (word.endsWith('ed')) candidates.push(word.slice(0, -2), word.slice(0, -1));
  if (word.endsWith('ing')) candidates.push(word.slice(0, -3), word.slice(0, -3) + 'e');
  if (word.endsWith('ly')) candidates.push(word.slice(0, -2));
  for (const c of candidates) {
    const hit = EN_PHRASES[c];
    if (hit !== undefined) return hit;
  }
  return undefined;
}

/** Replaces glossary words and phrases inside each run of Latin words; unknown words are kept. */
function translateEnglish(s: string): string {
  if (!/[a-z]/.test(s)) return s;
  return s.replace(LATIN_RUN, (run) => {
    const words = run.replace(/'/g, ' ').split(' ').filter(Boolean);
    const out: string[] = [];
    for (let i = 0; i < words.length; ) {
      let matched = false;
      for (let n = Math.min(MAX_PHRASE_WORDS, words.length - i); n >= 2; n--) {
        const phrase = words.slice(i, i + n).join(' ');
        const hit = EN_PHRASES[phrase] ?? lookupPhraseInflected(words.slice(i, i + n));
        if (hit !== undefined) {
          out.push(hit);
          i += n;
          matched = true;
          break;
        }
      }
      if (matched) continue;
      const w = words[i] as string;
      out.push(lookupWord(w) ?? w);
      i++;
    }
    return ` ${out.join(' ')} `;
  });
}

/** A phrase whose last word is inflected ("chat logs", "group chats", "turned on" is not handled). */
function lookupPhraseInflected(words: string[]): string | undefined {
  const last = words[words.length - 1] as string;
  for (const stem of [last.replace(/ies$/, 'y'), last.replace(/es$/, ''), last.replace(/s$/, ''), last.replace(/ing$/, '')]) {
    if (stem === last) continue;
    const hit = EN_PHRASES[[...words.slice(0, -1), stem].join(' ')];
    if (hit !== undefined) return hit;
  }
  return undefined;
}

interface VocabWord {
  word: string;
  chars: string[];
  syllables: string[];
}

const VOCAB: VocabWord[] = TYPO_VOCABULARY.map((word) => ({
  word,
  chars: Array.from(word),
  syllables: pinyin(word, { toneType: 'none', type: 'array' }),
})).sort((a, b) => b.chars.length - a.chars.length);

const VOCAB_BY_FIRST = new Map<string, VocabWord[]>();
for (const v of VOCAB) {
  const first = v.syllables[0] as string;
  const list = VOCAB_BY_FIRST.get(first) ?? [];
  list.push(v);
  VOCAB_BY_FIRST.set(first, list);
}

/**
 * Replaces character windows whose toneless pinyin equals a domain word's, that share at least one character
 * with it, and that are not already the word. Longer words are tried first; repaired text is not re-scanned.
 */
function repairHomophones(s: string): string {
  const chars = Array.from(s);
  const syl = pinyin(s, { toneType: 'none', type: 'array' });
  if (syl.length !== chars.length) return s; // alignment not guaranteed: leave the text as it is
  const out: string[] = [];
  for (let i = 0; i < chars.length; ) {
    const candidates = VOCAB_BY_FIRST.get(syl[i] as string);
    let replaced = false;
    if (candidates) {
      for (const v of candidates) {
        const k = v.chars.length;
        if (i + k > chars.length) continue;
        let same = true;
        let shared = 0;
        let identical = true;
        for (let j = 0; j < k; j++) {
          if (syl[i + j] !== v.syllables[j]) {
            same = false;
            break;
          }
          if (chars[i + j] === v.chars[j]) shared++;
          else identical = false;
        }
        if (!same || (!identical && shared === 0)) continue; // no shared character: too likely another real word
        if (!identical && REAL_WORD_HOMOPHONES.has(chars.slice(i, i + k).join(''))) continue;
        out.push(v.word);
        i += k;
        replaced = true;
        break;
      }
    }
    if (!replaced) {
      out.push(chars[i] as string);
      i++;
    }
  }
  return out.join('');
}
