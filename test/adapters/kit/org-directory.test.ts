/**
 * The shared part of the platforms' directory browsers (adapters/kit/org-directory.ts): department
 * order with missing parents and cycles, head counts counted once per person, the people cap,
 * single flight and TTL on an injected clock, and errors that are not BotErrors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCachedOrgDirectory, orderDepartments, type OrgPeopleCollector, type OrgSnapshotDepartment } from '../../../adapters/kit/org-directory.ts';
import { BotError } from '../../../src/errors.ts';
import { createLogger } from '../../../src/log.ts';

const log = createLogger('silent');

test('orderDepartments: parents before children, siblings in the given order, unknown parents and cycles become top level', () => {
  const out = orderDepartments([
    { id: 'c', parentId: 'b' },
    { id: 'a', parentId: null },
    { id: 'b', parentId: 'a' },
    { id: 'x', parentId: 'gone' },
    { id: 'p', parentId: 'q' },
    { id: 'q', parentId: 'p' },
    { id: 'self', parentId: 'self' },
  ]);
  assert.deepEqual(out.map((d) => [d.id, d.parentId]), [['a', null], ['b', 'a'], ['c', 'b'], ['x', null], ['self', null], ['p', null], ['q', 'p']]);
});

test('head counts count a person once per department above them; cap; single flight; TTL; foreign errors wrapped', async () => {
  let clock = 0;
  let loads = 0;
  let release: () => void = () => undefined;
  let gate: Promise<void> = Promise.resolve();
  let fail: unknown = null;
  const depts: OrgSnapshotDepartment[] = [
    { id: 'root', name: '总部', parentId: null },
    { id: 'a', name: 'A', parentId: 'root' },
    { id: 'b', name: 'B', parentId: 'root', problem: 'refused' },
  ];
  const org = createCachedOrgDirectory({
    platform: 'test',
    ttlMs: 1000,
    maxPeople: 3,
    now: () => clock,
    log,
    caseInsensitiveIds: true,
    async load(people: OrgPeopleCollector) {
      loads++;
      await gate;
      if (fail) throw fail;
      people.add('U1', '一号', 'a');
      people.add('u1', '一号', 'b'); // the same person (case-insensitive), second department
      people.add('u2', '', 'a'); // no name: the id
      people.add('u3', '三号', null);
      people.add('u4', '四号', 'a'); // over the cap
      return depts.map((d) => ({ ...d }));
    },
  });
  gate = new Promise((r) => (release = r));
  const all = Promise.all([org.departments(), org.searchPeople('号', 10), org.describe(['u1', 'U2', 'u4'])]);
  release();
  const [tree, found, named] = await all;
  assert.equal(loads, 1, 'three callers, one load');
  assert.deepEqual(tree.map((d) => [d.id, d.headCount]), [['root', 2], ['a', 2], ['b', 1]]);
  assert.ok(tree.every((d) => /stops at 3 people/.test(d.problem ?? '')));
  assert.match(tree[2]!.problem!, /^refused; /);
  assert.deepEqual(found.map((p) => p.userId), ['U1', 'u3']);
  assert.deepEqual([...named.entries()], [['u1', { userId: 'U1', name: '一号', department: 'A' }], ['U2', { userId: 'u2', name: 'u2', department: 'A' }]]);
  clock = 999;
  await org.departments();
  assert.equal(loads, 1);
  clock = 1000;
  fail = new Error('socket hang up');
  await assert.rejects(org.departments(), (err: BotError) => err instanceof BotError && err.code === 'ORG_DIRECTORY_FAILED' && err.status === 502);
  fail = new BotError('PLATFORM_THROTTLED', 'slow down', { status: 503 });
  await assert.rejects(org.departments(), (err: BotError) => err.code === 'PLATFORM_THROTTLED');
  fail = null;
  assert.equal((await org.departments()).length, 3);
  assert.equal(loads, 4, 'failed loads are not cached');
  assert.deepEqual(await org.searchPeople('x', 0), []);
});
