import { z } from 'zod';
import { audienceSchema } from '../notices/schema.ts';
import { POLICY_PLATFORM_PATTERN } from '../store/ports/policies.ts';

/**
 * Validation of a company policy as an admin declares it (HTTP API and CLI), with zod. Errors
 * name the field through `firstIssue` (src/notices/schema.ts), e.g. 'since: 2026-02-30 is not a
 * calendar date' or 'viewers: must list at least one reader'.
 */

/** Longest text fields, in characters (UTF-16 code units). */
export const MAX_POLICY_SCOPE_CHARS = 1000;
export const MAX_POLICY_RETENTION_CHARS = 200;
export const MAX_POLICY_PURPOSE_CHARS = 1000;
export const MAX_POLICY_LEGAL_BASIS_CHARS = 1000;
export const MAX_POLICY_VIEWER_CHARS = 200;
/** Most entries in `viewers`. */
export const MAX_POLICY_VIEWERS = 50;

/** A type error's message: 'is required' when the field is absent, else `message`. */
const typeError = (message: string) => ({ error: (i: { input: unknown }) => (i.input === undefined ? 'is required' : message) });

const text = (max: number) =>
  z
    .string(typeError('must be a string'))
    .transform((s) => s.trim())
    .pipe(z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`));

/** True when 'YYYY-MM-DD' names a day that exists (2026-02-30 does not; 2028-02-29 does). */
export function isCalendarDate(ymd: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
  return y >= 1 && days !== undefined && d >= 1 && d <= days;
}

const calendarDate = z
  .string(typeError('must be a date YYYY-MM-DD'))
  .transform((s) => s.trim())
  .pipe(
    z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
      .refine(isCalendarDate, { error: (i) => `${String(i.input)} is not a calendar date` }),
  );

/**
 * Body of POST /admin/policies (and of `privacy-bot policy create <file>`):
 * `{"platform", "audience": {"all": true} | {"departmentIds": [...]} | {"userIds": [...]},
 *   "since": "YYYY-MM-DD", "scope", "retention", "purpose", "legalBasis", "viewers": [...]}`.
 * Text is trimmed and kept as written (the admin's own words; shown to employees as given).
 * Department ids may be numbers or strings; ids are deduplicated. Unknown fields are refused.
 */
export const policyRequestSchema = z
  .object({
    platform: z.string(typeError('must be a string')).regex(POLICY_PLATFORM_PATTERN, 'must be a platform id such as "dingtalk" or "wecom"'),
    audience: audienceSchema,
    since: calendarDate,
    scope: text(MAX_POLICY_SCOPE_CHARS),
    retention: text(MAX_POLICY_RETENTION_CHARS),
    purpose: text(MAX_POLICY_PURPOSE_CHARS),
    legalBasis: text(MAX_POLICY_LEGAL_BASIS_CHARS),
    viewers: z
      .array(text(MAX_POLICY_VIEWER_CHARS), typeError('must be a list of who may read the archive'))
      .min(1, 'must list at least one reader')
      .max(MAX_POLICY_VIEWERS, `must list at most ${MAX_POLICY_VIEWERS} readers`),
  }, 'must be a JSON object')
  .strict();
export type PolicyRequest = z.infer<typeof policyRequestSchema>;
