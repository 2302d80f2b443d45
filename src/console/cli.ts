/**
 * `privacy-bot admin …`: the console's accounts from the command line, on the configured store
 * (REDIS_URL, else DATA_DIR/privacy-bot.db) — the first owner is made here.
 *
 *   admin add <name> --role owner|admin|auditor   prints the one-time password (changed at first sign-in)
 *   admin list [--json]
 *   admin reset <name>                            prints a new one-time password
 *   admin role <name> owner|admin|auditor
 *   admin remove <name>
 *   admin link <name> --platform <platform> --user-id <id>     may sign in with that platform identity
 *   admin unlink <name> --platform <platform> --user-id <id>
 * (platforms: the sign-in platforms the composition root passes, adapters/login.ts `LOGIN_PLATFORMS`).
 * Each change is recorded in the console audit trail with actor 'cli'. Bad input: a one-line
 * error and exit code 2; an unknown account or a refused change: exit code 1.
 */
import { parseArgs } from 'node:util';
import type { CoreConfig as Config } from '../config.ts';
import { BotError, UsageError } from '../errors.ts';
import { openStores } from '../store/index.ts';
import type { LoginPlatformInfo } from '../platform/login.ts';
import { AccountStore } from './accounts.ts';
import { ConsoleAudit } from './sessions.ts';

/**
 * Usage lines of the `admin` command (part of the CLI's help).
 * @param platforms ids of the sign-in platforms accounts may be linked to, e.g. ['wecom', 'dingtalk']
 */
export function adminUsage(platforms: readonly string[]): string {
  return `  admin add <name> --role owner|admin|auditor
                                          create a console account; prints its one-time password
  admin list [--json] | admin reset <name> | admin role <name> <role> | admin remove <name>
                                          console accounts (reset prints a new one-time password)
  admin link|unlink <name> --platform ${platforms.join('|')} --user-id <id>
                                          who may sign in with the work platform as this account
                                          (the platform's user id)`;
}

/**
 * Runs `admin <sub> …` with `args` (after "admin"); writes results to `out` (stdout by default).
 * @param platforms the sign-in platforms links may name (adapters/login.ts `LOGIN_PLATFORMS` via src/app)
 * @returns the exit code (0 ok, 1 refused, 2 usage)
 */
export async function runAdminCommand(config: Config, args: string[], platforms: readonly LoginPlatformInfo[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const ids = platforms.map((p) => p.id).join('|');
  const err = (s: string) => process.stderr.write(`privacy-bot: ${s}\n`);
  const [sub, ...rest] = args;
  let parsed;
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, options: { role: { type: 'string' }, json: { type: 'boolean', default: false }, platform: { type: 'string' }, 'user-id': { type: 'string' } } });
  } catch (e) {
    err(`admin: ${(e as Error).message}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const name = positionals[0];
  const need = (what: boolean, usage: string) => {
    if (!what) throw new UsageError(usage);
  };
  const { kv: store } = await openStores({ redisUrl: config.redisUrl, dataDir: config.dataDir });
  const accounts = new AccountStore(store, Date.now, platforms);
  const audit = new ConsoleAudit(store);
  try {
    switch (sub) {
      case 'add': {
        need(!!name && !!values.role, 'admin add <name> --role owner|admin|auditor');
        const { account, password } = await accounts.add(name!, values.role!);
        await audit.record({ actor: 'cli', action: 'admin add', status: 0, target: account.name });
        out(`account ${account.name} (${account.role}) created\none-time password (shown once; changed at first sign-in): ${password}\n`);
        return 0;
      }
      case 'list': {
        const list = await accounts.list();
        if (values.json) out(`${JSON.stringify(list)}\n`);
        else if (list.length === 0) out('no console accounts (create one: privacy-bot admin add <name> --role owner)\n');
        else for (const a of list) out(`${a.name}\t${a.role}${a.links?.length ? `\t${a.links.map((l) => `${l.platform}:${l.userId}`).join(',')}` : ''}${a.mustChange ? '\t(one-time password not changed yet)' : ''}\n`);
        return 0;
      }
      case 'reset': {
        need(!!name, 'admin reset <name>');
        const { account, password } = await accounts.reset(name!);
        await audit.record({ actor: 'cli', action: 'admin reset', status: 0, target: account.name });
        out(`account ${account.name}: new one-time password (shown once): ${password}\n`);
        return 0;
      }
      case 'role': {
        const role = positionals[1] ?? values.role;
        need(!!name && !!role, 'admin role <name> owner|admin|auditor');
        const a = await accounts.setRole(name!, role!);
        await audit.record({ actor: 'cli', action: `admin role ${a.role}`, status: 0, target: a.name });
        out(`account ${a.name} is now ${a.role}\n`);
        return 0;
      }
      case 'remove': {
        need(!!name, 'admin remove <name>');
        await accounts.remove(name!);
        await audit.record({ actor: 'cli', action: 'admin remove', status: 0, target: name! });
        out(`account ${name} removed\n`);
        return 0;
      }
      case 'link':
      case 'unlink': {
        need(!!name && !!values.platform && !!values['user-id'], `admin ${sub} <name> --platform ${ids} --user-id <id>`);
        const a = sub === 'link' ? await accounts.link(name!, values.platform, values['user-id']) : await accounts.unlink(name!, values.platform, values['user-id']);
        const id = `${values.platform}:${values['user-id']!.trim()}`;
        await audit.record({ actor: 'cli', action: `admin ${sub}`, status: 0, target: `${a.name} ${id}` });
        out(sub === 'link' ? `account ${a.name}: ${id} may sign in with the platform\n` : `account ${a.name}: ${id} unlinked\n`);
        return 0;
      }
      default:
        err(`admin: unknown subcommand "${sub ?? ''}"\n${adminUsage(platforms.map((p) => p.id))}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(`usage: privacy-bot ${e.message}`);
      return 2;
    }
    if (e instanceof BotError && e.status < 500) {
      err(`${e.code}: ${e.message}`);
      return e.code === 'CONSOLE_BAD_ACCOUNT' ? 2 : 1;
    }
    throw e;
  } finally {
    await store.close();
  }
}
