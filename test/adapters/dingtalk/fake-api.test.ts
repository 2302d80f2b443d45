// The fake DingTalk itself, driven through the real SDK where it matters: if the fake drifts from
// protocols.md, adapter tests would prove nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as $Robot from '@alicloud/dingtalk/dist/robot_1_0/client.js';
import * as $Oauth2 from '@alicloud/dingtalk/dist/oauth2_1_0/client.js';
import * as $OpenApi from '@alicloud/openapi-client';
import * as $Util from '@alicloud/tea-util';
import { buildRobotMessage, startFakeDingtalk, type FakeDingtalk } from '../../fakes/dingtalk-api.ts';

describe('fake DingTalk', () => {
  let fake: FakeDingtalk;
  let robot: InstanceType<typeof $Robot.default.default>;
  let oauth: InstanceType<typeof $Oauth2.default.default>;
  const rt = new $Util.RuntimeOptions({});
  before(async () => {
    fake = await startFakeDingtalk({ appKey: 'ak', appSecret: 'as', robotCode: 'rc' });
    const cfg = new $OpenApi.Config({ protocol: 'http', endpoint: fake.url.replace('http://', '') });
    robot = new $Robot.default.default(cfg);
    oauth = new $Oauth2.default.default(cfg);
  });
  after(() => fake.close());

  const token = async () =>
    (await oauth.getAccessTokenWithOptions(new $Oauth2.GetAccessTokenRequest({ appKey: 'ak', appSecret: 'as' }), {}, rt)).body!.accessToken!;
  const headers = (t: string) => new $Robot.BatchSendOTOHeaders({ xAcsDingtalkAccessToken: t });

  it('issues tokens with expireIn and refuses wrong credentials with a thrown SDK error', async () => {
    const res = await oauth.getAccessTokenWithOptions(new $Oauth2.GetAccessTokenRequest({ appKey: 'ak', appSecret: 'as' }), {}, rt);
    assert.equal(res.body!.expireIn, 7200);
    assert.equal(res.body!.accessToken, fake.issuedTokens.at(-1));
    await assert.rejects(
      oauth.getAccessTokenWithOptions(new $Oauth2.GetAccessTokenRequest({ appKey: 'ak', appSecret: 'nope' }), {}, rt),
      (e: { code?: string; statusCode?: number }) => e.code === 'InvalidAuthentication' && e.statusCode === 400,
    );
    assert.equal(fake.tokenRequests.at(-1)!.ok, false);
  });

  it('batchSend checks the token, robotCode, userIds ≤ 20 and that msgParam is a string', async () => {
    const t = await token();
    const send = (req: Record<string, unknown>, tok = t) =>
      robot.batchSendOTOWithOptions(new $Robot.BatchSendOTORequest(req), headers(tok), rt);
    const good = { robotCode: 'rc', userIds: ['u1'], msgKey: 'sampleText', msgParam: '{"content":"hi"}' };
    const ok = await send(good);
    assert.match(ok.body!.processQueryKey!, /^pqk-oto-/);
    await assert.rejects(send(good, 'bogus'), (e: { code?: string; statusCode?: number }) => e.code === 'InvalidAuthentication' && e.statusCode === 401);
    await assert.rejects(send({ ...good, robotCode: 'other' }), (e: { statusCode?: number }) => e.statusCode === 400);
    await assert.rejects(send({ ...good, userIds: Array.from({ length: 21 }, (_, i) => `u${i}`) }), (e: { code?: string }) => e.code === 'InvalidParameter.userIds');
    const n = fake.otoMessages.length;
    assert.equal(n, 1);
    fake.revokeTokens();
    await assert.rejects(send(good), (e: { statusCode?: number }) => e.statusCode === 401);
  });

  it('a msgParam sent as an object is refused', async () => {
    const t = await token();
    const r = await fetch(`${fake.url}/v1.0/robot/oToMessages/batchSend`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-acs-dingtalk-access-token': t },
      body: JSON.stringify({ robotCode: 'rc', userIds: ['u1'], msgKey: 'sampleText', msgParam: { content: 'hi' } }),
    });
    assert.equal(r.status, 400);
    assert.equal(((await r.json()) as { code: string }).code, 'InvalidParameter.msgParam');
  });

  it('readStatus reports UNREAD, then READ after markRead', async () => {
    const t = await token();
    const sent = await robot.batchSendOTOWithOptions(
      new $Robot.BatchSendOTORequest({ robotCode: 'rc', userIds: ['u7'], msgKey: 'sampleText', msgParam: '{"content":"n"}' }),
      headers(t),
      rt,
    );
    const key = sent.body!.processQueryKey!;
    const q = () =>
      robot.batchOTOQueryWithOptions(new $Robot.BatchOTOQueryRequest({ robotCode: 'rc', processQueryKey: key }), new $Robot.BatchOTOQueryHeaders({ xAcsDingtalkAccessToken: t }), rt);
    assert.equal((await q()).body!.messageReadInfoList![0]!.readStatus, 'UNREAD');
    fake.markRead(key, 'u7', 1_700_000_000_000);
    const after = (await q()).body!.messageReadInfoList![0]!;
    assert.equal(after.readStatus, 'READ');
    assert.equal(after.readTimestamp, 1_700_000_000_000);
  });

  it('groupMessages/send records openConversationId and content', async () => {
    const t = await token();
    await robot.orgGroupSendWithOptions(
      new $Robot.OrgGroupSendRequest({ robotCode: 'rc', openConversationId: 'cid1', msgKey: 'sampleText', msgParam: '{"content":"g"}' }),
      new $Robot.OrgGroupSendHeaders({ xAcsDingtalkAccessToken: t }),
      rt,
    );
    const g = fake.groupMessages.at(-1)!;
    assert.equal(g.openConversationId, 'cid1');
    assert.equal(g.content, 'g');
  });

  it('sessionWebhook: ok, then 300001 once expired; every POST is recorded', async () => {
    const url = fake.sessionWebhookUrl('abc');
    const post = () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ msgtype: 'text', text: { content: 'x' }, at: { atUserIds: ['u1'] } }) }).then((r) => r.json());
    assert.deepEqual(await post(), { errcode: 0, errmsg: 'ok' });
    fake.expireSession('abc');
    assert.deepEqual(await post(), { errcode: 300001, errmsg: 'session 不存在' });
    const recorded = fake.webhookMessages.filter((w) => w.session === 'abc');
    assert.deepEqual(recorded.map((w) => [w.content, w.atUserIds, w.errcode]), [['x', ['u1'], 0], ['x', ['u1'], 300001]]);
  });

  it('buildRobotMessage: overrides win and undefined removes a field; robotMessage points at the fake', () => {
    const m = buildRobotMessage({ senderStaffId: undefined, conversationType: '2' });
    assert.equal('senderStaffId' in m, false);
    assert.equal(m.conversationType, '2');
    assert.notEqual(buildRobotMessage().msgId, buildRobotMessage().msgId);
    const f = fake.robotMessage();
    assert.equal(f.robotCode, 'rc');
    assert.ok(f.sessionWebhook!.startsWith(`${fake.url}/robot/sendBySession?session=`));
  });
});
