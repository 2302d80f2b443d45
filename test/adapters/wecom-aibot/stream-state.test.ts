/**
 * The AI bot's transient reply state (adapters/wecom-aibot/stream-state.ts): AES-256-GCM with a key
 * derived from the bot's callback secrets, nothing readable in the store, a value that does not
 * open counts as absent. Real SQLite store.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import type { Store } from '../../../src/store/ports/store.ts';
import { createStreamStates, deriveStreamStateKey, streamStateKey } from '../../../adapters/wecom-aibot/stream-state.ts';
import { AIBOT_KEYS } from './harness.ts';

const ANSWER = '你的会话存档状态：自 2026-03-01 起已存档，范围：单聊和群聊（来源：导入）';

describe('encrypted stream state', () => {
  let dir: string;
  let store: Store;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'stream-state-'));
    store = openSqliteStore(join(dir, 'bot.db'));
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the key: 32 bytes, the same for every instance with the same secrets, another for other secrets', () => {
    const a = deriveStreamStateKey(AIBOT_KEYS);
    assert.equal(a.length, 32);
    assert.deepEqual(deriveStreamStateKey({ ...AIBOT_KEYS }), a);
    assert.notDeepEqual(deriveStreamStateKey({ ...AIBOT_KEYS, token: 'other' }), a);
    assert.notDeepEqual(deriveStreamStateKey({ token: AIBOT_KEYS.token, encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' }), a);
    // Not the EncodingAESKey's own bytes (those also key the callback cipher).
    assert.notDeepEqual(a, Buffer.from(`${AIBOT_KEYS.encodingAESKey}=`, 'base64'));
  });

  it('round trip; the stored value holds no byte of the answer; the key is not stored', async () => {
    const key = deriveStreamStateKey(AIBOT_KEYS);
    const states = createStreamStates(store, key);
    await states.save('s1', { finish: true, content: ANSWER }, 60_000);
    assert.deepEqual(await states.load('s1'), { finish: true, content: ANSWER });
    const raw = (await store.get(streamStateKey('s1')))!;
    assert.match(raw, /^g1\.[A-Za-z0-9+/=]+$/);
    for (const needle of [ANSWER, '存档', '2026-03-01', 'finish', AIBOT_KEYS.encodingAESKey, key.toString('base64'), key.toString('hex')]) {
      assert.equal(raw.includes(needle), false, needle);
    }
    // Two saves of the same state differ (random IV).
    await states.save('s2', { finish: true, content: ANSWER }, 60_000);
    assert.notEqual((await store.get(streamStateKey('s2')))!, raw);
  });

  it('what does not open is absent: other secrets, a value moved to another stream, a damaged value', async () => {
    const mine = createStreamStates(store, deriveStreamStateKey(AIBOT_KEYS));
    const other = createStreamStates(store, deriveStreamStateKey({ ...AIBOT_KEYS, token: 'rotated' }));
    await mine.save('a', { finish: false, content: '…' }, 60_000);
    assert.equal(await other.load('a'), null);
    await store.set(streamStateKey('b'), (await store.get(streamStateKey('a')))!, 60_000);
    assert.equal(await mine.load('b'), null, 'bound to its key');
    const v = (await store.get(streamStateKey('a')))!;
    await store.set(streamStateKey('a'), `${v.slice(0, -6)}AAAAAA`, 60_000);
    assert.equal(await mine.load('a'), null);
    await store.set(streamStateKey('c'), JSON.stringify({ finish: true, content: 'old plaintext format' }), 60_000);
    assert.equal(await mine.load('c'), null, 'the old plaintext format is not read');
    await mine.delete('c');
    assert.equal(await store.get(streamStateKey('c')), null);
  });

  it('a key of another length is refused', () => {
    assert.throws(() => createStreamStates(store, Buffer.alloc(16)), RangeError);
  });
});
