import { randomUUID } from 'node:crypto';
import type Router from '@koa/router';
import type { Context } from 'koa';
import getRawBody from 'raw-body';
import { z } from 'zod';
import { RequestError } from '../../src/errors.ts';
import { TRY_MAX_BODY_BYTES, TRY_MAX_QUESTION_CHARS } from '../../src/platform/try.ts';
import { hashUserId } from '../../src/log.ts';
import { parseAckKey } from '../../src/platform/notices.ts';
import { replyHtml } from '../../src/reply-links.ts';
import type { BotResult, InboundMessage, Lang } from '../../src/platform/message.ts';
import { refuseConnectionReuse } from '../kit/http.ts';
import type { AdapterContext, PlatformAdapter } from '../../src/platform/adapter.ts';
import { SandboxInbox, type InboxCard } from './inbox.ts';
import { createSandboxNoticeChannel } from './notices.ts';
import { SANDBOX_PLATFORM, SANDBOX_TENANT, SANDBOX_STATUS_DESCRIPTION, SANDBOX_STATUS_SOURCE, sandboxDirectory, sandboxEmployee, sandboxStatuses } from './org.ts';
import { SANDBOX_SCRIPT } from './page.ts';
import { adapterRequestError } from '../errors.ts';

/** The time zone of the inbox's times when the context names none (the notices' default, Asia/Shanghai). */
const SANDBOX_DEFAULT_TIME_ZONE = 'Asia/Shanghai';

/** Where the /try page loads the sandbox's part of the page from. */
export const SANDBOX_SCRIPT_PATH = '/try/sandbox.js';

/** A card of an employee's inbox as the /try page gets it (times ISO 8601 UTC or null). */
export interface InboxCardJson {
  broadcastId: string;
  noticeId: string;
  version: number;
  title: { zh: string; en: string };
  body: { zh: string; en: string };
  ackKey: string;
  reminder: number | null;
  deliveredAt: string;
  openedAt: string | null;
  acknowledgedAt: string | null;
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const userField = z.string().min(1).max(64);
const askSchema = z.object({
  user: userField,
  question: z
    .string()
    .max(TRY_MAX_QUESTION_CHARS, `question over ${TRY_MAX_QUESTION_CHARS} characters`)
    .refine((q) => !CONTROL_CHARACTERS.test(q), 'question contains control characters'),
  pick: z
    .object({
      topic: z.string().regex(/^[a-z0-9-]{1,64}$/, 'pick.topic must be a topic id'),
      lang: z.enum(['zh-CN', 'zh-TW', 'en'], 'pick.lang must be zh-CN, zh-TW or en'),
    })
    .optional(),
});
const openSchema = z.object({ user: userField, noticeId: z.string().min(1).max(64), version: z.number().int().positive() });
const ackSchema = z.object({ user: userField, ackKey: z.string().min(1).max(200) });

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The JSON body of a sandbox request, validated. @throws RequestError SANDBOX_BAD_BODY / SANDBOX_BAD_REQUEST (400), 413 over TRY_MAX_BODY_BYTES, SANDBOX_NOT_JSON_TYPE (415) when not application/json */
async function body<T>(ctx: Context, schema: z.ZodType<T>): Promise<T> {
  // Only JSON: a form or text/plain post is what another site's page can send without asking (no CORS preflight).
  if (!ctx.is('application/json')) {
    refuseConnectionReuse(ctx);
    throw adapterRequestError('SANDBOX_NOT_JSON_TYPE', 'Content-Type must be application/json');
  }
  let raw: string;
  try {
    const bytes = await getRawBody(ctx.req, { limit: TRY_MAX_BODY_BYTES, length: ctx.request.length });
    raw = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    if ((err as { type?: string }).type === 'entity.too.large') {
      refuseConnectionReuse(ctx);
      throw new RequestError('SANDBOX_BAD_BODY', `body over ${TRY_MAX_BODY_BYTES} bytes`, 413);
    }
    throw adapterRequestError('SANDBOX_BAD_BODY', 'body unreadable or not UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw adapterRequestError('SANDBOX_BAD_BODY', 'body is not JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw adapterRequestError('SANDBOX_BAD_REQUEST', `${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  return parsed.data;
}

/** The sandbox employee named by `user`. @throws RequestError SANDBOX_UNKNOWN_EMPLOYEE (404) */
function employee(user: string) {
  const e = sandboxEmployee(user);
  if (!e) throw adapterRequestError('SANDBOX_UNKNOWN_EMPLOYEE', `no sandbox employee "${user.slice(0, 64)}"; GET /try/sandbox/directory lists them`);
  return e;
}

/** A title in a language when the server passes no `titleIn`: English for 'en', else the Simplified title. */
function plainTitleIn(title: { zh: string; en: string }, lang: Lang): string {
  return lang === 'en' ? title.en : title.zh;
}

/**
 * The bot's answer as the /try page shows it (the shape POST /try/ask answers with); suggestion
 * labels are the topics' titles in the reply's language (`topicTitle`, else the id; `titleIn` as the core
 * shows a title in a language).
 */
function answerJson(r: BotResult, topicTitle: AdapterContext['topicTitle'], titleIn: AdapterContext['titleIn'] = plainTitleIn) {
  return {
    replies: r.replies.map((x) => x.text),
    html: r.replies.map((x) => replyHtml(x)),
    topic: r.topic,
    intent: r.intent,
    score: Math.round(r.score * 1000) / 1000,
    lang: r.lang,
    suggestions: r.suggestions.map((id) => {
      const title = topicTitle?.(id) ?? { zh: id, en: id };
      return { id, title, label: titleIn(title, r.lang) };
    }),
  };
}

/**
 * The sandbox platform: a made-up organisation of 30 employees in 3 departments (./org.ts) that
 * stands in for WeCom / DingTalk while none is configured, so the admin journey can be tried end
 * to end. Its notice channel (./notices.ts) delivers into per-employee inboxes in the shared store;
 * the /try page lets anyone act as one of the employees. Everything it shows is labelled sandbox.
 *
 * Routes (public, like /try; sandbox data only, never a real employee's):
 * - GET  /try/sandbox/directory -> `{"platform":"sandbox","sandbox":true,"departments":[{id, name:{zh,en}, headCount, members:[{userId,name,title}]}]}`
 * - GET  /try/sandbox/inbox?user=<userId> -> `{"user":{userId,name,departmentId,title},"timeZone","cards":[InboxCardJson]}`
 *   (newest first; `timeZone` = the company time zone the page shows the cards' times in, as the console does)
 * - POST /try/sandbox/open `{"user","noticeId","version"}` -> the card: the employee opened it; the
 *   read is recorded on the broadcast at once (`markRead`, the call the read poll makes) and
 *   reported by the channel's readStatus too
 * - POST /try/sandbox/ack `{"user","ackKey"}` -> `{"replies","html",…,"card"}`: the card's button, as
 *   an InboundMessage of kind 'ack-action' through the core, exactly like a WeCom card click
 * - POST /try/sandbox/ask `{"user","question","pick"?}` -> as POST /try/ask, asked by that employee
 *   in a 1:1 chat (so the answer has their archiving status and notice lines); `pick` is a
 *   suggestion button `{"topic","lang"}`, as on /try/ask
 * - GET  /try/sandbox.js -> the script the /try page loads (banner, employee picker, inbox)
 * Errors: 400 bad body or field (named), 404 unknown employee, 413 body too large.
 * `start()` writes the demo statuses (./org.ts sandboxStatuses) for employees that have none yet.
 */
export function createSandboxAdapter(ctx: AdapterContext): PlatformAdapter & { inbox: SandboxInbox } {
  const inbox = new SandboxInbox(ctx.kv);
  const timeZone = ctx.timeZone ?? SANDBOX_DEFAULT_TIME_ZONE;
  const noticeChannel = createSandboxNoticeChannel({ inbox, kv: ctx.kv, log: ctx.log, now: ctx.now });

  async function cardsOf(userId: string): Promise<InboxCardJson[]> {
    const cards = await inbox.list(userId);
    const records = ctx.notices ? await ctx.notices.store.userNotices(SANDBOX_PLATFORM, userId) : [];
    const out: InboxCardJson[] = [];
    for (const c of cards) {
      const rec = records.find((r) => r.noticeId === c.noticeId && r.version === c.version);
      out.push(cardJson(c, await inbox.openedAt(userId, c.noticeId, c.version), rec?.acknowledgedAt ?? null));
    }
    return out;
  }

  function cardJson(c: InboxCard, openedAt: number | null, acknowledgedAt: number | null): InboxCardJson {
    return {
      broadcastId: c.broadcastId,
      noticeId: c.noticeId,
      version: c.version,
      title: c.title,
      body: c.body,
      ackKey: c.ackKey,
      reminder: c.reminder ?? null,
      deliveredAt: new Date(c.deliveredAt).toISOString(),
      openedAt: iso(openedAt),
      acknowledgedAt: iso(acknowledgedAt),
    };
  }

  /** Records that `userId` opened a notice version: in the inbox, and as a read on each broadcast that brought it. */
  async function open(userId: string, noticeId: string, version: number): Promise<void> {
    const at = await inbox.open(userId, noticeId, version, ctx.now());
    if (!ctx.notices) return;
    const broadcasts = new Set((await inbox.list(userId)).filter((c) => c.noticeId === noticeId && c.version === version).map((c) => c.broadcastId));
    for (const b of broadcasts) await ctx.notices.store.markRead(b, [{ userId, readAt: at }], ctx.now());
  }

  function message(userId: string, kind: 'text' | 'ack-action', text: string): InboundMessage {
    return {
      platform: SANDBOX_PLATFORM,
      tenant: SANDBOX_TENANT,
      userId,
      chat: { kind: 'single' },
      kind,
      text,
      mentionedBot: false,
      messageId: randomUUID(),
      receivedAt: ctx.now(),
    };
  }

  return {
    platform: SANDBOX_PLATFORM,
    noticeChannel,
    inbox,
    statusSource: SANDBOX_STATUS_DESCRIPTION,
    tryPageScripts: [SANDBOX_SCRIPT_PATH],

    mount(router: Router) {
      router.get(SANDBOX_SCRIPT_PATH, (c) => {
        c.type = 'text/javascript; charset=utf-8';
        c.set('Cache-Control', 'no-store');
        c.body = SANDBOX_SCRIPT;
      });
      router.get('/try/sandbox/directory', (c) => {
        c.set('Cache-Control', 'no-store');
        c.body = { platform: SANDBOX_PLATFORM, sandbox: true, departments: sandboxDirectory() };
      });
      router.get('/try/sandbox/inbox', async (c) => {
        const user = typeof c.query.user === 'string' ? c.query.user : '';
        const e = employee(user);
        c.set('Cache-Control', 'no-store');
        c.body = { user: e, timeZone, cards: await cardsOf(e.userId) };
      });
      router.post('/try/sandbox/open', async (c) => {
        const b = await body(c, openSchema);
        const e = employee(b.user);
        await open(e.userId, b.noticeId, b.version);
        const card = (await cardsOf(e.userId)).find((x) => x.noticeId === b.noticeId && x.version === b.version);
        if (!card) throw adapterRequestError('SANDBOX_NO_SUCH_CARD', `${e.userId} has no card of notice ${b.noticeId} v${b.version}`);
        c.set('Cache-Control', 'no-store');
        c.body = card;
      });
      router.post('/try/sandbox/ack', async (c) => {
        const b = await body(c, ackSchema);
        const e = employee(b.user);
        const key = parseAckKey(b.ackKey);
        if (!key) throw adapterRequestError('SANDBOX_BAD_REQUEST', 'ackKey: must be ack:<noticeId>:<version>');
        // Pressing the button means the card was seen: read first, as a platform reports it.
        if ((await inbox.list(e.userId)).some((x) => x.noticeId === key.noticeId && x.version === key.version)) {
          await open(e.userId, key.noticeId, key.version);
        }
        const r = await ctx.handle(message(e.userId, 'ack-action', b.ackKey));
        ctx.log.info({ platform: SANDBOX_PLATFORM, user: hashUserId(SANDBOX_PLATFORM, e.userId) }, 'sandbox card button pressed');
        const card = (await cardsOf(e.userId)).find((x) => x.noticeId === key.noticeId && x.version === key.version) ?? null;
        c.set('Cache-Control', 'no-store');
        c.body = { ...answerJson(r, ctx.topicTitle, ctx.titleIn), card };
      });
      router.post('/try/sandbox/ask', async (c) => {
        const b = await body(c, askSchema);
        const e = employee(b.user);
        if (b.pick && ctx.topicTitle && !ctx.topicTitle(b.pick.topic)) throw adapterRequestError('SANDBOX_BAD_REQUEST', 'pick.topic is not a known topic');
        const r = await ctx.handle({ ...message(e.userId, 'text', b.question), ...(b.pick ? { pick: b.pick } : {}) });
        c.set('Cache-Control', 'no-store');
        c.body = answerJson(r, ctx.topicTitle, ctx.titleIn);
      });
    },

    async start() {
      const store = ctx.statusStore;
      if (!store) return;
      const missing = [];
      for (const s of sandboxStatuses(new Date(ctx.now()).toISOString())) {
        if ((await store.getStatus(s.platform, s.userId)) === null) missing.push(s);
      }
      if (missing.length > 0) await store.putStatuses(missing);
      ctx.log.info({ platform: SANDBOX_PLATFORM, seeded: missing.length, source: SANDBOX_STATUS_SOURCE }, 'sandbox demo statuses ready');
    },
  };
}
