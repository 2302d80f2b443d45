import { z } from 'zod';
import type { Audience } from '../platform/notices.ts';
import type { AudienceSpec } from '../store/ports/notices.ts';
import { LOCAL_DATETIME } from '../evidence/time.ts';
import { ID_PATTERN, MAX_USER_ID_CHARS, PLATFORM_PATTERN } from '../store/ports/notices-args.ts';

/**
 * Validation of what admins send (HTTP API, CLI, chat), with zod. Errors name the field
 * (see {@link firstIssue}); the store checks again, but users meet these messages first.
 */

/** Longest notice title and body, in characters. */
export const MAX_TITLE_CHARS = 200;
export const MAX_BODY_CHARS = 5000;
/** Most department ids and user ids one audience may list. */
export const MAX_DEPARTMENT_IDS = 1000;
export const MAX_AUDIENCE_USER_IDS = 100_000;

/** Control characters a notice text may not hold: C0 except tab, line feed and carriage return, and DEL. */
// eslint-disable-next-line no-control-regex
const TEXT_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

const text = (max: number) =>
  z
    .string()
    .transform((s) => s.trim())
    .pipe(
      z
        .string()
        .min(1, 'must not be empty')
        .max(max, `must be at most ${max} characters`)
        .refine((s) => !TEXT_CONTROL.test(s), 'must not contain control characters (line breaks and tabs are fine)'),
    );

/** An optional language: absent, null or blank (after trim) all mean "not written". */
const optionalText = (max: number) =>
  z
    .union([z.string(), z.null()])
    .optional()
    .transform((s) => (s ?? '').trim())
    .pipe(z.union([z.literal(''), text(max)]));

const bilingual = (max: number) =>
  z
    .object({ zh: text(max), en: optionalText(max), 'zh-TW': optionalText(max) }, { error: 'must be an object {"zh": "…", "en"?: "…", "zh-TW"?: "…"}' })
    .strict()
    .transform((b) => ({ zh: b.zh, en: b.en, ...(b['zh-TW'] ? { 'zh-TW': b['zh-TW'] } : {}) }));

/**
 * `{"title": {"zh", "en"?, "zh-TW"?}, "body": {"zh", "en"?, "zh-TW"?}}` — a notice's content.
 * zh (Simplified Chinese) is required; English and Taiwan Traditional are optional (absent, null or
 * blank = not written: `en` becomes '', `zh-TW` is left out). Old bodies with both zh and en stay valid.
 */
export const noticeContentSchema = z.object({ title: bilingual(MAX_TITLE_CHARS), body: bilingual(MAX_BODY_CHARS) }).strict();
export type NoticeContent = z.infer<typeof noticeContentSchema>;

/** Body of POST /admin/notices/convert: Simplified Chinese texts to convert to Taiwan Traditional. */
export const convertRequestSchema = z
  .object({ title: z.string().max(MAX_TITLE_CHARS, `must be at most ${MAX_TITLE_CHARS} characters`).optional(), body: z.string().max(MAX_BODY_CHARS, `must be at most ${MAX_BODY_CHARS} characters`).optional() })
  .strict()
  .refine((r) => r.title !== undefined || r.body !== undefined, 'give "title" or "body" (Simplified Chinese)');

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const platformId = z.string().regex(PLATFORM_PATTERN, 'must be a platform id such as "wecom" or "dingtalk"');
const departmentId = z
  .union([z.string(), z.number().int().nonnegative()])
  .transform((v) => String(v).trim())
  .pipe(z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters').refine((s) => !CONTROL.test(s), 'must not contain control characters'));
const userId = z
  .string()
  .transform((s) => s.trim())
  .pipe(z.string().min(1, 'must not be empty').max(MAX_USER_ID_CHARS, `must be at most ${MAX_USER_ID_CHARS} characters`).refine((s) => !CONTROL.test(s), 'must not contain control characters'));

const AUDIENCE_SHAPES = 'must be {"all": true}, {"departmentIds": [...]} or {"userIds": [...]}';
const audienceBranches = {
  all: z.object({ all: z.literal(true, 'must be true') }).strict(),
  departmentIds: z.object({ departmentIds: z.array(departmentId).min(1, 'must list at least one id').max(MAX_DEPARTMENT_IDS).transform(unique) }).strict(),
  userIds: z.object({ userIds: z.array(userId).min(1, 'must list at least one id').max(MAX_AUDIENCE_USER_IDS).transform(unique) }).strict(),
};

/**
 * `{"all": true}` | `{"departmentIds": [...]}` | `{"userIds": [...]}` (ids deduplicated, order
 * kept). The branch is chosen by its key, so errors talk about the shape the admin meant.
 */
export const audienceSchema = z.record(z.string(), z.unknown(), AUDIENCE_SHAPES).transform((v, ctx): Audience => {
  // Own keys only: `in` would also find Object.prototype's ('toString', 'constructor'…), and
  // {"toString": …} then crashed the request with a TypeError (500).
  const keys = Object.keys(v).filter((k): k is keyof typeof audienceBranches => Object.hasOwn(audienceBranches, k));
  if (keys.length !== 1) {
    ctx.addIssue({ code: 'custom', message: AUDIENCE_SHAPES });
    return z.NEVER;
  }
  const r = audienceBranches[keys[0]!].safeParse(v);
  if (!r.success) {
    for (const i of r.error.issues) ctx.addIssue({ ...i, path: i.path } as Parameters<typeof ctx.addIssue>[0]);
    return z.NEVER;
  }
  return r.data as Audience;
});

const BROADCAST_AUDIENCE_SHAPES =
  'must be {"all": true} or list "departmentIds" and/or "userIds" (each optionally with "exclude": {"departmentIds", "userIds"})';
const departmentIds = z.array(departmentId).min(1, 'must list at least one id').max(MAX_DEPARTMENT_IDS).transform(unique);
const userIds = z.array(userId).min(1, 'must list at least one id').max(MAX_AUDIENCE_USER_IDS).transform(unique);
const exclusionSchema = z
  .object({ departmentIds: departmentIds.optional(), userIds: userIds.optional() }, { error: 'must be an object {"departmentIds"?: [...], "userIds"?: [...]}' })
  .strict();

/**
 * The audience of a broadcast ({@link AudienceSpec}): `{"all": true}`, or `"departmentIds"` and/or
 * `"userIds"` (picked in the console's directory tree and people search, or uploaded as a CSV),
 * each optionally with `"exclude": {"departmentIds"?, "userIds"?}` (people left out even when in
 * an included department). Ids are trimmed and deduplicated, order kept. Errors name the field,
 * e.g. 'audience.exclude.userIds.0: must not be empty'.
 */
export const broadcastAudienceSchema = z
  .object(
    { all: z.literal(true, 'must be true').optional(), departmentIds: departmentIds.optional(), userIds: userIds.optional(), exclude: exclusionSchema.optional() },
    { error: BROADCAST_AUDIENCE_SHAPES },
  )
  .strict()
  .transform((v, ctx): AudienceSpec => {
    const included = v.departmentIds !== undefined || v.userIds !== undefined;
    if (v.all === true ? included : !included) {
      ctx.addIssue({ code: 'custom', message: BROADCAST_AUDIENCE_SHAPES });
      return z.NEVER;
    }
    const exclude = v.exclude && (v.exclude.departmentIds || v.exclude.userIds) ? { exclude: v.exclude } : {};
    if (v.all) return { all: true, ...exclude };
    return { ...(v.departmentIds ? { departmentIds: v.departmentIds } : {}), ...(v.userIds ? { userIds: v.userIds } : {}), ...exclude } as AudienceSpec;
  });

function unique(ids: string[]): string[] {
  return [...new Set(ids)];
}

/** Body of POST /admin/broadcasts. */
export const broadcastRequestSchema = z
  .object({
    noticeId: z.string().regex(ID_PATTERN, 'must be a notice id such as "n-k3v9q2x7ma"'),
    version: z.number().int().min(1).optional(),
    platform: platformId,
    audience: broadcastAudienceSchema,
    /**
     * Send no earlier than this: 'YYYY-MM-DDTHH:mm' in the company time zone (the console's picker;
     * src/evidence/time.ts), ISO 8601 with an offset, or ms since the epoch; absent = now.
     */
    notBefore: z
      .union([z.number().int().nonnegative(), z.string().regex(LOCAL_DATETIME), z.iso.datetime({ offset: true })], {
        error: 'must be "YYYY-MM-DDTHH:mm" in the company time zone, an ISO 8601 time with an offset, or ms since the epoch',
      })
      .optional(),
  })
  .strict();
export type BroadcastRequest = z.infer<typeof broadcastRequestSchema>;

/**
 * Body of POST /admin/broadcasts/:id/discard: why the console dropped an unconfirmed preparation — the admin changed
 * the audience (or the schedule) after the head count, or closed the send dialog.
 */
export const discardRequestSchema = z.object({ reason: z.enum(['audience-changed', 'dialog-closed'], 'must be "audience-changed" or "dialog-closed"') }).strict();

/** Body of POST /admin/broadcasts/:id/resend. */
export const resendRequestSchema = z.object({ only: z.enum(['failed', 'unacknowledged'], 'must be "failed" or "unacknowledged"') }).strict();

/**
 * The first problem of a failed parse as "<field path>: <message>", e.g.
 * 'audience.departmentIds.0: must not be empty' or 'title.zh: must be at most 200 characters'.
 * For a union, the branch that got furthest is reported.
 */
export function firstIssue(error: z.ZodError): string {
  let issue: z.core.$ZodIssue = error.issues[0]!;
  // A union reports one issue holding each branch's issues. Branches that fail only because
  // their key is absent say nothing useful; report the deepest issue of the others, or the
  // union's own message when every branch is of that kind.
  const branches = (issue as { errors?: z.core.$ZodIssue[][] }).errors;
  if (issue.code === 'invalid_union' && branches && branches.length > 0) {
    const best = branches
      .flat()
      .filter((b) => !missing(b) && b.code !== 'unrecognized_keys')
      .sort((a, b) => b.path.length - a.path.length)[0];
    if (best) issue = { ...best, path: [...issue.path, ...best.path] };
  }
  let path = issue.path.map(String).join('.');
  let message = issue.message;
  if (missing(issue)) message = 'is required';
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys: string[] }).keys;
    path = [path, keys.join(', ')].filter(Boolean).join('.');
    message = 'is not a known field';
  }
  return path ? `${path}: ${message}` : message;
}

function missing(issue: z.core.$ZodIssue): boolean {
  return issue.code === 'invalid_type' && /received undefined/.test(issue.message);
}
