import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sanitizeReplyText, splitTextByBytes } from '../../../adapters/kit/split.ts';
import { TEXT_PART_MAX_BYTES } from '../../../adapters/dingtalk/limits.ts';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

describe('splitTextByBytes', () => {
  it('short text is one part; empty text is none', () => {
    assert.deepEqual(splitTextByBytes('你好', 100), ['你好']);
    assert.deepEqual(splitTextByBytes('', 100), []);
    assert.deepEqual(splitTextByBytes('\n\n', 100), []);
  });

  it('measures bytes, not characters (pitfall #9): 2100 × "存" at 6000 bytes is two parts', () => {
    const parts = splitTextByBytes('存'.repeat(2100), TEXT_PART_MAX_BYTES);
    assert.equal(parts.length, 2);
    assert.equal(parts[0]!.length, 2000);
    assert.ok(parts.every((p) => bytes(p) <= TEXT_PART_MAX_BYTES));
    assert.equal(parts.join(''), '存'.repeat(2100));
  });

  it('prefers line breaks', () => {
    assert.deepEqual(splitTextByBytes('aaaa\nbbbb\ncccc', 10), ['aaaa\nbbbb', 'cccc']);
  });

  it('falls back to a sentence end, then to a hard cut', () => {
    assert.deepEqual(splitTextByBytes('一二三。四五六七八九', 15), ['一二三。', '四五六七八', '九']);
    assert.deepEqual(splitTextByBytes('abcdefghij', 4), ['abcd', 'efgh', 'ij']);
  });

  it('never splits a surrogate pair', () => {
    const parts = splitTextByBytes('😀😀😀', 5);
    assert.deepEqual(parts, ['😀', '😀', '😀']);
  });

  it('rejects a limit too small for one code point', () => {
    assert.throws(() => splitTextByBytes('x', 3), RangeError);
  });

  it('property: parts fit, keep order and lose only the line breaks cut at', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom('\n', ' ', '。', '存', 'a', '😀', 'é'), fc.string()), { maxLength: 400 }),
        fc.integer({ min: 4, max: 64 }),
        (pieces, max) => {
          const text = pieces.join('').replace(/[\ud800-\udfff]/g, (c, i, s: string) => {
            // keep only well-formed pairs
            const code = c.charCodeAt(0);
            if (code < 0xdc00 && /[\udc00-\udfff]/.test(s[i + 1] ?? '')) return c;
            if (code >= 0xdc00 && /[\ud800-\udbff]/.test(s[i - 1] ?? '')) return c;
            return '?';
          });
          const parts = splitTextByBytes(text, max);
          for (const p of parts) {
            assert.ok(bytes(p) <= max, `part of ${bytes(p)} bytes > ${max}`);
            assert.ok(p.length > 0);
            assert.ok(!/^[\udc00-\udfff]/.test(p) && !/[\ud800-\udbff]$/.test(p), 'broken surrogate pair');
          }
          assert.equal(parts.join('').replace(/\n/g, ''), text.replace(/\n/g, ''));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('sanitizeReplyText', () => {
  it('normalises CRLF and drops control characters other than tab and newline', () => {
    assert.equal(sanitizeReplyText('a\r\nb\rc\u0000d\u0007e\tf\u007f'), 'a\nb\ncd' + 'e\tf');
  });
});
