import type { Logger } from 'pino';
import type { Reply, ReplyLinks } from '../../src/platform/message.ts';
import { markdownLinks } from '../../src/reply-links.ts';
import { hashUserId } from '../../src/log.ts';
import type { DingtalkReplyTarget } from './inbound.ts';
import type { DingtalkOpenApi } from './openapi.ts';
import {
  MARKDOWN_TITLE_MAX_CHARS,
  SENDER_NICK_PREFIX_MAX_CHARS,
  SESSION_WEBHOOK_EXPIRED_ERRCODE,
  SESSION_WEBHOOK_HOSTS,
  SESSION_WEBHOOK_MAX_RESPONSE_BYTES,
  SESSION_WEBHOOK_SAFETY_MARGIN_MS,
  SESSION_WEBHOOK_TIMEOUT_MS,
  TEXT_PART_MAX_BYTES,
} from './limits.ts';
import { sanitizeReplyText, splitTextByBytes } from '../kit/split.ts';
import { HttpClientError, postJson, type JsonAnswer } from '../kit/http-client.ts';
import { adapterError } from '../errors.ts';

/**
 * Which sessionWebhook URLs may be posted to: https on {@link SESSION_WEBHOOK_HOSTS}, plus the
 * origin of `apiBase` when it is something else (a local fake or an egress proxy).
 * @param apiBase DingtalkConfig.apiBase, e.g. 'https://api.dingtalk.com' or 'http://127.0.0.1:4567'
 * @returns a predicate over absolute URLs (false for anything unparsable)
 */
export function sessionWebhookPolicy(apiBase: string): (url: string) => boolean {
  const extraOrigin = new URL(apiBase).origin;
  return (url: string) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return false;
    }
    if (u.username || u.password) return false;
    if (u.protocol === 'https:' && SESSION_WEBHOOK_HOSTS.includes(u.hostname) && u.port === '') return true;
    return u.origin === extraOrigin;
  };
}

/**
 * True when the message's sessionWebhook can still be used: present, allowed by `allowed`, and
 * expiring more than {@link SESSION_WEBHOOK_SAFETY_MARGIN_MS} after `nowMs`.
 * Source: https://open.dingtalk.com/document/orgapp/receive-message (sessionWebhookExpiredTime, ms).
 */
export function isSessionWebhookUsable(
  target: DingtalkReplyTarget,
  nowMs: number,
  allowed: (url: string) => boolean,
): boolean {
  return (
    target.sessionWebhook !== null &&
    target.sessionWebhookExpiresAt !== null &&
    target.sessionWebhookExpiresAt - nowMs > SESSION_WEBHOOK_SAFETY_MARGIN_MS &&
    allowed(target.sessionWebhook)
  );
}

/** Body of a sessionWebhook text message (docs/PROTOCOLS.md §3.2). */
export interface SessionWebhookText {
  msgtype: 'text';
  text: { content: string };
  at?: { atUserIds: string[]; isAtAll: false };
}

/** Body of a sessionWebhook markdown message (docs/PROTOCOLS.md §3.2). */
export interface SessionWebhookMarkdown {
  msgtype: 'markdown';
  markdown: { title: string; text: string };
}

/** A sessionWebhook message: text or markdown. */
export type SessionWebhookMessage = SessionWebhookText | SessionWebhookMarkdown;

/** A reply in DingTalk markdown: `title` for the chat list and notification, `text` the message. */
export interface DingtalkMarkdown {
  title: string;
  text: string;
}

/** Characters that start emphasis, code, links or HTML in markdown, shown as their full-width forms. */
const MARKDOWN_INLINE: Record<string, string> = { '*': '＊', '_': '＿', '`': '｀', '[': '［', ']': '］', '<': '＜', '>': '＞', '#': '＃', '|': '｜' };

/** One line of reply text as literal markdown: inline markup characters neutralised, a leading "- " list kept. */
function markdownLine(line: string): string {
  const bullet = /^- /.exec(line) ? '- ' : '';
  return bullet + line.slice(bullet.length).replace(/[*_`[\]<>#|]/g, (c) => MARKDOWN_INLINE[c] ?? c);
}

/**
 * A reply with links as a DingTalk markdown message. The text before the links is shown literally: markup
 * characters become full-width (DingTalk's markdown has no documented escape), every line break stays a
 * line break ("  \n", as in the notices' markdown) and blank lines separate paragraphs; the links follow as a
 * "- [title](url)" list (src/reply-links.ts `markdownLinks`). `title` is the first line, cut to
 * {@link MARKDOWN_TITLE_MAX_CHARS} characters.
 * Source: https://open.dingtalk.com/document/orgapp/receive-message (sessionWebhook markdown), docs/PROTOCOLS.md §3.2.
 */
export function dingtalkMarkdown(links: ReplyLinks): DingtalkMarkdown {
  const before = sanitizeReplyText(links.before).trim();
  const paragraphs = before
    .split(/\n{2,}/)
    .map((p) => p.split('\n').map(markdownLine).join('  \n'));
  const [heading, ...items] = markdownLinks({ ...links, heading: sanitizeReplyText(links.heading) }).split('\n');
  const text = [...paragraphs, `${heading}\n\n${items.join('\n')}`].join('\n\n');
  const firstLine = before.split('\n')[0] ?? '';
  const title = [...firstLine].slice(0, MARKDOWN_TITLE_MAX_CHARS).join('') || [...sanitizeReplyText(links.heading)].slice(0, MARKDOWN_TITLE_MAX_CHARS).join('');
  return { title, text };
}

/** Outcome of one sessionWebhook POST; `reason` is short and safe to log (no text). */
export type WebhookOutcome = { ok: true } | { ok: false; reason: string };

/**
 * POSTs one message to a sessionWebhook (JSON, no token: the URL is the credential; a redirect is
 * not followed, so it fails as `HTTP 3xx`) through the shared keep-alive client
 * (../http-client.ts postJson: one Agent per scheme, connections reused). Success means HTTP 2xx
 * with `errcode` 0. Never throws.
 * Failure reasons: 'network: TimeoutError' (no answer within `timeoutMs`), 'network: <socket error
 * code>' (e.g. ECONNREFUSED, ECONNRESET), 'HTTP <status>', 'session expired (300001)',
 * 'errcode <n>', 'answer without errcode' (2xx whose body is not JSON, is over
 * {@link SESSION_WEBHOOK_MAX_RESPONSE_BYTES}, was cut, or has no numeric errcode).
 * @param timeoutMs whole-request timeout in ms (connection, request and the whole answer)
 * Source: https://open.dingtalk.com/document/orgapp/receive-message (sessionWebhook).
 */
export async function postSessionWebhook(
  url: string,
  payload: SessionWebhookMessage,
  timeoutMs = SESSION_WEBHOOK_TIMEOUT_MS,
): Promise<WebhookOutcome> {
  let res: JsonAnswer;
  try {
    res = await postJson(url, payload, { timeoutMs, maxResponseBytes: SESSION_WEBHOOK_MAX_RESPONSE_BYTES });
  } catch (err) {
    return { ok: false, reason: `network: ${err instanceof HttpClientError ? err.reason : (err as Error).name}` };
  }
  if (res.status < 200 || res.status > 299) return { ok: false, reason: `HTTP ${res.status}` };
  const errcode = (res.json as { errcode?: unknown } | null)?.errcode;
  if (errcode === 0) return { ok: true };
  if (errcode === SESSION_WEBHOOK_EXPIRED_ERRCODE) return { ok: false, reason: 'session expired (300001)' };
  return { ok: false, reason: typeof errcode === 'number' ? `errcode ${errcode}` : 'answer without errcode' };
}

/** What the outbound side needs. */
export interface DeliveryDeps {
  api: DingtalkOpenApi;
  log: Logger;
  /** ms since the epoch. */
  now: () => number;
  /** From {@link sessionWebhookPolicy}. */
  webhookAllowed: (url: string) => boolean;
}

/** Counts of text parts per path, for logs and tests. */
export interface DeliveryReport {
  webhook: number;
  oto: number;
  group: number;
  /** Of the parts sent, how many went as markdown (a 1:1 reply with links). */
  markdown: number;
  /** Parts not sent because no path could reach the person (no staffId) or a call failed. */
  failed: number;
}

function nickPrefix(nick: string | null): string {
  if (!nick) return '';
  return `@${[...nick].slice(0, SENDER_NICK_PREFIX_MAX_CHARS).join('')} `;
}

/**
 * Delivers the core's replies for one message, in order, each split into ordered parts of at most
 * {@link TEXT_PART_MAX_BYTES} bytes — except a reply with links (an answer's sources) in a 1:1 chat, which
 * goes as one markdown message ({@link dingtalkMarkdown}: the sources as clickable links) when it fits one
 * part: sessionWebhook `markdown`, or batchSend `sampleMarkdown` on the fallback path.
 *
 * Paths:
 * - visibility 'private': always 1:1 through `oToMessages/batchSend` to the asker's staffId — never
 *   through a sessionWebhook (in a group that would post into the group; in a 1:1 chat the forged-body
 *   risk of the timestamp-only signature makes the API the one path bound to the person). Without a
 *   staffId (sender outside the org) a private reply is dropped and logged.
 * - visibility 'chat': through the sessionWebhook while usable ({@link isSessionWebhookUsable}); in
 *   a group with `mentionAsker` the first part carries `at.atUserIds:[staffId]`. When the webhook is
 *   unusable or a POST fails (errcode 300001, HTTP 4xx/5xx, network), that part and the rest go
 *   through the OpenAPI: batchSend to the staffId for 1:1 chats, groupMessages/send (openConversationId
 *   = conversationId) for groups, with "@senderNick " before the first part when `mentionAsker`.
 *   A webhook timeout may rarely yield a duplicate; losing an answer is the worse outcome.
 *
 * A failing reply stops its remaining parts and is logged by code; the next reply is still tried.
 * Never throws; logs carry hashed user ids only, never text.
 */
export async function deliverReplies(
  replies: Reply[],
  target: DingtalkReplyTarget,
  deps: DeliveryDeps,
): Promise<DeliveryReport> {
  const report: DeliveryReport = { webhook: 0, oto: 0, group: 0, markdown: 0, failed: 0 };
  const user = target.staffId ? hashUserId('dingtalk', target.staffId) : 'anonymous';
  const isGroup = target.conversationType === '2';
  let webhookUsable = isSessionWebhookUsable(target, deps.now(), deps.webhookAllowed);

  for (const reply of replies) {
    // A 1:1 reply with links (an answer's sources) goes as one markdown message when it fits one part;
    // in a group the reply @-mentions the asker, which DingTalk documents for text (at.atUserIds), so
    // groups keep text with "title: url" lines.
    const markdown = !isGroup && reply.links ? dingtalkMarkdown(reply.links) : null;
    if (markdown && Buffer.byteLength(markdown.text, 'utf8') <= TEXT_PART_MAX_BYTES) {
      try {
        await deliverMarkdown(markdown, reply.visibility, target, deps, report, () => webhookUsable, () => {
          webhookUsable = false;
        });
      } catch (err) {
        report.failed++;
        const e = err as { code?: string; message?: string };
        deps.log.error({ user, code: e.code, err: e.message }, 'reply not delivered');
      }
      continue;
    }
    const parts = splitTextByBytes(sanitizeReplyText(reply.text), TEXT_PART_MAX_BYTES);
    if (parts.length === 0) continue;
    try {
      if (reply.visibility === 'private') {
        if (!target.staffId) {
          report.failed += parts.length;
          deps.log.warn({ user }, 'private reply dropped: sender has no staffId');
          continue;
        }
        for (const part of parts) {
          await sendOto(target.staffId, part, deps, report);
        }
        continue;
      }
      const mention = isGroup && reply.mentionAsker === true;
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i]!;
        if (webhookUsable) {
          const payload: SessionWebhookText = { msgtype: 'text', text: { content: part } };
          if (i === 0 && mention && target.staffId) payload.at = { atUserIds: [target.staffId], isAtAll: false };
          const outcome = await postSessionWebhook(target.sessionWebhook!, payload);
          if (outcome.ok) {
            report.webhook++;
            continue;
          }
          webhookUsable = false;
          deps.log.warn({ user, reason: outcome.reason }, 'sessionWebhook failed; using OpenAPI');
        }
        if (isGroup) {
          const content = (i === 0 && mention ? nickPrefix(target.senderNick) : '') + part;
          await deps.api.groupSendText(target.conversationId!, content);
          report.group++;
        } else if (target.staffId) {
          await sendOto(target.staffId, part, deps, report);
        } else {
          report.failed += parts.length - i;
          deps.log.warn({ user }, 'reply dropped: webhook unusable and sender has no staffId');
          break;
        }
      }
    } catch (err) {
      report.failed++;
      const e = err as { code?: string; message?: string };
      deps.log.error({ user, code: e.code, err: e.message }, 'reply not delivered');
    }
  }
  return report;
}

/**
 * One markdown reply in a 1:1 chat: through the sessionWebhook while usable (not for 'private' replies, as
 * for text), else batchSend sampleMarkdown to the staffId. Throws when neither path can deliver it.
 */
async function deliverMarkdown(
  md: DingtalkMarkdown,
  visibility: Reply['visibility'],
  target: DingtalkReplyTarget,
  deps: DeliveryDeps,
  report: DeliveryReport,
  webhookUsable: () => boolean,
  markWebhookFailed: () => void,
): Promise<void> {
  if (visibility === 'chat' && webhookUsable()) {
    const outcome = await postSessionWebhook(target.sessionWebhook!, { msgtype: 'markdown', markdown: md });
    if (outcome.ok) {
      report.webhook++;
      report.markdown++;
      return;
    }
    markWebhookFailed();
    deps.log.warn({ user: target.staffId ? hashUserId('dingtalk', target.staffId) : 'anonymous', reason: outcome.reason }, 'sessionWebhook failed; using OpenAPI');
  }
  if (!target.staffId) {
    throw adapterError('DINGTALK_NO_RECIPIENT', 'reply dropped: webhook unusable and sender has no staffId');
  }
  const res = await deps.api.batchSendMarkdown([target.staffId], md.title, md.text);
  if (res.invalidStaffIdList.length > 0 || res.flowControlledStaffIdList.length > 0) {
    const reason = res.invalidStaffIdList.length > 0 ? 'invalid staffId (visibility range / robot not published)' : 'flow controlled';
    throw adapterError('DINGTALK_RECIPIENT_REFUSED', `batchSend refused the recipient: ${reason}`);
  }
  report.oto++;
  report.markdown++;
}

/** batchSend of one part to one staffId; a refused recipient is an error (DINGTALK_RECIPIENT_REFUSED). */
async function sendOto(staffId: string, content: string, deps: DeliveryDeps, report: DeliveryReport): Promise<void> {
  const res = await deps.api.batchSendText([staffId], content);
  if (res.invalidStaffIdList.length > 0 || res.flowControlledStaffIdList.length > 0) {
    const reason = res.invalidStaffIdList.length > 0 ? 'invalid staffId (visibility range / robot not published)' : 'flow controlled';
    throw adapterError('DINGTALK_RECIPIENT_REFUSED', `batchSend refused the recipient: ${reason}`);
  }
  report.oto++;
}
