/**
 * Times in the company's time zone with its UTC offset, as the CSV and XLSX exports and the console's
 * charts show them: ISO 8601 with the zone's offset at that instant, e.g.
 * `2026-12-05T20:10:09.123+08:00` for 2026-12-05T12:10:09.123Z in Asia/Shanghai. The same instant
 * as the UTC form older CSV exports wrote (`Date.parse` of either gives the same ms).
 */

/** One formatter per time zone (building one costs ~100 µs, formatting ~1 µs). */
const formats = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formats.set(timeZone, f);
  }
  return f;
}

/** Wall-clock fields of `ms` in `timeZone` and the zone's offset from UTC at that instant, in minutes. */
export function zonedParts(ms: number, timeZone: string): { year: number; month: number; day: number; hour: number; minute: number; second: number; offsetMinutes: number } {
  const p: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(ms)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const wholeSeconds = Math.floor(ms / 1000) * 1000;
  const asUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return { year: p.year!, month: p.month!, day: p.day!, hour: p.hour!, minute: p.minute!, second: p.second!, offsetMinutes: Math.round((asUtc - wholeSeconds) / 60_000) };
}

const two = (n: number) => String(n).padStart(2, '0');

/**
 * `ms` (since the Unix epoch) as ISO 8601 in `timeZone` (IANA name) with its offset:
 * `YYYY-MM-DDTHH:mm:ss.sss+HH:MM`; '' for null.
 * @throws RangeError for an unknown time zone name
 */
export function zonedIso(ms: number | null, timeZone: string): string {
  if (ms === null) return '';
  const z = zonedParts(ms, timeZone);
  const off = Math.abs(z.offsetMinutes);
  const sign = z.offsetMinutes < 0 ? '-' : '+';
  const millis = String(((ms % 1000) + 1000) % 1000).padStart(3, '0');
  return `${String(z.year).padStart(4, '0')}-${two(z.month)}-${two(z.day)}T${two(z.hour)}:${two(z.minute)}:${two(z.second)}.${millis}${sign}${two(Math.floor(off / 60))}:${two(off % 60)}`;
}

/** The zone's offset at `ms` as `UTC+08:00` (for headers and chart captions). */
export function offsetLabel(ms: number, timeZone: string): string {
  return `UTC${zonedIso(ms, timeZone).slice(23)}`;
}

/** A wall-clock time without offset, as a company-time picker gives it: `YYYY-MM-DDTHH:mm` (seconds optional). */
export const LOCAL_DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * The instant (ms since the Unix epoch) of a wall-clock time in `timeZone` (IANA name), e.g.
 * '2026-12-06T09:00' in Asia/Shanghai -> Date.parse('2026-12-06T01:00:00Z'). A time skipped by a
 * daylight-saving change is taken with the offset before it. Null when `local` is not
 * {@link LOCAL_DATETIME} or names no real date.
 * @throws RangeError for an unknown time zone name
 */
export function zonedLocalToEpoch(local: string, timeZone: string): number | null {
  const m = LOCAL_DATETIME.exec(local);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(asUtc);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
  let ms = asUtc - zonedParts(asUtc, timeZone).offsetMinutes * 60_000;
  // The offset at the guess may differ from the offset at the answer (near a DST change): once more.
  ms = asUtc - zonedParts(ms, timeZone).offsetMinutes * 60_000;
  return ms;
}
