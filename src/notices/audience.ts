import type { Audience, NoticeChannel } from '../platform/notices.ts';
import type { AudienceSpec } from '../store/ports/notices.ts';

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
 * @throws whatever the channel throws (BotError naming the platform error)
 */
export async function resolveAudienceSpec(channel: Pick<NoticeChannel, 'resolveAudience'>, spec: AudienceSpec): Promise<string[]> {
  const parts: Audience[] = [];
  if ('all' in spec && spec.all) parts.push({ all: true });
  else {
    const s = spec as { departmentIds?: string[]; userIds?: string[] };
    if (s.departmentIds?.length) parts.push({ departmentIds: s.departmentIds });
    if (s.userIds?.length) parts.push({ userIds: s.userIds });
  }
  const included: string[] = [];
  for (const p of parts) included.push(...(await channel.resolveAudience(p)));
  const excluded = new Set<string>();
  const ex = spec.exclude;
  if (ex?.departmentIds?.length) for (const u of await channel.resolveAudience({ departmentIds: ex.departmentIds })) excluded.add(u.toLowerCase());
  if (ex?.userIds?.length) for (const u of ex.userIds) excluded.add(u.toLowerCase());
  const seen = new Set<string>();
  const out: string[] = [];
  for (const u of included) {
    if (seen.has(u) || excluded.has(u.toLowerCase())) continue;
    seen.add(u);
    out.push(u);
  }
  return out;
}
