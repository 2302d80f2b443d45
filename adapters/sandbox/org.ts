import type { ArchivingStatus } from '../../src/store/ports/store.ts';

/**
 * The sandbox organisation: a fixed, made-up company of 30 employees in 3 departments, so the
 * whole admin journey (send a notice, watch delivery, read and acknowledgement) can be tried
 * without a WeCom, DingTalk or Feishu tenant. Every name is invented; ids are English, as a WeCom UserID
 * or DingTalk staffId would be. Nothing here is real personal data.
 */

/** The platform id of the sandbox (broadcasts, statuses and acknowledgements are recorded under it). */
export const SANDBOX_PLATFORM = 'sandbox';

/** The tenant the sandbox's messages carry. */
export const SANDBOX_TENANT = 'sandbox-demo-corp';

/** One sandbox department. */
export interface SandboxDepartment {
  /** Department id as an admin gives it in `{"departmentIds": [...]}`. */
  id: string;
  name: { zh: string; en: string };
}

/** One sandbox employee. */
export interface SandboxEmployee {
  /** The user id (English, lower case). */
  userId: string;
  /** Display name (Chinese). */
  name: string;
  departmentId: string;
  title: string;
}

/** The three departments. */
export const SANDBOX_DEPARTMENTS: readonly SandboxDepartment[] = [
  { id: 'hr', name: { zh: '人力资源部', en: 'Human Resources' } },
  { id: 'rd', name: { zh: '研发部', en: 'Research & Development' } },
  { id: 'sales', name: { zh: '销售部', en: 'Sales' } },
];

const people: [string, string, string, string][] = [
  // [userId, name, departmentId, title]
  ['wangfang', '王芳', 'hr', '人力资源总监'],
  ['lijing', '李静', 'hr', '招聘经理'],
  ['zhangmin', '张敏', 'hr', '薪酬专员'],
  ['liuyang', '刘洋', 'hr', '培训主管'],
  ['chenjie', '陈杰', 'hr', '员工关系专员'],
  ['yangli', '杨丽', 'hr', '人事助理'],
  ['zhaolei', '赵磊', 'hr', 'HRBP'],
  ['huangting', '黄婷', 'hr', '招聘专员'],
  ['zhoutao', '周涛', 'rd', '研发总监'],
  ['wuhao', '吴昊', 'rd', '后端工程师'],
  ['xuqiang', '徐强', 'rd', '前端工程师'],
  ['sunyue', '孙悦', 'rd', '测试工程师'],
  ['mawei', '马伟', 'rd', '架构师'],
  ['zhuxin', '朱欣', 'rd', '产品经理'],
  ['huyan', '胡燕', 'rd', 'UI 设计师'],
  ['guoliang', '郭亮', 'rd', '运维工程师'],
  ['linna', '林娜', 'rd', '数据工程师'],
  ['hejun', '何军', 'rd', '安全工程师'],
  ['gaoyu', '高宇', 'rd', '移动端工程师'],
  ['luoxue', '罗雪', 'rd', '算法工程师'],
  ['zhengkai', '郑凯', 'sales', '销售总监'],
  ['liangqian', '梁倩', 'sales', '大客户经理'],
  ['xiebin', '谢斌', 'sales', '销售代表'],
  ['songjia', '宋佳', 'sales', '销售代表'],
  ['tangpeng', '唐鹏', 'sales', '渠道经理'],
  ['hanxue', '韩雪', 'sales', '售前顾问'],
  ['fengchao', '冯超', 'sales', '销售运营'],
  ['dengli', '邓丽', 'sales', '客户成功经理'],
  ['caoyang', '曹阳', 'sales', '销售代表'],
  ['pengfei', '彭飞', 'sales', '区域经理'],
];

/** The 30 employees, in directory order (department by department). */
export const SANDBOX_EMPLOYEES: readonly SandboxEmployee[] = people.map(([userId, name, departmentId, title]) => ({ userId, name, departmentId, title }));

/** The employee with this user id, or undefined. */
export function sandboxEmployee(userId: string): SandboxEmployee | undefined {
  return SANDBOX_EMPLOYEES.find((e) => e.userId === userId);
}

/** A department with its head count and members, as the sandbox directory lists it. */
export interface SandboxDirectoryDepartment extends SandboxDepartment {
  headCount: number;
  members: { userId: string; name: string; title: string }[];
}

/** The directory: every department with head count and members. */
export function sandboxDirectory(): SandboxDirectoryDepartment[] {
  return SANDBOX_DEPARTMENTS.map((d) => {
    const members = SANDBOX_EMPLOYEES.filter((e) => e.departmentId === d.id).map(({ userId, name, title }) => ({ userId, name, title }));
    return { ...d, headCount: members.length, members };
  });
}

/** Where a seeded status says it comes from: marked as sandbox data wherever it shows. */
export const SANDBOX_STATUS_SOURCE = 'sandbox demo data';

/** The seeded scopes as stored (they are the keys of {@link SANDBOX_STATUS_DESCRIPTION}'s scopeTexts). */
const SCOPE_ALL = '单聊和群聊，内部与外部联系人（沙盒示例数据）';
const SCOPE_INTERNAL = '单聊和群聊，仅内部（沙盒示例数据）';
const SCOPE_CUSTOMERS = '与外部客户的单聊和群聊（沙盒示例数据）';

/**
 * How the seeded statuses read in an answer, per language (the server registers it, src/platform/adapter.ts
 * `statusSource`): the source's name and each scope, so an English or Traditional asker reads their own language.
 */
export const SANDBOX_STATUS_DESCRIPTION = {
  sourceName: SANDBOX_STATUS_SOURCE,
  label: { en: 'sandbox demo data', 'zh-CN': '沙盒示例数据', 'zh-TW': '沙盒示例資料' },
  scopeTexts: {
    [SCOPE_ALL]: { en: '1:1 and group chats, internal and external contacts', 'zh-CN': '单聊和群聊，内部与外部联系人', 'zh-TW': '單聊和群聊，內部與外部聯絡人' },
    [SCOPE_INTERNAL]: { en: '1:1 and group chats, internal only', 'zh-CN': '单聊和群聊，仅内部', 'zh-TW': '單聊和群聊，僅內部' },
    [SCOPE_CUSTOMERS]: { en: '1:1 and group chats with external customers', 'zh-CN': '与外部客户的单聊和群聊', 'zh-TW': '與外部客戶的單聊和群聊' },
  },
} as const;

/**
 * Made-up archiving statuses of a few sandbox employees (the rest have none, as in a real
 * company where not everyone is imported): archived since a date with a scope, one explicitly
 * not archived. Written with source {@link SANDBOX_STATUS_SOURCE}.
 */
export function sandboxStatuses(updatedAt: string): ArchivingStatus[] {
  const s = (userId: string, archived: boolean, since: string | null, scope: string | null): ArchivingStatus => ({
    platform: SANDBOX_PLATFORM,
    userId,
    archived,
    since,
    scope,
    source: SANDBOX_STATUS_SOURCE,
    updatedAt,
  });
  return [
    s('wangfang', true, '2024-03-01', SCOPE_ALL),
    s('zhoutao', true, '2024-06-15', SCOPE_INTERNAL),
    s('wuhao', true, '2025-01-02', SCOPE_INTERNAL),
    s('zhengkai', true, '2023-11-20', SCOPE_CUSTOMERS),
    s('liangqian', true, '2023-11-20', SCOPE_CUSTOMERS),
    s('yangli', false, null, null),
  ];
}
