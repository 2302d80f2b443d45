import { randomUUID } from 'node:crypto';
import type Router from '@koa/router';
import getRawBody from 'raw-body';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Context } from 'koa';
import type { KnowledgeBase } from '../knowledge/types.ts';
import { BotError, RequestError, requestError } from '../errors.ts';
import { hashUserId } from '../log.ts';
import { refuseConnectionReuse } from './connection.ts';
import type { InboundMessage, Lang, MessageHandler } from '../platform/message.ts';
import type { KeyValueStore } from '../store/ports/store.ts';
import { escapeHtml, replyHtml } from '../reply-links.ts';
import { toTaiwanTraditional } from '../bot/traditional.ts';
import { TRY_MAX_BODY_BYTES, TRY_MAX_QUESTION_CHARS } from '../platform/try.ts';

export { TRY_MAX_BODY_BYTES, TRY_MAX_QUESTION_CHARS };

/** What the /try page needs of the core: the router, the knowledge base (titles), the store (per-address counts). */
export type TryCore = { handle: MessageHandler; kb: KnowledgeBase; store: Pick<KeyValueStore, 'increment'> };

/**
 * Example questions the /try page shows in its input box, by page language (the browser's language, then the
 * language of the last question). Each must land on the right topic: test/src/matching/examples.test.ts reads them
 * from the served HTML.
 */
export const TRY_PLACEHOLDER_EXAMPLES: Readonly<Record<Lang, string>> = {
  'zh-CN': '管理员能看到我的聊天记录吗？',
  'zh-TW': '管理員能看到我的聊天記錄嗎？',
  en: 'Can admins read my chats?',
};

/**
 * Starter questions the /try page offers as buttons before the first question (a newcomer's trial found an empty chat
 * area), by the page's own language; a button asks its question as if typed. Each must land on the right topic:
 * test/src/matching/examples.test.ts reads them from the served HTML; zh-TW is the OpenCC twp conversion of zh-CN
 * (test/src/http/try-page.test.ts).
 */
export const TRY_STARTER_QUESTIONS: Readonly<Record<Lang, readonly string[]>> = {
  'zh-CN': ['公司开了会话存档，我能拒绝吗？', '撤回的消息还会被存档吗？', '离职后我的聊天记录会怎样？'],
  'zh-TW': ['公司開了會話存檔，我能拒絕嗎？', '撤回的訊息還會被存檔嗎？', '離職後我的聊天記錄會怎樣？'],
  en: ['Can I refuse session archiving?', 'Are recalled messages still archived?', 'What happens to my chats after I leave?'],
};

/** The /try page's own texts ("chrome": not the bot's answers) in one page language. */
export interface TryPageTexts {
  /** The document title (browser tab). */
  title: string;
  heading: string;
  /** The line under the heading: what the page is and that the asker is anonymous. */
  note: string;
  /** The input's accessible name. */
  question: string;
  send: string;
  /** The toggle over each answer's intent / topic / score line. */
  details: string;
  /** Before the example question in the placeholder. */
  examplePrefix: string;
  /** The placeholder when even the example alone does not fit the input (a narrow phone). */
  shortPlaceholder: string;
  /** Before an error's status and message. */
  error: string;
  /** Before a failed request's reason. */
  networkError: string;
  /** Above the starter questions ({@link TRY_STARTER_QUESTIONS}) shown before the first question. */
  starters: string;
}

/**
 * The page's texts by page language; the script picks one set from the browser's languages (navigator.languages,
 * in order of preference, the first Chinese or English one: en* -> en; zh-TW, zh-HK, zh-MO, zh-Hant* -> zh-TW; other
 * zh* -> zh-CN; none of them, as for a French or Japanese browser -> en, the language a non-Chinese reader is likelier
 * to read) and keeps it.
 * The same decision is what adapters' scripts get as `window.privacyBotTry.lang` ({@link TryPageOptions.scripts}).
 * zh-TW is written out, not converted at run time: it is what src/matching/traditional.ts `toTaiwanTraditional`
 * (OpenCC twp with the reviewed fixes) makes of the zh-CN texts, and test/src/http/try-page.test.ts checks that it
 * still is. The served HTML shows zh-CN and en together until the script runs.
 */
export const TRY_PAGE_TEXTS: Readonly<Record<Lang, TryPageTexts>> = {
  'zh-CN': {
    title: 'privacy-bot · 试用',
    heading: 'privacy-bot · 试用',
    note: '本地试用页：与企业微信、钉钉、飞书使用同一个问答路由，但你是匿名的，只显示知识库答案，不显示个人存档状态。',
    question: '问题',
    send: '发送',
    details: '详情',
    examplePrefix: '例如：',
    shortPlaceholder: '输入你的问题',
    error: '出错',
    networkError: '网络错误',
    starters: '可以这样问，或在下面输入你的问题：',
  },
  'zh-TW': {
    title: 'privacy-bot · 試用',
    heading: 'privacy-bot · 試用',
    note: '本地試用頁：與企業微信、釘釘、飛書使用同一個問答路由，但你是匿名的，只顯示知識庫答案，不顯示個人存檔狀態。',
    question: '問題',
    send: '傳送',
    details: '詳情',
    examplePrefix: '例如：',
    shortPlaceholder: '輸入你的問題',
    error: '出錯',
    networkError: '網路錯誤',
    starters: '可以這樣問，或在下面輸入你的問題：',
  },
  en: {
    title: 'privacy-bot · try it',
    heading: 'privacy-bot · try it',
    note: 'Local trial page: the same router as WeCom, DingTalk and Feishu/Lark, as an anonymous user — FAQ answers only, never a personal status.',
    question: 'Question',
    send: 'Send',
    details: 'details',
    examplePrefix: 'e.g. ',
    shortPlaceholder: 'Ask a question',
    error: 'Error',
    networkError: 'Network error',
    starters: 'Try one of these, or type your own question below:',
  },
};

/**
 * Questions one client address may ask /try/ask per {@link TRY_ADDRESS_WINDOW_MS}; beyond it the answer is
 * 429 TRY_RATE_LIMITED with Retry-After. Each session is also limited to 20 a minute by the core's per-user
 * limit (src/bot/rate-limit.ts), which a client escapes by drawing a new session id for every question; the
 * address limit is the one it cannot escape. Counted in the shared store, so all instances count together.
 * Own choice: three sessions' worth, for a few people behind one NAT.
 */
export const TRY_ADDRESS_RATE_LIMIT = 60;
/** The address limit's window, in ms (one minute, fixed window). */
export const TRY_ADDRESS_WINDOW_MS = 60_000;

/** Tuning of {@link mountTryPage} (tests). */
export interface TryPageOptions {
  /** Clock, ms since the epoch (default Date.now): which window a question counts in. */
  now?: () => number;
  /** Default {@link TRY_ADDRESS_RATE_LIMIT}. */
  addressLimit?: number;
  /** Default {@link TRY_ADDRESS_WINDOW_MS}. */
  addressWindowMs?: number;
  /**
   * Same-origin script paths the page loads before its own (adapters' `tryPageScripts`, e.g. the sandbox's
   * employee picker). When they run, `window.privacyBotTry.lang` is already the page language of the page's own
   * texts ('zh-CN' | 'zh-TW' | 'en', decided once from the browser's language, see {@link TRY_PAGE_TEXTS}), for
   * their texts to follow. A script may set `window.privacyBotTry.ask(text, pick)` (a property of that object:
   * replace nothing else) to a fetch Response promise (an answer shaped as POST /try/ask's) to ask elsewhere, or
   * return null to leave the question to /try/ask.
   */
  scripts?: readonly string[];
}


/** C0 control characters other than tab, line feed and carriage return, and DEL: never typed by a person. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** What each field must be, in words: validation messages are `<field>: <this>`. */
const QUESTION_RULE = `must be 1–${TRY_MAX_QUESTION_CHARS} characters of text`;
const SESSION_RULE = 'must be 8–64 letters, digits or dashes';

const askSchema = z.object(
  {
    question: z
      .string({ error: QUESTION_RULE })
      .refine((q) => q.trim().length > 0 && q.length <= TRY_MAX_QUESTION_CHARS, QUESTION_RULE)
      .refine((q) => !CONTROL_CHARACTERS.test(q), 'must not contain control characters (tab and line breaks are fine)'),
    session: z.string({ error: SESSION_RULE }).regex(/^[A-Za-z0-9-]{8,64}$/, SESSION_RULE),
    pick: z
      .object({
        topic: z.string().regex(/^[a-z0-9-]{1,64}$/, 'must be a topic id'),
        lang: z.enum(['zh-CN', 'zh-TW', 'en'], 'must be zh-CN, zh-TW or en'),
      })
      .optional(),
    pageLang: z.enum(['zh-CN', 'zh-TW', 'en'], 'must be zh-CN, zh-TW or en').optional(),
  },
  { error: 'must be a JSON object {"question": "…", "session": "…"}' },
);

/**
 * Counts one question of the client at `ip` in the shared store and refuses it past the limit.
 * The address is kept only as a hash (src/log.ts hashUserId). A store that does not answer lets the
 * question through (the limiter never blocks answers), as the per-user limit does.
 * @throws RequestError TRY_RATE_LIMITED (429), with `retryAfterS`
 */
async function countAddress(core: TryCore, log: Logger, ip: string, options: Required<Omit<TryPageOptions, 'scripts'>>): Promise<void> {
  const now = options.now();
  const window = Math.floor(now / options.addressWindowMs);
  let count: number;
  try {
    count = await core.store.increment(`rate:try-address:${hashUserId('try-address', ip)}:${window}`, options.addressWindowMs * 2);
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'try page: address rate limiter unavailable; letting the question through');
    return;
  }
  if (count <= options.addressLimit) return;
  const retryAfterS = Math.max(1, Math.ceil(((window + 1) * options.addressWindowMs - now) / 1000));
  throw Object.assign(
    requestError('TRY_RATE_LIMITED',
      `too many questions from your address: at most ${options.addressLimit} every ${Math.round(options.addressWindowMs / 1000)} s; try again in ${retryAfterS} s`),
    { retryAfterS },
  );
}

/** Answers a refused /try/ask as JSON `{"error": {"code", "message"}}` (as the admin API does), 429 with Retry-After. */
function answerRefusal(ctx: Context, err: BotError): void {
  ctx.status = err.status;
  const retryAfterS = (err as BotError & { retryAfterS?: number }).retryAfterS;
  if (retryAfterS !== undefined) {
    ctx.set('Retry-After', String(retryAfterS));
    refuseConnectionReuse(ctx); // refused before the body was read
  }
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error: { code: err.code, message: err.message } };
}

/**
 * Mounts the local chat page: GET /try (HTML) and POST /try/ask
 * (`{"question": string, "session": string, "pick"?: {"topic": string, "lang": "zh-CN"|"zh-TW"|"en"},
 * "pageLang"?: "zh-CN"|"zh-TW"|"en"}` ->
 * `{"replies": string[], "html": string[], "topic", "intent", "score", "lang",
 * "suggestions": [{"id", "title": {"zh","en"}, "label"}]}`; `html[i]` is `replies[i]` escaped for HTML with its
 * sources as `<a target="_blank" rel="noopener noreferrer">` links, src/reply-links.ts `replyHtml`, and the only
 * form the page inserts as HTML; `label` is a suggestion's title in the reply's language `lang`). `pick` is a
 * suggestion button: that topic answered in that language (the question is then only what the page shows).
 * `pageLang` is the page's language (the browser's, then the last answer's), passed to the core as the message's
 * `langHint`: the reply language of a language-neutral question ("?", "2", an emoji) when nothing earlier in the
 * session decides it (src/bot/router.ts); a question with a language of its own is answered in that language.
 * Refusals are JSON `{"error": {"code", "message"}}`, the message naming the field and what it must be (e.g.
 * `question: must be 1–2000 characters of text`): 400 TRY_BAD_BODY / TRY_BAD_JSON for a body that is not UTF-8 or
 * JSON, 400 TRY_BAD_REQUEST for an empty question, one over {@link TRY_MAX_QUESTION_CHARS} characters or with
 * control characters (tab and line breaks are fine), a bad session, or a pick of an unknown topic; 413
 * TRY_BAD_BODY over {@link TRY_MAX_BODY_BYTES} bytes; 429 TRY_RATE_LIMITED (with Retry-After, seconds) past
 * {@link TRY_ADDRESS_RATE_LIMIT} questions a minute from one client address. The asker is anonymous (platform
 * 'try'): the same router as the platforms, FAQ answers only, never a personal status. Turned off with
 * TRY_PAGE=off.
 */
export function mountTryPage(router: Router, core: TryCore, log: Logger, options: TryPageOptions = {}): void {
  const scripts = options.scripts ?? [];
  const html = TRY_PAGE_HTML.replace('<!--scripts-->', scripts.map((s) => `<script src="${s.replace(/^\//, '')}"></script>`).join(''));
  const limits: Required<Omit<TryPageOptions, 'scripts'>> = {
    now: options.now ?? Date.now,
    addressLimit: options.addressLimit ?? TRY_ADDRESS_RATE_LIMIT,
    addressWindowMs: options.addressWindowMs ?? TRY_ADDRESS_WINDOW_MS,
  };
  router.get('/try', (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Content-Security-Policy', `default-src 'none'; script-src 'unsafe-inline'${scripts.length > 0 ? " 'self'" : ''}; style-src 'unsafe-inline'; connect-src 'self'`);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = html;
  });
  router.post('/try/ask', async (ctx) => {
    try {
      await ask(ctx);
    } catch (err) {
      if (err instanceof BotError && err.status < 500) {
        log.info({ route: '/try/ask', code: err.code, httpStatus: err.status }, 'request rejected');
        answerRefusal(ctx, err);
        return;
      }
      throw err;
    }
  });

  async function ask(ctx: Context): Promise<void> {
    await countAddress(core, log, ctx.ip, limits);
    // Only JSON: a form or text/plain post is what another site's page can send without asking (no CORS preflight).
    if (!ctx.is('application/json')) {
      refuseConnectionReuse(ctx); // refused before the body was read
      throw requestError('TRY_NOT_JSON_TYPE', 'Content-Type must be application/json');
    }
    let bytes: Buffer;
    try {
      bytes = await getRawBody(ctx.req, { limit: TRY_MAX_BODY_BYTES, length: ctx.request.length });
    } catch {
      refuseConnectionReuse(ctx);
      throw new RequestError('TRY_BAD_BODY', `body unreadable or over ${TRY_MAX_BODY_BYTES} bytes`, 413);
    }
    let raw: string;
    try {
      raw = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw requestError('TRY_BAD_BODY', 'body is not valid UTF-8');
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw requestError('TRY_BAD_JSON', 'body is not JSON');
    }
    const parsed = askSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw requestError('TRY_BAD_REQUEST', `${issue.path.length > 0 ? issue.path.join('.') : 'body'}: ${issue.message}`);
    }
    const pick = parsed.data.pick;
    if (pick && !core.kb.byId.has(pick.topic)) throw requestError('TRY_BAD_REQUEST', 'pick.topic: is not a known topic');
    const message: InboundMessage = {
      platform: 'try',
      tenant: 'local',
      userId: `try-${parsed.data.session}`,
      chat: { kind: 'single' },
      kind: 'text',
      text: parsed.data.question,
      mentionedBot: false,
      messageId: randomUUID(),
      receivedAt: Date.now(),
      anonymous: true,
      ...(pick ? { pick } : {}),
      ...(parsed.data.pageLang ? { langHint: parsed.data.pageLang } : {}),
    };
    const r = await core.handle(message);
    log.debug({ route: '/try/ask', intent: r.intent, topic: r.topic }, 'try answered');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      replies: r.replies.map((x) => x.text),
      html: r.replies.map((x) => replyHtml(x)),
      topic: r.topic,
      intent: r.intent,
      score: Math.round(r.score * 1000) / 1000,
      lang: r.lang,
      suggestions: r.suggestions.map((id) => {
        const title = core.kb.byId.get(id)?.title ?? { zh: id, en: id };
        return { id, title, label: titleIn(title, r.lang) };
      }),
    };
  }
}

/** A zh/en title in `lang` (zh-TW converted from zh). */
export function titleIn(title: { zh: string; en: string }, lang: Lang): string {
  if (lang === 'en') return title.en;
  return lang === 'zh-TW' ? toTaiwanTraditional(title.zh) : title.zh;
}

/**
 * The page served at GET /try. Its input's `data-examples` attribute holds {@link TRY_PLACEHOLDER_EXAMPLES} and
 * `<main>`'s `data-texts` {@link TRY_PAGE_TEXTS} (JSON, HTML-escaped). A first script decides the language of the
 * page's own texts once, from the browser's language, and exposes it as `window.privacyBotTry.lang` to the
 * adapters' scripts loaded next (`<!--scripts-->`); the page's script sets its texts in it. Each question carries
 * the page language as `pageLang`; the placeholder follows the page language (the browser's, then the last answer's) and is
 * the longest of "prefix + example", the example alone, or the short placeholder that fits the input's width
 * (measured with the input's font, again when the window is resized), so a phone never shows it cut off.
 * `<main>` is a column at least as tall as the viewport whose log takes the room left, so the input sits at the
 * bottom of the screen from the first paint, as in a chat app, and stays there (sticky) once the conversation is taller.
 */
export const TRY_PAGE_HTML = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>privacy-bot · try it</title>
<style>
body{font:15px/1.5 system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;background:#f4f5f7;color:#1f2329}
main{max-width:760px;margin:0 auto;padding:16px 16px 0;box-sizing:border-box;min-height:100vh;min-height:100dvh;display:flex;flex-direction:column}
h1{font-size:18px;margin:8px 0 4px}
p.note{color:#646a73;font-size:13px;margin:4px 0 12px}
#log{flex:1 0 auto;background:#fff;border-radius:8px;padding:12px;min-height:320px;box-shadow:0 1px 2px #0001}
.msg{margin:8px 0;padding:8px 12px;border-radius:8px;white-space:pre-wrap;word-break:break-word;max-width:85%;scroll-margin-top:8px}
.me{background:#3370ff;color:#fff;margin-left:auto;width:fit-content}
.bot{background:#f0f1f5}
.msg a{color:#245bdb;overflow-wrap:anywhere}
.meta{font-size:12px;color:#646a73;margin:-4px 0 8px}
.starters{font-size:12px;color:#646a73;margin:0 0 8px}
.meta .picks button,.starters button{font-size:13px;margin:4px 6px 0 0;border:1px solid #c9cdd4;background:#fff;border-radius:12px;padding:2px 10px;cursor:pointer;text-align:left}
.meta details{margin-top:4px}
.meta summary{cursor:pointer;width:fit-content}
form{position:sticky;bottom:0;display:flex;gap:8px;margin:0 -16px;padding:12px 16px calc(12px + env(safe-area-inset-bottom));background:#f4f5f7;box-shadow:0 -1px 0 #dee0e3}
input{flex:1;min-width:0;padding:10px;border:1px solid #c9cdd4;border-radius:8px;font:inherit}
button[type=submit]{padding:10px 16px;border:0;border-radius:8px;background:#3370ff;color:#fff;font:inherit;cursor:pointer}
</style></head><body><main data-texts="${escapeHtml(JSON.stringify(TRY_PAGE_TEXTS))}">
<h1>privacy-bot · 试用 / try it</h1>
<p class="note">本地试用页：与企业微信、钉钉、飞书使用同一个问答路由，但你是匿名的，只显示知识库答案，不显示个人存档状态。<br>
Local trial page: the same router as WeCom, DingTalk and Feishu/Lark, as an anonymous user — FAQ answers only, never a personal status.</p>
<div id="log" aria-live="polite" data-starters="${escapeHtml(JSON.stringify(TRY_STARTER_QUESTIONS))}"></div>
<form id="f"><input id="q" autocomplete="off" maxlength="${TRY_MAX_QUESTION_CHARS}" placeholder="例如：${escapeHtml(TRY_PLACEHOLDER_EXAMPLES['zh-CN'])} / e.g. ${escapeHtml(TRY_PLACEHOLDER_EXAMPLES.en)}" data-examples="${escapeHtml(JSON.stringify(TRY_PLACEHOLDER_EXAMPLES))}" aria-label="问题 / question" autofocus>
<button type="submit">发送 / Send</button></form>
</main><script>
// The language of the page's own texts, decided once from the browser's language; adapters' scripts read it.
const uiLang = (function(){ const ls = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'zh-CN']).map(function(l){ return String(l).toLowerCase(); }); for (const l of ls) { if (l.startsWith('en')) return 'en'; if (/^zh-(tw|hk|mo|hant)/.test(l)) return 'zh-TW'; if (l.startsWith('zh')) return 'zh-CN'; } return 'en'; })();
window.privacyBotTry = { lang: uiLang };
</script><!--scripts--><script>
const session = (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2) + Date.now());
const log = document.getElementById('log'), q = document.getElementById('q');
const examples = JSON.parse(q.dataset.examples);
const TEXTS = JSON.parse(document.querySelector('main').dataset.texts);
let pageLang = 'zh-CN';
/** The longest placeholder that fits the input: "e.g. " + the example, the example alone, or the short one. */
function fitPlaceholder(){
  const t = TEXTS[pageLang], cs = getComputedStyle(q);
  const room = q.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  const ctx = (fitPlaceholder.canvas ||= document.createElement('canvas')).getContext('2d');
  ctx.font = cs.fontStyle + ' ' + cs.fontWeight + ' ' + cs.fontSize + ' ' + cs.fontFamily;
  const options = [t.examplePrefix + examples[pageLang], examples[pageLang], t.shortPlaceholder];
  // Rounded up, with a pixel to spare: the canvas and the input may round a glyph's advance differently.
  q.placeholder = options.find((p) => Math.ceil(ctx.measureText(p).width) + 1 <= room) || options[options.length - 1];
}
/** The page language: the browser's at first, then the language of the last question. */
function setLang(lang){ pageLang = lang; document.documentElement.lang = lang; q.lang = lang; fitPlaceholder(); }
/** The page's own texts: in the browser's language (uiLang, the first script's), set once (answers follow the asker, the page does not). */
const UI = TEXTS[uiLang];
document.title = UI.title;
for (const [sel, text] of [['h1', UI.heading], ['p.note', UI.note], ['button[type=submit]', UI.send]]) { const e = document.querySelector(sel); if (e) { e.textContent = text; e.lang = uiLang; } }
q.setAttribute('aria-label', UI.question);
setLang(uiLang);
addEventListener('resize', fitPlaceholder);
// Before the first question: a few starter questions in the page's language, as buttons that ask them.
(function(){
  const starters = JSON.parse(log.dataset.starters)[uiLang] || [];
  if (!starters.length) return;
  const box = document.createElement('div'); box.className = 'starters'; box.lang = uiLang;
  const intro = document.createElement('div'); intro.textContent = UI.starters;
  const picks = document.createElement('div'); picks.className = 'starter-picks';
  for (const text of starters) { const b = document.createElement('button'); b.type = 'button'; b.textContent = text; b.onclick = () => ask(text); picks.appendChild(b); }
  box.append(intro, picks); log.appendChild(box);
})();
function add(cls, text, html){ const d=document.createElement('div'); d.className='msg '+cls; if (html === undefined) d.textContent=text; else d.innerHTML=html; log.appendChild(d); return d; }
async function ask(text, pick){
  add('me', text).scrollIntoView({block:'nearest'});
  try {
    // The page language: the reply language of a language-neutral question when nothing earlier decides it.
    const body = {question:text, session, pageLang};
    if (pick) body.pick = pick;
    const r = await ((window.privacyBotTry && window.privacyBotTry.ask && window.privacyBotTry.ask(text, pick)) || fetch('try/ask', {method:'POST', headers:{'content-type':'application/json'}, body: JSON.stringify(body)}));
    if (!r.ok) { const t = await r.text(); let m = t; try { m = JSON.parse(t).error.message; } catch (e) {} add('bot', UI.error + ' ' + r.status + ': ' + m).scrollIntoView(); return; }
    const j = await r.json();
    if (j.lang) setLang(j.lang);
    // The answer's first line at the top of the screen; the input stays below it (sticky).
    let first = null;
    j.replies.forEach((t, i) => { const d = add('bot', t, j.html ? j.html[i] : undefined); first = first || d; });
    const meta = document.createElement('div'); meta.className='meta';
    if (j.suggestions.length) {
      const picks = document.createElement('div'); picks.className='picks';
      for (const s of j.suggestions) {
        const b=document.createElement('button'); b.type='button'; b.textContent=s.label; b.dataset.topic=s.id;
        b.onclick=()=>ask(s.label, {topic: s.id, lang: j.lang});
        picks.appendChild(b);
      }
      meta.appendChild(picks);
    }
    const details = document.createElement('details'); details.className='debug';
    const summary = document.createElement('summary'); summary.textContent = UI.details; summary.lang = uiLang;
    const line = document.createElement('span');
    line.textContent = 'intent: ' + j.intent + ' · topic: ' + (j.topic ?? '—') + ' · score: ' + j.score + ' · lang: ' + j.lang;
    details.append(summary, line); meta.appendChild(details);
    log.appendChild(meta);
    if (first) first.scrollIntoView({block:'start'});
  } catch (e) { add('bot', UI.networkError + ': ' + e).scrollIntoView(); }
}
document.getElementById('f').onsubmit = (e) => { e.preventDefault(); const t=q.value.trim(); if (t) { q.value=''; ask(t); } };
</script></body></html>`;
