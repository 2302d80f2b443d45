/**
 * The console's operation log in words: each audited route or action (the entry's `action`, e.g.
 * 'POST /console/api/broadcasts/:id/confirm', 'sign-in', 'admin add') named as what the person did,
 * with its parameters, in the console's languages — "发送通知《年度告知》v2 给 30 人" / 'Sent notice
 * "Annual notice" v2 to 30 people'. The raw route stays in the entry (the console shows it as a
 * tooltip; the export has a column for it).
 *
 * Entries keep ids and counts only ({@link AuditDetails}: never content); a notice's title is looked
 * up when the log is shown ({@link describeAudit}'s `title`). One table ({@link AUDIT_ACTIONS})
 * serves the console page (GET /console/api/audit) and the export (GET /console/api/audit.csv).
 */
import type { ConsoleAuditEntry } from './sessions.ts';

/** Parameters of an audited action: ids, counts and names, never a notice's or an employee's content. */
export interface AuditDetails {
  notice?: string;
  version?: number;
  /** People targeted (a send) or queued (a reminder / retry). */
  count?: number;
  platform?: string;
  /** What a resend covered: 'failed' | 'unacknowledged'. */
  only?: string;
  /** Why the console discarded an unconfirmed preparation: 'audience-changed' | 'dialog-closed'. */
  reason?: string;
  /** Status rows imported, or rows with errors when nothing was imported. */
  rows?: number;
  errors?: number;
  role?: string;
}

/** One logged action in both languages of the console. */
export interface AuditSummary {
  zh: string;
  en: string;
}

/** What a describer gets: the entry's target and details, and the notice's title when known. */
interface Facts {
  target: string;
  d: AuditDetails;
  /** The notice's title in each language ('' when unknown). */
  title: AuditSummary;
}

type Describe = (f: Facts) => AuditSummary;

const PREFIX = '/console/api';

/** 《title》v2 / "title" v2 — or the notice id, or the broadcast id, when the title is unknown. */
function notice(f: Facts): AuditSummary {
  const v = f.d.version !== undefined ? ` v${f.d.version}` : '';
  if (f.title.zh) return { zh: `《${f.title.zh}》${v.trim()}`, en: `"${f.title.en || f.title.zh}"${v}` };
  const id = f.d.notice ?? f.target;
  return { zh: id ? `${id}${v}` : v.trim(), en: id ? `${id}${v}` : v.trim() };
}

const both = (zh: string, en: string): AuditSummary => ({ zh, en });
const people = (n: number | undefined) => (n === undefined ? both('', '') : both(` 给 ${n} 人`, ` to ${n} ${n === 1 ? 'person' : 'people'}`));
const platformName = (p: string | undefined) => (p ? both(`（${p}）`, ` (${p})`) : both('', ''));
const EXPORTS: Record<string, AuditSummary> = {
  'recipients.csv': both('收件人 CSV', 'recipients CSV'),
  'audit.csv': both('审计 CSV', 'audit CSV'),
  'recipients.xlsx': both('收件人 XLSX', 'recipients XLSX'),
  'audit.xlsx': both('审计 XLSX', 'audit XLSX'),
};

function exportOf(file: string): Describe {
  const what = EXPORTS[file]!;
  return (f) => {
    const n = notice(f);
    return both(`导出${what.zh}：${n.zh}`, `Exported the ${what.en} of ${n.en}`);
  };
}

/**
 * Every audited route of the console (`METHOD /console/api/...` as the router matched it) and every
 * other logged action, with how it reads. Routes not listed show the raw route.
 */
export const AUDIT_ACTIONS: Readonly<Record<string, Describe>> = {
  [`POST ${PREFIX}/notices`]: (f) => both(`新建告知书${notice(f).zh}`, `Created notice ${notice(f).en}`),
  [`PUT ${PREFIX}/notices/:id`]: (f) => both(`编辑告知书${notice(f).zh}（新版本）`, `Edited notice ${notice(f).en} (new version)`),
  [`POST ${PREFIX}/notices/convert`]: () => both('转换为繁体中文（未保存）', 'Converted text to Traditional Chinese (nothing saved)'),
  [`POST ${PREFIX}/notices/:id/versions/:version/test-send`]: (f) => both(`测试发送${notice(f).zh}给自己${platformName(f.d.platform).zh}`, `Test-sent ${notice(f).en} to themself${platformName(f.d.platform).en}`),
  [`POST ${PREFIX}/broadcasts`]: (f) => both(`发送通知${notice(f).zh}${people(f.d.count).zh}`, `Sent notice ${notice(f).en}${people(f.d.count).en}`),
  [`POST ${PREFIX}/broadcasts/prepare`]: (f) => both(`准备发送${notice(f).zh}（核对人数）${platformName(f.d.platform).zh}`, `Prepared sending ${notice(f).en} (head count)${platformName(f.d.platform).en}`),
  [`POST ${PREFIX}/broadcasts/:id/confirm`]: (f) => both(`发送通知${notice(f).zh}${people(f.d.count).zh}`, `Sent notice ${notice(f).en}${people(f.d.count).en}`),
  [`POST ${PREFIX}/broadcasts/:id/resend`]: (f) => {
    const n = f.d.count;
    return f.d.only === 'failed'
      ? both(`重发失败的${n === undefined ? '' : ` ${n} `}人：${notice(f).zh}`, `Retried the ${n === undefined ? '' : `${n} `}failed: ${notice(f).en}`)
      : both(`提醒未确认的${n === undefined ? '' : ` ${n} `}人：${notice(f).zh}`, `Reminded the ${n === undefined ? '' : `${n} `}unacknowledged: ${notice(f).en}`);
  },
  [`POST ${PREFIX}/broadcasts/:id/cancel`]: (f) => both(`取消发送${notice(f).zh}`, `Cancelled sending ${notice(f).en}`),
  // Not a cancel by the admin: the console drops a head count nobody confirmed when the selection changes or the
  // dialog closes (nothing was sent).
  [`POST ${PREFIX}/broadcasts/:id/discard`]: (f) =>
    f.d.reason === 'dialog-closed'
      ? both(`关闭发送对话框，作废未确认的准备${notice(f).zh}`, `Preparation of ${notice(f).en} discarded (send dialog closed, not confirmed)`)
      : both(`重新选择发送对象，作废未确认的准备${notice(f).zh}`, `Preparation of ${notice(f).en} discarded (audience changed)`),
  ...Object.fromEntries(Object.keys(EXPORTS).map((file) => [`GET ${PREFIX}/broadcasts/:id/${file}`, exportOf(file)])),
  [`POST ${PREFIX}/policies`]: (f) => both(`声明政策 ${f.target}`.trim(), `Declared policy ${f.target}`.trim()),
  [`DELETE ${PREFIX}/policies/:id`]: (f) => both(`撤回政策 ${f.target}`, `Withdrew policy ${f.target}`),
  [`POST ${PREFIX}/statuses/import`]: (f) =>
    f.d.errors ? both(`导入状态：${f.d.errors} 行有错误，未导入`, `Status import refused: ${f.d.errors} bad rows, nothing imported`) : both(`导入状态 ${f.d.rows ?? '?'} 行`, `Imported ${f.d.rows ?? '?'} status rows`),
  [`POST ${PREFIX}/password`]: () => both('修改自己的密码', 'Changed their password'),
  [`GET ${PREFIX}/audit.csv`]: () => both('导出操作记录', 'Exported the audit trail'),
  [`POST ${PREFIX}/accounts`]: (f) => both(`添加管理员 ${f.target}${f.d.role ? `（${f.d.role}）` : ''}`, `Added console account ${f.target}${f.d.role ? ` (${f.d.role})` : ''}`),
  [`PUT ${PREFIX}/accounts/:name/role`]: (f) => both(`把 ${f.target} 的角色改为 ${f.d.role ?? '?'}`, `Changed the role of ${f.target} to ${f.d.role ?? '?'}`),
  [`POST ${PREFIX}/accounts/:name/reset`]: (f) => both(`重置 ${f.target} 的密码`, `Reset the password of ${f.target}`),
  [`DELETE ${PREFIX}/accounts/:name`]: (f) => both(`删除账号 ${f.target}`, `Removed the account ${f.target}`),
  [`POST ${PREFIX}/accounts/:name/links`]: (f) => both(`为 ${f.target.split(' ')[0]} 关联工作平台账号 ${f.target.split(' ').slice(1).join(' ')}`, `Linked ${f.target.split(' ').slice(1).join(' ')} to ${f.target.split(' ')[0]}`),
  [`DELETE ${PREFIX}/accounts/:name/links`]: (f) => both(`解除 ${f.target.split(' ')[0]} 的关联 ${f.target.split(' ').slice(1).join(' ')}`, `Unlinked ${f.target.split(' ').slice(1).join(' ')} from ${f.target.split(' ')[0]}`),
  'sign-in': () => both('登录', 'Signed in'),
  'sign-in failed': () => both('登录失败（账号或密码错误）', 'Sign-in failed (wrong name or password)'),
  'sign-out': () => both('退出', 'Signed out'),
  'admin add': (f) => both(`（命令行）添加管理员 ${f.target}`, `(CLI) Added console account ${f.target}`),
  'admin reset': (f) => both(`（命令行）重置 ${f.target} 的密码`, `(CLI) Reset the password of ${f.target}`),
  'admin remove': (f) => both(`（命令行）删除账号 ${f.target}`, `(CLI) Removed the account ${f.target}`),
  'admin link': (f) => both(`（命令行）关联工作平台账号 ${f.target}`, `(CLI) Linked ${f.target}`),
  'admin unlink': (f) => both(`（命令行）解除关联 ${f.target}`, `(CLI) Unlinked ${f.target}`),
};

/** Actions whose text carries a parameter: 'sign-in (wecom)', 'sign-in refused (feishu: reason)', 'admin role auditor'. */
const PATTERNS: [RegExp, (m: RegExpExecArray, f: Facts) => AuditSummary][] = [
  [/^sign-in \(([a-z]+)\)$/, (m) => both(`通过 ${m[1]} 登录`, `Signed in with ${m[1]}`)],
  [/^sign-in refused \(([a-z]+): (.*)\)$/s, (m) => both(`通过 ${m[1]} 登录被拒绝：${m[2]}`, `Sign-in with ${m[1]} refused: ${m[2]}`)],
  [/^admin role ([a-z]+)$/, (m, f) => both(`（命令行）把 ${f.target} 的角色改为 ${m[1]}`, `(CLI) Changed the role of ${f.target} to ${m[1]}`)],
];

/**
 * `entry` as a person would say it, in Chinese and English, with `title(noticeId, version)` (the
 * notice's title per language, or undefined when unknown) filling in what the entry only names by id.
 * A refused action (status ≥ 400) says so and gives the status. An action not in {@link AUDIT_ACTIONS}
 * reads as its raw text.
 */
export function describeAudit(entry: ConsoleAuditEntry & { details?: AuditDetails }, title: (noticeId: string, version?: number) => AuditSummary | undefined): AuditSummary {
  const d = entry.details ?? {};
  const f: Facts = { target: entry.target ?? '', d, title: (d.notice ? title(d.notice, d.version) : undefined) ?? { zh: '', en: '' } };
  let s: AuditSummary | undefined = AUDIT_ACTIONS[entry.action]?.(f);
  if (!s) {
    for (const [re, make] of PATTERNS) {
      const m = re.exec(entry.action);
      if (m) {
        s = make(m, f);
        break;
      }
    }
  }
  s = s ? both(s.zh.trim(), s.en.replace(/ {2,}/g, ' ').trim()) : both(entry.action, entry.action);
  const refused = entry.status >= 400 && !entry.action.startsWith('sign-in');
  return refused ? both(`${s.zh}（未成功，${entry.status}）`, `${s.en} (refused, ${entry.status})`) : s;
}
