import type { Context } from 'koa';
import { botError, BotError } from '../errors.ts';
import type { PolicyRecord, PolicyState } from '../store/ports/policies.ts';
import { POLICY_PLATFORM_PATTERN } from '../store/ports/policies.ts';
import type { PolicyService } from '../policies/service.ts';
import { actorOf, type AdminRoutes } from './routes.ts';

/** A policy as JSON: times ISO 8601 UTC, withdrawnAt null while active. */
export function policyJson(p: PolicyRecord) {
  return {
    id: p.id,
    platform: p.platform,
    audience: p.audience,
    since: p.since,
    scope: p.scope,
    retention: p.retention,
    purpose: p.purpose,
    legalBasis: p.legalBasis,
    viewers: p.viewers,
    state: p.state,
    createdBy: p.createdBy,
    createdAt: new Date(p.createdAt).toISOString(),
    updatedAt: new Date(p.updatedAt).toISOString(),
    withdrawnAt: p.withdrawnAt === null ? null : new Date(p.withdrawnAt).toISOString(),
  };
}

function bad(message: string): BotError {
  return botError('POLICY_BAD_REQUEST', message);
}

/** `?platform=` and `?state=active|withdrawn` of GET /admin/policies. */
function listFilter(ctx: Context): { platform?: string; state?: PolicyState } {
  const { platform, state } = ctx.query;
  const filter: { platform?: string; state?: PolicyState } = {};
  if (platform !== undefined) {
    if (typeof platform !== 'string' || !POLICY_PLATFORM_PATTERN.test(platform)) throw bad('platform: must be a platform id such as "dingtalk"');
    filter.platform = platform;
  }
  if (state !== undefined) {
    if (state !== 'active' && state !== 'withdrawn') throw bad('state: must be "active" or "withdrawn"');
    filter.state = state;
  }
  return filter;
}

/**
 * Mounts the policy routes on the admin router (prefix /admin, behind its Bearer check and JSON
 * errors — see src/admin/routes.ts):
 * - POST   /admin/policies `{"platform", "audience", "since", "scope", "retention", "purpose",
 *   "legalBasis", "viewers"}` -> 201 `{"id", "state": "active", "warnings": [...]}`; 400
 *   POLICY_BAD_REQUEST naming the field
 * - GET    /admin/policies[?platform=dingtalk][&state=active|withdrawn] -> `{"policies": [...]}` newest first
 * - GET    /admin/policies/:id -> the policy with its current `warnings`; 404 POLICY_NOT_FOUND
 * - DELETE /admin/policies/:id -> the policy, now `"state": "withdrawn"`: it applies to nobody
 *   but stays listed (history); again -> the same record; 404 POLICY_NOT_FOUND
 * @param readJson the admin API's body reader (size limit, ADMIN_BAD_JSON)
 */
export function mountPolicyRoutes(admin: AdminRoutes, options: { service: PolicyService; readJson: (ctx: Context) => Promise<unknown> }): void {
  const { service, readJson } = options;
  admin.post('/policies', async (ctx) => {
    const { policy, warnings } = await service.create(await readJson(ctx), actorOf(ctx));
    ctx.status = 201;
    ctx.body = { id: policy.id, state: policy.state, warnings };
  });
  admin.get('/policies', async (ctx) => {
    ctx.body = { policies: (await service.list(listFilter(ctx))).map(policyJson) };
  });
  admin.get('/policies/:id', async (ctx) => {
    const p = await service.get(ctx.params.id!);
    ctx.body = { ...policyJson(p), warnings: service.warningsFor(p) };
  });
  admin.delete('/policies/:id', async (ctx) => {
    ctx.body = policyJson(await service.withdraw(ctx.params.id!));
  });
}
