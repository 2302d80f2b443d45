import Router from '@koa/router';

/**
 * Options of every @koa/router Router of the bot. @koa/router's default is lenient — routes match
 * in any letter case (`sensitive: false`) and with a trailing slash (`strict: false`) — while its
 * `router.use(...)` middleware is compiled as a plain case-sensitive RegExp: a Bearer check added
 * with `use` on a router with prefix '/admin' never ran for `/ADMIN/notices`, whose route still
 * matched. With both options on, a route matches exactly one spelling of its path (see
 * node_modules/@koa/router/dist/index.js: Layer, `_registerMiddleware`, `setPrefix`).
 */
export const STRICT_ROUTING = { strict: true, sensitive: true } as const;

/** A Router with {@link STRICT_ROUTING}, optionally under `prefix` (e.g. '/admin'). */
export function strictRouter(prefix?: string): Router {
  return new Router({ ...STRICT_ROUTING, ...(prefix !== undefined ? { prefix } : {}) });
}
