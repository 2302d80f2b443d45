import type { Logger } from 'pino';
import type { CommandHandler, DeferredReply } from '../platform/plugins.ts';
import { messagesFor } from '../bot/messages.ts';
import { hashUserId } from '../log.ts';
import { toTraditional } from '../matching/language.ts';
import type { Audience } from '../platform/notices.ts';
import type { NoticeService } from '../notices/service.ts';
import { newBroadcastId } from '../notices/ids.ts';
import type { KeyValueStore } from '../store/ports/store.ts';
import type { BotResult, InboundMessage, Lang } from '../platform/message.ts';

/** How long a "/notice send" waits for the admin's "yes", in ms (5 minutes). */
export const CONFIRM_TTL_MS = 5 * 60 * 1000;

/** Most notices and broadcasts `/notice list` shows. */
const LIST_LIMIT = 10;

/** A pending "/notice send", kept in the store until confirmed or expired. */
interface PendingSend {
  /** The id the broadcast gets when confirmed: recording it twice is impossible, so a "yes" the
   * platform delivers again (or a second "yes") starts nothing new. Absent in records written
   * before it existed (then a new id is drawn at the "yes"). */
  broadcastId?: string;
  noticeId: string;
  version: number;
  platform: string;
  audience: Audience;
}

const confirmKey = (m: InboundMessage) => `notice-confirm:${m.platform}:${m.userId}`;
/** Held (for {@link CONFIRM_TTL_MS}) by the one reply that resolves a confirmed broadcast's audience. */
const startKey = (broadcastId: string) => `notice-confirm-start:${broadcastId}`;

/** Answers 'yes' to a pending send ("yes", "y", "是", "是的"; trimmed, any case, trailing punctuation ok). */
export function isYes(text: string): boolean {
  return /^(yes|y|是|是的)[\s.!！。]*$/iu.test(text.trim());
}

interface AdminTexts {
  usage: string;
  noNotices: string;
  notices: string;
  broadcasts: string;
  confirm(title: string, version: number, audience: string, platform: string): string;
  started(id: string, targeted: number): string;
  already(id: string, state: string): string;
  failed(reason: string): string;
  refused(reason: string): string;
  expired: string;
  status(id: string, state: string, c: Record<string, number>, readSupported: boolean): string;
  audience(a: Audience): string;
}

const zh: AdminTexts = {
  usage:
    '管理员命令（仅限单聊）：\n/notice list — 通知与最近的发送\n/notice send <通知ID> all | dept <部门ID…> | users <用户ID…> — 发送（需回复 yes 确认）\n/notice status <发送ID> — 送达、已读、确认人数',
  noNotices: '还没有通知。请先用管理 API 或命令行创建通知（见 README“Archiving notices”）。',
  notices: '通知：',
  broadcasts: '最近的发送：',
  confirm: (t, v, a, p) => `将在${p}向${a}发送《${t}》第 ${v} 版。\n5 分钟内回复 yes 确认发送；回复其他内容则不发送。`,
  started: (id, n) => `已开始发送：${id}，共 ${n} 人。用 /notice status ${id} 查看进度。`,
  already: (id, s) => `这次发送已经确认过：${id}（${s}）。用 /notice status ${id} 查看进度。`,
  failed: (r) => `没有发送：${r}`,
  refused: (r) => `无法完成：${r}`,
  expired: '没有待确认的发送（可能已超过 5 分钟），请重新发送 /notice send。',
  status: (id, s, c, rs) =>
    `${id}（${s}）：目标 ${c.targeted}，待发 ${c.pending}，已送达 ${c.sent}，失败 ${c.failed}，已读 ${rs ? c.read : '未知（平台不提供已读回执）'}，已确认 ${c.acknowledged}`,
  audience: (a) => ('all' in a ? '全员' : 'departmentIds' in a ? `部门 ${a.departmentIds.join(', ')}` : `${a.userIds.length} 位指定员工`),
};

const en: AdminTexts = {
  usage:
    'Admin commands (1:1 chat only):\n/notice list — notices and recent broadcasts\n/notice send <noticeId> all | dept <ids…> | users <ids…> — send (asks for "yes")\n/notice status <broadcastId> — delivered, read and acknowledged counts',
  noNotices: 'There are no notices yet. Create one with the admin API or the CLI first (README, "Archiving notices").',
  notices: 'Notices:',
  broadcasts: 'Recent broadcasts:',
  confirm: (t, v, a, p) => `About to send "${t}" v${v} to ${a} on ${p}.\nReply yes within 5 minutes to send it; anything else cancels.`,
  started: (id, n) => `Sending started: ${id}, ${n} recipient(s). Follow it with /notice status ${id}.`,
  already: (id, s) => `This send was already confirmed: ${id} (${s}). Follow it with /notice status ${id}.`,
  failed: (r) => `Not sent: ${r}`,
  refused: (r) => `Could not do that: ${r}`,
  expired: 'Nothing is waiting for a yes (5 minutes may have passed); send /notice send again.',
  status: (id, s, c, rs) =>
    `${id} (${s}): targeted ${c.targeted}, pending ${c.pending}, sent ${c.sent}, failed ${c.failed}, read ${rs ? c.read : 'unknown (no read receipts on this platform)'}, acknowledged ${c.acknowledged}`,
  audience: (a) => ('all' in a ? 'everyone' : 'departmentIds' in a ? `departments ${a.departmentIds.join(', ')}` : `${a.userIds.length} listed employee(s)`),
};

function textsFor(lang: Lang): AdminTexts {
  return lang === 'en' ? en : zh;
}

/** Converts a zh-CN admin text for a zh-TW admin. */
function localise(text: string, lang: Lang): string {
  return lang === 'zh-TW' ? toTraditional(text) : text;
}

function result(m: InboundMessage, lang: Lang, text: string, intent: BotResult['intent'] = 'status'): BotResult {
  return { intent, topic: null, score: 1, suggestions: [], lang, replies: [{ text: localise(text, lang), visibility: 'chat', mentionAsker: m.chat.kind === 'group' }] };
}

/** Exactly the router's help reply, so a non-admin cannot tell admin commands exist. */
function ordinaryHelp(m: InboundMessage, lang: Lang): BotResult {
  return { intent: 'help', topic: null, score: 0, suggestions: [], lang, replies: [{ text: messagesFor(lang).help, visibility: 'chat', mentionAsker: m.chat.kind === 'group' }] };
}

/** Splits "1,2 3、4" into ids. */
function ids(words: string[]): string[] {
  return [...new Set(words.join(' ').split(/[\s,，、]+/).filter(Boolean))];
}

/**
 * Chat admin commands for the admins of ADMIN_USERS ('platform:userId'), in a 1:1 chat only:
 * `/notice list`, `/notice send <noticeId> all | dept <ids> | users <ids>` (stores the request
 * for {@link CONFIRM_TTL_MS} and sends only after the admin answers "yes"; the broadcast goes to
 * the admin's own platform), `/notice status <broadcastId>`. Anyone else — and an admin in a
 * group — who types `/notice…` gets exactly the ordinary help reply. Other text returns null
 * (next command / FAQ), except an admin's "yes" while a send waits for it.
 *
 * Durability (`changesState`: every 1:1 text of an admin, since each one prepares, confirms or
 * cancels a send): the "yes" records the broadcast (state resolving, under the id drawn at
 * `/notice send`) before it returns; resolving the audience through the platform's directory
 * and the "Sending started" reply come after the platform was told the message arrived (a
 * {@link DeferredReply}). The same "yes" delivered again after a crash finds the broadcast recorded
 * and resumes it; a second "yes" (another message) says it was already confirmed. A crash after
 * the platform was told but before the audience was resolved leaves the broadcast 'resolving'
 * (shown by /notice status and the admin API; cancel it and send again).
 */
export function createAdminCommand(options: {
  service: NoticeService;
  kv: KeyValueStore;
  admins: readonly string[];
  log: Logger;
}): CommandHandler<BotResult | DeferredReply> {
  const { service, kv, log } = options;
  const admins = new Set(options.admins);
  const isAdminChat = (m: InboundMessage): boolean => !m.anonymous && admins.has(`${m.platform}:${m.userId}`) && m.chat.kind === 'single';

  const command: CommandHandler<BotResult | DeferredReply> = async (m, lang) => {
    if (m.kind !== 'text') return null;
    const text = m.text.trim();
    const isCommand = /^\/notice(\s|$)/i.test(text);
    const isAdmin = isAdminChat(m);
    if (!isCommand) {
      if (!isAdmin) return null;
      if (isYes(text)) return confirm(m, lang);
      // Anything else cancels a send waiting for "yes" (best effort), and goes on to the FAQ.
      await kv.delete(confirmKey(m)).catch(() => {});
      return null;
    }
    if (!isAdmin) return ordinaryHelp(m, lang);
    const t = textsFor(lang);
    const [, sub = '', ...args] = text.split(/\s+/);
    try {
      switch (sub.toLowerCase()) {
        case 'list':
          return result(m, lang, await list(t));
        case 'send':
          return result(m, lang, await prepareSend(m, t, args));
        case 'status': {
          if (!args[0]) return result(m, lang, t.usage);
          const b = await service.getBroadcast(args[0]);
          return result(m, lang, t.status(b.id, b.state, { ...b.counts }, b.readSupported));
        }
        default:
          return result(m, lang, t.usage);
      }
    } catch (err) {
      const e = err as { code?: string; message?: string; status?: number };
      log.warn({ admin: hashUserId(m.platform, m.userId), code: e.code }, 'chat admin command refused');
      const reason = e.status !== undefined && e.status < 500 ? (e.message ?? '') : 'the store or the platform is not answering; try again later';
      return result(m, lang, sub.toLowerCase() === 'send' ? t.failed(reason) : t.refused(reason));
    }
  };
  command.changesState = (m) => m.kind === 'text' && isAdminChat(m);

  async function list(t: AdminTexts): Promise<string> {
    const notices = (await service.listNotices()).slice(0, LIST_LIMIT);
    if (notices.length === 0) return t.noNotices;
    const lines = [t.notices, ...notices.map((n) => `- ${n.id} v${n.latestVersion} ${n.title.zh} / ${n.title.en}`)];
    const recent = (await service.listBroadcasts(5)).map((b) => `- ${t.status(b.id, b.state, { ...b.counts }, b.readSupported)}`);
    if (recent.length > 0) lines.push(t.broadcasts, ...recent);
    return lines.join('\n');
  }

  async function prepareSend(m: InboundMessage, t: AdminTexts, args: string[]): Promise<string> {
    const [noticeId, kind = '', ...rest] = args;
    // A message cut to the platform's length limit may have lost users or departments at its end.
    if (m.truncated) return t.failed('the message was too long and was cut; name fewer users or departments per send');
    let audience: Audience;
    if (kind.toLowerCase() === 'all' && rest.length === 0) audience = { all: true };
    else if (kind.toLowerCase() === 'dept' && ids(rest).length > 0) audience = { departmentIds: ids(rest) };
    else if (kind.toLowerCase() === 'users' && ids(rest).length > 0) audience = { userIds: ids(rest) };
    else return t.usage;
    if (!service.channelFor(m.platform)) return t.failed(`${m.platform} cannot send notices here`);
    const notice = await service.getNoticeVersion(noticeId!);
    const pending: PendingSend = {
      broadcastId: newBroadcastId(),
      noticeId: notice.noticeId,
      version: notice.version,
      platform: m.platform,
      audience,
    };
    await kv.set(confirmKey(m), JSON.stringify(pending), CONFIRM_TTL_MS);
    return t.confirm(lang(t) === 'en' ? notice.title.en : notice.title.zh, notice.version, t.audience(audience), m.platform);
  }

  function lang(t: AdminTexts): Lang {
    return t === en ? 'en' : 'zh-CN';
  }

  /** True when the message `messageId` may resolve broadcast `id`: the first to ask, or the same message again. */
  async function startsIt(id: string, messageId: string): Promise<boolean> {
    if (await kv.claim(startKey(id), CONFIRM_TTL_MS, messageId)) return true;
    return (await kv.get(startKey(id))) === messageId;
  }

  /**
   * The admin's "yes": records the pending broadcast (durable when this resolves) and defers
   * resolving its audience and the reply. Null when nothing waits for a yes.
   */
  async function confirm(m: InboundMessage, replyLang: Lang): Promise<BotResult | DeferredReply | null> {
    let raw: string | null;
    try {
      raw = await kv.get(confirmKey(m));
    } catch {
      return null;
    }
    if (!raw) return null; // a plain "yes" with nothing pending: not ours
    const pending = JSON.parse(raw) as PendingSend;
    const t = textsFor(replyLang);
    const id = pending.broadcastId ?? newBroadcastId();
    const admin = hashUserId(m.platform, m.userId);
    const failed = (err: unknown): BotResult => {
      const e = err as { code?: string; message?: string; status?: number };
      log.warn({ admin, code: e.code }, 'broadcast from chat failed');
      return result(m, replyLang, t.failed(e.status !== undefined && e.status < 500 ? (e.message ?? '') : 'the store or the platform is not answering; try again later'));
    };
    try {
      // Exactly once, even if the platform delivers the "yes" twice or two instances see it: the id is fixed.
      if ((await service.findBroadcast(id)) === null) {
        await service
          .recordBroadcast({
            id,
            noticeId: pending.noticeId,
            version: pending.version,
            platform: pending.platform,
            audience: pending.audience,
            createdBy: `chat:${m.platform}:${m.userId}`,
          })
          .catch(async (err: unknown) => {
            // Recorded meanwhile by another instance: fine. Anything else is a real failure.
            if ((await service.findBroadcast(id).catch(() => null)) === null) throw err;
          });
      }
    } catch (err) {
      return failed(err);
    }
    return {
      deferred: async () => {
        try {
          const b = await service.findBroadcast(id);
          if (b === null) return failed(new Error('broadcast missing'));
          // One message resolves the audience; a second "yes" (or one on another instance) only
          // reports. The same message delivered again takes over: the platform redelivers only
          // what was not acknowledged, so the instance that held it died before answering.
          if (b.state !== 'resolving' || !(await startsIt(id, m.messageId))) {
            await kv.deleteIf(confirmKey(m), raw).catch(() => false);
            return result(m, replyLang, t.already(id, b.state));
          }
          const started = await service.startBroadcast(id);
          await kv.deleteIf(confirmKey(m), raw).catch(() => false);
          log.info({ admin, broadcast: started.id }, 'broadcast started from chat');
          return result(m, replyLang, t.started(started.id, started.counts.targeted));
        } catch (err) {
          await kv.deleteIf(confirmKey(m), raw).catch(() => false);
          return failed(err);
        }
      },
    };
  }
  return command;
}
