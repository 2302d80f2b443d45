import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import { openSqliteNoticeStore } from '../../../src/store/sqlite/notices.ts';
import { CHECKPOINT_INTERVAL_MS, CHECKPOINT_START_DELAY_MS, checkpointerRunning } from '../../../src/store/sqlite/checkpoint.ts';
import { embeddedStorePath } from '../../../src/store/index.ts';

const size = (f: string) => {
  try {
    return statSync(f).size;
  } catch {
    return 0;
  }
};

test('a long-lived store gets a background checkpointer that copies the WAL into the database file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pb-ckpt-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = embeddedStorePath(dir);
  const store = openSqliteStore(file);
  // A second connection to the same file (the notice store) shares the one checkpointer.
  const notices = openSqliteNoticeStore(file);
  try {
    // The start timer (CHECKPOINT_START_DELAY_MS) fires before this longer sleep ends, however late.
    await sleep(CHECKPOINT_START_DELAY_MS + 300);
    assert.equal(checkpointerRunning(file), true);
    const dbBefore = size(file);
    // ~3,000 commits write fewer WAL pages than the main connections' autocheckpoint threshold
    // (10,000), so only the background checkpointer can move them into the database file.
    for (let i = 0; i < 3000; i++) await store.claim(`dedup:test:${i}:${'x'.repeat(40)}`, 60_000);
    // Wait for the checkpoints (every CHECKPOINT_INTERVAL_MS in a worker thread) to show in the
    // database file; 30 s is a failure guard only (a loaded machine delays the worker).
    const guard = Date.now() + 30_000;
    while (size(file) <= dbBefore + 100_000 && Date.now() < guard) await sleep(CHECKPOINT_INTERVAL_MS);
    assert.ok(size(file) > dbBefore + 100_000, `database file grew from ${dbBefore} to ${size(file)} bytes by checkpoints`);
    assert.equal(await store.claim('dedup:test:0:' + 'x'.repeat(40), 60_000), false, 'data intact');
    await notices.close();
    assert.equal(checkpointerRunning(file), true, 'still running while the store is open');
  } finally {
    await store.close();
  }
  assert.equal(checkpointerRunning(file), false, 'the last close stops it');
  // Reopening sees every row.
  const again = openSqliteStore(file);
  try {
    assert.equal(await again.claim('dedup:test:2999:' + 'x'.repeat(40), 60_000), false);
  } finally {
    await again.close();
  }
});

test('a store closed within the start delay never starts a checkpointer (CLI commands, tests)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pb-ckpt-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = embeddedStorePath(dir);
  const store = openSqliteStore(file);
  await store.set('k', 'v');
  await store.close();
  await sleep(CHECKPOINT_START_DELAY_MS + 200);
  assert.equal(checkpointerRunning(file), false);
});
