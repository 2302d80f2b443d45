/**
 * The policy line employees get (formatPolicy) and the personal section that adds it to the
 * retention, archive-viewers, legality and consent-required answers — with the real knowledge
 * base, the real policy service on the SQLite store, and the real router for the 1:1 / group rule.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKnowledge } from '../../../src/knowledge/load.ts';
import type { KnowledgeBase, KnowledgeEntry } from '../../../src/knowledge/types.ts';
import { createMatcher } from '../../../src/matching/matcher.ts';
import { createLogger } from '../../../src/log.ts';
import { createRouter } from '../../../src/bot/router.ts';
import { createPolicySection, formatPolicy, POLICY_TOPICS } from '../../../src/policies/section.ts';
import { PolicyService } from '../../../src/policies/service.ts';
import { createPolicyStatusProvider } from '../../../src/policies/status.ts';
import { StatusDirectory } from '../../../src/archiving/directory.ts';
import { openSqlitePolicyStore } from '../../../src/store/sqlite/policies.ts';
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';
import type { PolicyRecord, PolicyStore } from '../../../src/store/ports/policies.ts';
import type { Store } from '../../../src/store/ports/store.ts';
import type { InboundMessage } from '../../../src/platform/message.ts';
import { REPO_ROOT } from '../../helpers/app.ts';

const POLICY: PolicyRecord = {
  id: 'p-test',
  platform: 'dingtalk',
  audience: { userIds: ['zhangsan'] },
  since: '2026-03-01',
  scope: '单聊和群聊',
  retention: '3 years after the chat.',
  purpose: 'compliance audits',
  legalBasis: 'PIPL art. 13(1)(2); staff handbook §7',
  viewers: ['Compliance team', 'HR director.'],
  state: 'active',
  createdBy: 'api',
  createdAt: Date.parse('2026-02-20T08:00:00Z'),
  updatedAt: Date.parse('2026-02-20T08:00:00Z'),
  withdrawnAt: null,
};

describe('formatPolicy', () => {
  it('en: retention, purpose, legal basis and readers with the declared date; trailing punctuation dropped', () => {
    assert.equal(
      formatPolicy(POLICY, 'en'),
      "According to your company's policy (declared 2026-02-20): chats are kept for 3 years after the chat; purpose: compliance audits; " +
        'legal basis: PIPL art. 13(1)(2); staff handbook §7; who may read them: Compliance team, HR director.',
    );
  });

  it('zh-CN and zh-TW: the frame in the asker’s script, the admin’s words as written', () => {
    const p = { ...POLICY, retention: '三年。', purpose: '合规审计\n和 纠纷处理', legalBasis: '劳动规章制度', viewers: ['合规部', '人力资源总监'] };
    assert.equal(
      formatPolicy(p, 'zh-CN'),
      '根据公司的存档政策（声明于 2026-02-20）：聊天记录保存期限：三年；目的：合规审计 和 纠纷处理；法律依据：劳动规章制度；可查看存档的人：合规部、人力资源总监。',
    );
    assert.equal(
      formatPolicy(p, 'zh-TW'),
      '根據公司的存檔政策（聲明於 2026-02-20）：聊天記錄保存期限：三年；目的：合规审计 和 纠纷处理；法律依據：劳动规章制度；可查看存檔的人：合规部、人力资源总监。',
    );
  });
});

describe('policy section', () => {
  let dir: string;
  let kb: KnowledgeBase;
  let kv: Store;
  let policies: PolicyStore;
  let service: PolicyService;
  let n = 0;
  const log = createLogger('silent');

  const entry = (id: string): KnowledgeEntry => kb.byId.get(id)!;
  const message = (overrides: Partial<InboundMessage> = {}): InboundMessage => ({
    platform: 'dingtalk',
    tenant: 't',
    userId: 'zhangsan',
    chat: { kind: 'single' },
    kind: 'text',
    text: 'x',
    mentionedBot: false,
    messageId: `m${++n}`,
    receivedAt: Date.now(),
    ...overrides,
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'policy-section-'));
    kb = await loadKnowledge(join(REPO_ROOT, 'knowledge'));
  });
  after(async () => {
    await kv.close();
    await policies.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await policies?.close();
    await kv?.close();
    kv = openSqliteStore(join(dir, `kv${++n}.db`));
    policies = openSqlitePolicyStore(join(dir, `p${n}.db`));
    await policies.createPolicy(POLICY);
    service = new PolicyService({ store: policies, log, channelFor: () => undefined });
  });

  it('the topics exist in the knowledge base', () => {
    for (const id of POLICY_TOPICS) assert.ok(kb.byId.has(id), id);
  });

  it('adds the policy for the topics it is about, for the employee it covers only', async () => {
    const section = createPolicySection({ service });
    for (const id of POLICY_TOPICS) assert.match((await section(message(), entry(id), 'en'))!, /chats are kept for 3 years after the chat/, id);
    assert.equal(await section(message(), entry('recalled-deleted'), 'en'), null, 'another topic');
    assert.equal(await section(message({ userId: 'lisi' }), entry('retention'), 'en'), null, 'another employee');
    assert.equal(await section(message({ platform: 'wecom' }), entry('retention'), 'en'), null, 'another platform');
    assert.equal(await section(message({ anonymous: true }), entry('retention'), 'en'), null, 'anonymous');
    assert.match((await section(message(), entry('retention'), 'zh-TW'))!, /^根據公司的存檔政策/);
  });

  it('is left out when the employee’s effective status says not archived', async () => {
    const statusOf = async (platform: string, userId: string) =>
      ({ platform, userId, archived: false, since: '2026-04-01', scope: null, source: 'import', updatedAt: '2026-04-01T00:00:00.000Z' });
    assert.equal(await createPolicySection({ service, statusOf })(message(), entry('retention'), 'en'), null);
    const archived = async (platform: string, userId: string) => ({ ...(await statusOf(platform, userId)), archived: true });
    assert.ok(await createPolicySection({ service, statusOf: archived })(message(), entry('retention'), 'en'));
  });

  describe('through the router', () => {
    async function router() {
      const statuses = new StatusDirectory(kv, log);
      statuses.addProvider(createPolicyStatusProvider(service));
      return createRouter({
        kb,
        matcher: await createMatcher(kb),
        store: kv,
        log,
        statusLookup: (p, u) => statuses.lookup(p, u),
        personalSections: [createPolicySection({ service, statusOf: (p, u) => statuses.lookup(p, u) })],
      });
    }

    it('1:1: the status from the policy (source company policy) and the policy line in the answer', async () => {
      const handle = await router();
      const r = await handle(message({ text: '存档的聊天记录保存多久' }));
      assert.equal(r.topic, 'retention');
      assert.equal(r.replies.length, 1);
      const text = r.replies[0]!.text;
      assert.match(text, /你的会话存档状态：自 2026-03-01 起已存档，范围：单聊和群聊（来源：公司政策，更新于 2026-02-20）/);
      assert.match(text, /根据公司的存档政策（声明于 2026-02-20）：聊天记录保存期限：3 years after the chat；/);
    });

    it('an imported record for the employee wins over the policy as status; "not archived" also drops the policy line', async () => {
      const handle = await router();
      await kv.putStatuses([{ platform: 'dingtalk', userId: 'zhangsan', archived: false, since: '2026-04-01', scope: null, source: 'import', updatedAt: '2026-04-02T00:00:00.000Z' }]);
      const text = (await handle(message({ text: '存档的聊天记录保存多久' }))).replies.map((x) => x.text).join('\n');
      assert.match(text, /自 2026-04-01 起未存档（来源：管理员导入/);
      assert.doesNotMatch(text, /公司的存档政策/);
    });

    it('in a group: the group gets no policy line, the asker gets it privately', async () => {
      const handle = await router();
      const r = await handle(message({ text: 'How long are archived chats kept?', chat: { kind: 'group', chatId: 'g1' } as InboundMessage['chat'] }));
      const chat = r.replies.filter((x) => x.visibility === 'chat').map((x) => x.text).join('\n');
      const priv = r.replies.filter((x) => x.visibility === 'private').map((x) => x.text).join('\n');
      assert.doesNotMatch(chat, /company's policy|3 years after the chat|Compliance team/);
      assert.match(priv, /According to your company's policy \(declared 2026-02-20\): chats are kept for 3 years after the chat/);
    });
  });
});
