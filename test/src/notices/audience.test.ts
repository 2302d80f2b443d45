/**
 * Issue 13's send in the notice engine, without HTTP: a composite audience (departments and people
 * less exclusions) resolved part by part through the platform's own resolution; the schedule
 * (notBefore) kept by the worker on an injected clock — nothing is claimed before it, everything
 * after; a schedule as wall-clock time in the company time zone.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BroadcastWorker } from '../../../src/notices/worker.ts';
import { describeAudience, resolveAudienceSpec } from '../../../src/notices/audience.ts';
import { zonedLocalToEpoch } from '../../../src/evidence/time.ts';
import type { Audience } from '../../../src/platform/notices.ts';
import { createLoopbackChannel, startFakeNoticePlatform, type FakeNoticePlatform } from '../../fakes/notice-platform.ts';
import { CONTENT, ManualClock, newService, silent, tempSqliteNoticeStore } from './helpers.ts';

describe('composite audiences', () => {
  const directory: Record<string, string[]> = { '1': ['a', 'b', 'c'], '2': ['c', 'd'], '3': ['E'] };
  const calls: Audience[] = [];
  const channel = {
    async resolveAudience(a: Audience): Promise<string[]> {
      calls.push(a);
      if ('all' in a) return ['a', 'b', 'c', 'd', 'E', 'f'];
      if ('userIds' in a) return a.userIds;
      return a.departmentIds.flatMap((d) => directory[d] ?? []);
    },
  };

  it('union of departments and people, less excluded departments and people, deduplicated in order', async () => {
    calls.length = 0;
    const { users, unmatchedExclusions } = await resolveAudienceSpec(channel, { departmentIds: ['1', '2'], userIds: ['x', 'a'], exclude: { departmentIds: ['3'], userIds: ['b'] } });
    assert.deepEqual(users, ['a', 'c', 'd', 'x']);
    assert.deepEqual(calls, [{ departmentIds: ['1', '2'] }, { userIds: ['x', 'a'] }, { departmentIds: ['3'] }], 'each part through the platform once');
    // Department 3 (E) is not in departments 1 and 2: excluding it removed nobody.
    assert.deepEqual(unmatchedExclusions, { userIds: [], departmentIds: ['3'] });
  });

  it('everyone less exclusions; an exclusion also removes a spelling that differs only in case (WeCom UserIDs)', async () => {
    assert.deepEqual(await resolveAudienceSpec(channel, { all: true, exclude: { userIds: ['e', 'F'] } }), { users: ['a', 'b', 'c', 'd'], unmatchedExclusions: { userIds: [], departmentIds: [] } });
    assert.deepEqual(await resolveAudienceSpec(channel, { userIds: ['a'] }), { users: ['a'], unmatchedExclusions: { userIds: [], departmentIds: [] } }, 'a basic audience is resolved as before');
  });

  it('names the exclusions that removed nobody: ids not in the audience (a typo), departments none of whose members is in it', async () => {
    calls.length = 0;
    const r = await resolveAudienceSpec(channel, { departmentIds: ['1'], exclude: { departmentIds: ['2', '3'], userIds: ['b', 'bb', 'd', 'A'] } });
    // 1 = a, b, c. Department 2 (c, d) removes c; 3 (E) nobody. b and A (a, in another case) are in it; bb (a typo) and d are not.
    assert.deepEqual(r.users, []);
    assert.deepEqual(r.unmatchedExclusions, { userIds: ['bb', 'd'], departmentIds: ['3'] }, 'in the order given');
    assert.deepEqual(calls, [{ departmentIds: ['1'] }, { departmentIds: ['2'] }, { departmentIds: ['3'] }], 'each excluded department on its own');
    const everyone = await resolveAudienceSpec(channel, { all: true, exclude: { userIds: ['ghost', 'f'], departmentIds: ['3'] } });
    assert.deepEqual(everyone, { users: ['a', 'b', 'c', 'd'], unmatchedExclusions: { userIds: ['ghost'], departmentIds: [] } });
  });

  it('a wall-clock time in the company time zone', () => {
    assert.equal(zonedLocalToEpoch('2026-12-06T09:00', 'Asia/Shanghai'), Date.parse('2026-12-06T01:00:00Z'));
    assert.equal(zonedLocalToEpoch('2026-03-29T12:30:15', 'Europe/Berlin'), Date.parse('2026-03-29T10:30:15Z'), 'summer time');
    assert.equal(zonedLocalToEpoch('2026-02-30T09:00', 'Asia/Shanghai'), null, 'no such date');
    assert.equal(zonedLocalToEpoch('tomorrow', 'Asia/Shanghai'), null);
  });
});

describe('scheduled broadcasts', () => {
  let fake: FakeNoticePlatform;
  let cleanup: () => Promise<void>;
  before(async () => {
    fake = await startFakeNoticePlatform({ users: ['u1', 'u2', 'u3'] });
  });
  after(async () => {
    await cleanup?.();
    await fake.close();
  });

  it('the worker claims nothing before notBefore and sends everything once it has passed (injected clock)', async () => {
    const t = tempSqliteNoticeStore();
    cleanup = t.cleanup;
    const clock = new ManualClock();
    const service = newService(t.store, clock);
    service.registerChannel(createLoopbackChannel({ url: fake.url, platform: 'fake', maxBatchSize: 10 }));
    const n = await service.createNotice(CONTENT);
    const at = clock.now() + 60 * 60_000;
    const b = await service.createBroadcast({ noticeId: n.noticeId, platform: 'fake', audience: { userIds: ['u1', 'u2', 'u3'] }, createdBy: 'test', notBefore: at });
    assert.equal(b.notBefore, at);
    assert.equal(b.state, 'sending');
    const w = new BroadcastWorker({ service, log: silent, idleMs: 10, jitter: 0 });
    assert.equal(await w.tick(), 0, 'nothing before its time');
    clock.advance(60 * 60_000 - 1);
    assert.equal(await w.tick(), 0, 'nor 1 ms before');
    assert.equal((await t.store.getBroadcast(b.id))!.counts.sent, 0);
    clock.advance(1);
    assert.equal(await w.tick(), 1);
    assert.equal((await t.store.getBroadcast(b.id))!.counts.sent, 3);
    // A time already past is "now".
    const past = await service.createBroadcast({ noticeId: n.noticeId, platform: 'fake', audience: { userIds: ['u1'] }, createdBy: 'test', notBefore: clock.now() - 1 });
    assert.equal(past.notBefore, null);
  });
});

describe('describeAudience (the evidence trailer audience-text)', () => {
  it('names departments and people from the directory with their ids, English then Chinese; ids alone when unnamed; long lists cut', () => {
    const depts = new Map([['rd', '研发部'], ['sales', '销售部']]);
    const people = new Map([['zhoutao', '周涛']]);
    assert.equal(describeAudience({ all: true }, depts, people), 'everyone / 全员');
    assert.equal(describeAudience({ all: true, exclude: { departmentIds: ['sales'] } }, depts, people), 'everyone, excluding 销售部 (sales) / 全员，排除 销售部（sales）');
    assert.equal(
      describeAudience({ departmentIds: ['rd', 'x9'], userIds: ['zhoutao', 'u1'] }, depts, people),
      '研发部 (rd), x9; 周涛 (zhoutao), u1 / 研发部（rd）、x9；周涛（zhoutao）、u1',
    );
    const many = Array.from({ length: 25 }, (_, i) => `u${i}`);
    assert.equal(describeAudience({ userIds: many }, new Map(), new Map([['u0', 'A\nB']])), `A B (u0), ${many.slice(1, 20).join(', ')} and 5 more / A B（u0）、${many.slice(1, 20).join('、')} 等 25 个`);
  });
});
