import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capMessage, cutToChars, cutToUtf8Bytes, MAX_MESSAGE_CHARS } from '../../src/text-cap.ts';
import type { InboundMessage } from '../../src/platform/message.ts';

test('cutToUtf8Bytes: the longest prefix within the byte limit, never splitting a character', () => {
  assert.equal(cutToUtf8Bytes('abc', 3), 'abc');
  assert.equal(cutToUtf8Bytes('abcd', 3), 'abc');
  assert.equal(cutToUtf8Bytes('存档状态', 7), '存档'); // 3 bytes each: 6 ≤ 7 < 9
  assert.equal(cutToUtf8Bytes('存档状态', 9), '存档状');
  assert.equal(cutToUtf8Bytes('é存', 4), 'é'); // 2 + 3 > 4
  assert.equal(cutToUtf8Bytes('a😀b', 4), 'a'); // the emoji (a surrogate pair) is 4 bytes: not half of it
  assert.equal(cutToUtf8Bytes('a😀b', 5), 'a😀');
  assert.equal(cutToUtf8Bytes('a\ud800b', 4), 'a\ud800'); // a lone surrogate counts as U+FFFD, 3 bytes
  assert.equal(cutToUtf8Bytes('', 0), '');
  assert.equal(cutToUtf8Bytes('x', 0), '');
  for (const s of ['存'.repeat(50_000), 'x'.repeat(50_000), '😀'.repeat(30_000)]) {
    const cut = cutToUtf8Bytes(s, 2048);
    assert.ok(s.startsWith(cut));
    assert.ok(Buffer.byteLength(cut) <= 2048 && Buffer.byteLength(cut) > 2048 - 4);
  }
});

test('cutToChars never ends inside a surrogate pair', () => {
  assert.equal(cutToChars('abc', 5), 'abc');
  assert.equal(cutToChars('abcdef', 3), 'abc');
  assert.equal(cutToChars('ab😀', 3), 'ab');
  assert.equal(cutToChars('ab😀', 4), 'ab😀');
});

test('capMessage cuts the text to MAX_MESSAGE_CHARS and marks it truncated; shorter messages are left as they are', () => {
  const m: InboundMessage = { platform: 'try', tenant: 't', userId: 'u', chat: { kind: 'single' }, kind: 'text', text: 'hi', mentionedBot: false, messageId: 'm', receivedAt: 0 };
  assert.equal(capMessage(m), m);
  const long = { ...m, text: 'x'.repeat(MAX_MESSAGE_CHARS + 1) };
  const capped = capMessage(long);
  assert.equal(capped.text.length, MAX_MESSAGE_CHARS);
  assert.equal(capped.truncated, true);
  assert.equal(long.text.length, MAX_MESSAGE_CHARS + 1, 'the original is not changed');
});
