/**
 * The owner's account management in the console (under /console/api; every route needs a session of
 * the role owner, the CSRF token, and is recorded in the console audit trail with the account name):
 * - POST   /accounts `{"name","role"}` → 201 `{"account","password"}` (the one-time password, shown once)
 * - PUT    /accounts/:name/role `{"role"}` → `{"account"}` (409 CONSOLE_LAST_OWNER for the last owner)
 * - POST   /accounts/:name/reset → `{"account","password"}` (a new one-time password)
 * - DELETE /accounts/:name → `{"removed":name}` (409 CONSOLE_LAST_OWNER for the last owner)
 * - POST   /accounts/:name/links `{"platform","userId"}` → `{"account"}` (409 CONSOLE_LINK_TAKEN)
 * - DELETE /accounts/:name/links?platform=&userId= → `{"account"}` (404 CONSOLE_LINK_NOT_FOUND)
 * The list itself is GET /accounts (src/console/server.ts). Errors: src/console/accounts.ts AccountStore.
 */
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { readJson } from '../admin/routes.ts';
import type { AccountStore } from './accounts.ts';

/** Options of {@link mountAccountRoutes}. */
export interface AccountRouteOptions {
  accounts: AccountStore;
  /** The console's change guards for the role owner (errors, no-store, session, audit, CSRF, role). */
  ownerGuards: Middleware[];
}

const one = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '');

/** Mounts the routes of the module comment on `api` (the /console/api router). */
export function mountAccountRoutes(api: Router, { accounts, ownerGuards }: AccountRouteOptions): void {
  /** The audit entry's target: the account, plus the platform identity for link changes. */
  const target = (ctx: Context, value: string) => void ((ctx.params as Record<string, string>).name = value);
  api.post('/accounts', ...ownerGuards, async (ctx) => {
    const body = (await readJson(ctx)) as { name?: unknown; role?: unknown };
    const name = typeof body.name === 'string' ? body.name.trim() : '';
    target(ctx, name.slice(0, 64));
    const { account, password } = await accounts.add(name, typeof body.role === 'string' ? body.role : '');
    ctx.status = 201;
    ctx.body = { account, password };
  });
  api.put('/accounts/:name/role', ...ownerGuards, async (ctx) => {
    const body = (await readJson(ctx)) as { role?: unknown };
    ctx.body = { account: await accounts.setRole(ctx.params.name!, typeof body.role === 'string' ? body.role : '') };
  });
  api.post('/accounts/:name/reset', ...ownerGuards, async (ctx) => {
    const { account, password } = await accounts.reset(ctx.params.name!);
    ctx.body = { account, password };
  });
  api.delete('/accounts/:name', ...ownerGuards, async (ctx) => {
    await accounts.remove(ctx.params.name!);
    ctx.body = { removed: ctx.params.name };
  });
  api.post('/accounts/:name/links', ...ownerGuards, async (ctx) => {
    const body = (await readJson(ctx)) as { platform?: unknown; userId?: unknown };
    const name = ctx.params.name!;
    const account = await accounts.link(name, body.platform, body.userId);
    target(ctx, `${name} ${String(body.platform)}:${String(body.userId).trim().slice(0, 128)}`);
    ctx.body = { account };
  });
  api.delete('/accounts/:name/links', ...ownerGuards, async (ctx) => {
    const name = ctx.params.name!;
    const account = await accounts.unlink(name, one(ctx.query.platform), one(ctx.query.userId));
    target(ctx, `${name} ${one(ctx.query.platform)}:${one(ctx.query.userId).slice(0, 128)}`);
    ctx.body = { account };
  });
}
