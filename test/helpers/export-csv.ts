import { parse } from 'csv-parse/sync';

/**
 * The CSV rows of a broadcast export (recipients.csv, audit.csv) as objects keyed by the header,
 * without the evidence trailer (docs/EVIDENCE.md): the table ends at the empty line before
 * `# privacy-bot evidence: …`.
 */
export function exportRows(text: string): Record<string, string>[] {
  const end = text.lastIndexOf('\r\n\r\n# privacy-bot evidence: ');
  if (end < 0) throw new Error('not an export: no evidence trailer');
  return parse(text.slice(0, end + 2), { bom: true, columns: true }) as Record<string, string>[];
}

/** The `# name: value` lines of an export's evidence trailer, in order. */
export function exportTrailer(text: string): Map<string, string> {
  const end = text.lastIndexOf('\r\n\r\n# privacy-bot evidence: ');
  if (end < 0) throw new Error('not an export: no evidence trailer');
  return new Map(text.slice(end + 4).split('\r\n').filter(Boolean).map((l) => {
    const m = /^# ([a-z -]+): (.*)$/.exec(l);
    if (!m) throw new Error(`not a trailer line: ${l}`);
    return [m[1]!, m[2]!] as [string, string];
  }));
}
