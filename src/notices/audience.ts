import type { Audience, NoticeChannel } from '../platform/notices.ts';
import type { AudienceSpec } from '../store/ports/notices.ts';

/**
 * Exclusions of an {@link AudienceSpec} that took nobody out of the audience: excluded user ids
 * that match no one the included parts resolved to (a typo, or someone who is not in the chosen
 * departments), and excluded departments none of whose members is in it. Each list in the order
 * the spec gave it; both empty when every exclusion removed someone (or there were none).
 */
export interface UnmatchedExclusions {
  userIds: string[];
  departmentIds: string[];
}

/** What {@link resolveAudienceSpec} resolved: the recipients, and the exclusions that removed nobody. */
export interface ResolvedAudience {
  /** User ids, deduplicated in discovery order, less the exclusions. */
  users: string[];
  unmatchedExclusions: UnmatchedExclusions;
}

/**
 * Resolution of a broadcast's {@link AudienceSpec} through a platform's directory: each part
 * (everyone, the departments, the people) is one basic {@link Audience} the channel resolves
 * (NoticeChannel.resolveAudience, with the platform's paging and pacing); the core takes their
 * union, less the exclusions (members of the excluded departments and the excluded people),
 * deduplicated in discovery order. Company Communicator resolves the same way before fanning out
 * (its "prepare to send" step: github.com/OfficeDev/microsoft-teams-apps-company-communicator).
 *
 * User ids compare exactly, except that an exclusion also removes a spelling that differs only in
 * case (WeCom UserIDs are case-insensitive, developer.work.weixin.qq.com/document/path/90196).
 * Each excluded department is resolved on its own (one channel call per department), so that
 * `unmatchedExclusions` can name the ones that removed nobody; whether an exclusion matched is
 * judged against the union before any exclusion is taken out.
 * @throws whatever the channel throws (BotError naming the platform error)
 */
export async function resolveAudienceSpec(channel: Pick<NoticeChannel, 'resolveAudience'>, spec: AudienceSpec): Promise<ResolvedAudience> {
  const parts: Audience[] = [];
  if ('all' in spec && spec.all) parts.push({ all: true });
  else {
    const s = spec as { departmentIds?: string[]; userIds?: string[] };
    if (s.departmentIds?.length) parts.push({ departmentIds: s.departmentIds });
    if (s.userIds?.length) parts.push({ userIds: s.userIds });
  }
  const included: string[] = [];
  for (const p of parts) included.push(...(await channel.resolveAudience(p)));
  const inAudience = new Set(included.map((u) => u.toLowerCase()));
  const excluded = new Set<string>();
  const unmatchedExclusions: UnmatchedExclusions = { userIds: [], departmentIds: [] };
  const ex = spec.exclude;
  for (const d of ex?.departmentIds ?? []) {
    const members = (await channel.resolveAudience({ departmentIds: [d] })).map((u) => u.toLowerCase());
    for (const u of members) excluded.add(u);
    if (!members.some((u) => inAudience.has(u))) unmatchedExclusions.departmentIds.push(d);
  }
  for (const u of ex?.userIds ?? []) {
    excluded.add(u.toLowerCase());
    if (!inAudience.has(u.toLowerCase())) unmatchedExclusions.userIds.push(u);
  }
  const seen = new Set<string>();
  const users: string[] = [];
  for (const u of included) {
    if (seen.has(u) || excluded.has(u.toLowerCase())) continue;
    seen.add(u);
    users.push(u);
  }
  return { users, unmatchedExclusions };
}

/** How many departments or people {@link describeAudience} names in one list before "and N more". */
export const AUDIENCE_TEXT_MAX_NAMES = 20;

/**
 * An audience in words, English then Chinese: `研发部 (rd), excluding 周涛 (zhoutao) / 研发部（rd），排除 周涛（zhoutao）`;
 * everyone is `everyone` / `全员`; departments and people are named from `departments` / `people` (id → display
 * name) with their ids, or by the id alone when the directory did not name them; a list longer than
 * {@link AUDIENCE_TEXT_MAX_NAMES} ends "and N more" / "等 N 个". One line (line breaks in names become spaces).
 */
export function describeAudience(audience: AudienceSpec, departments: ReadonlyMap<string, string>, people: ReadonlyMap<string, string>): string {
  const name = (id: string, names: ReadonlyMap<string, string>, zh: boolean): string => {
    const n = names.get(id)?.replace(/\s+/g, ' ').trim();
    return n && n !== id ? (zh ? `${n}（${id}）` : `${n} (${id})`) : id;
  };
  const list = (ids: readonly string[], names: ReadonlyMap<string, string>, zh: boolean): string => {
    const shown = ids.slice(0, AUDIENCE_TEXT_MAX_NAMES).map((id) => name(id, names, zh));
    const more = ids.length - shown.length;
    const joined = shown.join(zh ? '、' : ', ');
    return more > 0 ? (zh ? `${joined} 等 ${ids.length} 个` : `${joined} and ${more} more`) : joined;
  };
  const parts = (a: { departmentIds?: string[]; userIds?: string[] }, zh: boolean): string[] => [
    ...(a.departmentIds?.length ? [list(a.departmentIds, departments, zh)] : []),
    ...(a.userIds?.length ? [list(a.userIds, people, zh)] : []),
  ];
  const say = (zh: boolean): string => {
    const included = 'all' in audience && audience.all ? [zh ? '全员' : 'everyone'] : parts(audience as { departmentIds?: string[]; userIds?: string[] }, zh);
    const excluded = audience.exclude ? parts(audience.exclude, zh) : [];
    const head = included.join(zh ? '；' : '; ');
    if (excluded.length === 0) return head;
    return zh ? `${head}，排除 ${excluded.join('；')}` : `${head}, excluding ${excluded.join('; ')}`;
  };
  return `${say(false)} / ${say(true)}`;
}
