/**
 * Edits of an export file as someone tampering with it would make them, for the verify tests.
 * Rows are counted like `privacy-bot evidence verify` counts them: row 1 is the first line under
 * the header. The helpers work on lines, so the rows they touch must not hold a quoted line break.
 */
const TRAILER = '\r\n\r\n# privacy-bot evidence: ';

function parts(text: string): { lines: string[]; trailer: string } {
  const end = text.lastIndexOf(TRAILER);
  if (end < 0) throw new Error('not an export');
  return { lines: text.slice(0, end).split('\r\n'), trailer: text.slice(end) };
}

function join(lines: string[], trailer: string): string {
  return `${lines.join('\r\n')}${trailer}`;
}

/** Rewrites data row `row` (1-based) with `edit`. */
export function editRow(text: string, row: number, edit: (line: string) => string): string {
  const { lines, trailer } = parts(text);
  if (row < 1 || row >= lines.length) throw new Error(`no row ${row}`);
  lines[row] = edit(lines[row]!);
  return join(lines, trailer);
}

/** Changes one byte of data row `row`: the first occurrence of `inside` gets its first character replaced by `by`. */
export function flipByte(text: string, row: number, inside: string, by: string): string {
  return editRow(text, row, (line) => {
    const i = line.indexOf(inside);
    if (i < 0) throw new Error(`row ${row} has no "${inside}"`);
    return `${line.slice(0, i)}${by}${line.slice(i + 1)}`;
  });
}

export function deleteRow(text: string, row: number): string {
  const { lines, trailer } = parts(text);
  lines.splice(row, 1);
  return join(lines, trailer);
}

export function swapRows(text: string, a: number, b: number): string {
  const { lines, trailer } = parts(text);
  [lines[a], lines[b]] = [lines[b]!, lines[a]!];
  return join(lines, trailer);
}

/** Adds `line` (a CSV row, without line end) after the last data row. */
export function appendRow(text: string, line: string): string {
  const { lines, trailer } = parts(text);
  lines.push(line);
  return join(lines, trailer);
}

/** The data rows' lines (without the header). */
export function dataLines(text: string): string[] {
  return parts(text).lines.slice(1);
}

/** Replaces one character of the base64 signature. */
export function changeSignature(text: string): string {
  return text.replace(/(# signature: )(.)/, (_m, p: string, c: string) => `${p}${c === 'A' ? 'B' : 'A'}`);
}
