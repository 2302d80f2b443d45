import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import { createRateLimit } from '../../../src/bot/rate-limit.ts';
import { createLogger } from '../../../src/log.ts';
import type { InboundMessage } from '../../../src/platform/message.ts';

const msg = (userId: string): InboundMessage => ({
  platform: 'wecom', tenant: 't', userId, chat: { kind: 'single' }, kind: 'text', text: 'q', mentionedBot: false, messageId: 'm', receivedAt: 0,
});

describe('per-user rate limit', () => {
  it('lets 20 questions a minute through, answers the 21st politely once, then stays quiet; next minute resets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-'));
    const store = openSqliteStore(join(dir, 'db'));
    let t = 1_800_000_000_000;
    let limited = 0;
    const rl = createRateLimit({ kv: store, log: createLogger('silent'), now: () => t, onLimited: () => limited++ });
    for (let i = 0; i < 20; i++) assert.equal(await rl(msg('a'), 'zh-CN'), null, `question ${i + 1}`);
    const r21 = await rl(msg('a'), 'zh-CN');
    assert.equal(r21?.intent, 'rate-limited');
    assert.equal(r21?.replies.length, 1);
    assert.match(r21!.replies[0]!.text, /稍等/);
    const r22 = await rl(msg('a'), 'zh-CN');
    assert.equal(r22?.replies.length, 0);
    assert.equal(limited, 2);
    assert.equal(await rl(msg('b'), 'en'), null, 'other users are not affected');
    t += 60_000;
    assert.equal(await rl(msg('a'), 'zh-CN'), null, 'a new window starts afresh');
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('on /try (request and response) every refused question gets the slow-down reply, never an empty answer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-'));
    const store = openSqliteStore(join(dir, 'db'));
    const rl = createRateLimit({ kv: store, log: createLogger('silent'), limit: 2, now: () => 1_800_000_000_000 });
    const tryMsg: InboundMessage = { ...msg('try-s1'), platform: 'try', anonymous: true };
    assert.equal(await rl(tryMsg, 'en'), null);
    assert.equal(await rl(tryMsg, 'en'), null);
    for (let i = 0; i < 3; i++) {
      const r = await rl(tryMsg, 'en');
      assert.equal(r?.intent, 'rate-limited');
      assert.equal(r?.replies.length, 1, `refused question ${i + 1} has a reply`);
      assert.match(r!.replies[0]!.text, /wait a minute/);
    }
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets questions through when the store is down', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-'));
    const store = openSqliteStore(join(dir, 'db'));
    await store.close();
    const rl = createRateLimit({ kv: store, log: createLogger('silent'), limit: 0 });
    assert.equal(await rl(msg('a'), 'en'), null);
    rmSync(dir, { recursive: true, force: true });
  });
});
