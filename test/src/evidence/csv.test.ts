import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { BOM, csvField, toCsv } from '../../../src/evidence/csv.ts';

describe('notice CSV', () => {
  it('quotes commas, quotes and line breaks (RFC 4180) and keeps Chinese as is', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('张三'), '张三');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('line\nbreak'), '"line\nbreak"');
    assert.equal(csvField(null), '');
    assert.equal(csvField(3), '3');
  });

  it('defuses cells that a spreadsheet would run as a formula', () => {
    assert.equal(csvField('=HYPERLINK("http://x")'), `"'=HYPERLINK(""http://x"")"`);
    assert.equal(csvField('+1'), "'+1");
    assert.equal(csvField('-1'), "'-1");
    assert.equal(csvField('@sum'), "'@sum");
    assert.equal(csvField('a=b'), 'a=b');
  });

  it('defuses a leading tab or CR like = + - @ (spreadsheets strip them and run what follows)', () => {
    assert.equal(csvField('\t=1+1'), "'\t=1+1");
    assert.equal(csvField('\tplain'), "'\tplain");
    assert.equal(csvField('\r=1+1'), `"'\r=1+1"`, 'a CR also makes the cell quoted');
    assert.equal(csvField('a\tb'), 'a\tb', 'only a leading tab counts');
    // Read back by a CSV parser, the cell starts with the apostrophe, not with the tab or CR.
    for (const v of ['\t=cmd|" /C calc"!A0', '\r@SUM(1)']) {
      const cell = (parse(toCsv([[v]]), { bom: true }) as string[][])[0]![0]!;
      assert.equal(cell, `'${v}`);
    }
  });

  it('writes BOM + CRLF rows that a CSV parser reads back to the same values', () => {
    const rows = [['userId', 'reason'], ['李雷', 'invaliduser'], ['u,2', 'said "no"\r\nthen left'], ['', '']];
    const text = toCsv(rows);
    assert.ok(text.startsWith(BOM));
    assert.ok(text.endsWith('\r\n'));
    assert.equal(Buffer.from(text, 'utf8').subarray(0, 3).toString('hex'), 'efbbbf', 'UTF-8 BOM bytes');
    assert.deepEqual(parse(text, { bom: true }), rows);
  });
});
