import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { argsErrorMessage, isArgsError } from './args.ts';
import { parse as parseYaml } from 'yaml';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { createLogger } from '../../log.ts';
import { openStores } from '../../store/index.ts';
import type { PolicyState } from '../../store/ports/policies.ts';
import type { NoticeChannel } from '../../platform/notices.ts';
import type { MessageHandler } from '../../platform/message.ts';
import { createAdapters } from '../../../adapters/index.ts';
import { PolicyService } from '../../policies/service.ts';
import { policyJson } from '../../admin/policies.ts';
import { UsageError } from '../../errors.ts';

/** Usage of `privacy-bot policy …` (also part of the main usage). */
export const POLICY_USAGE = `  policy create <policy.json|yaml>        declare a company archiving policy (prints {"id","state","warnings"})
  policy list [--platform P] [--state active|withdrawn]
                                          policies, newest first (JSON)
  policy show <policyId>                  one policy with its current warnings (JSON)
  policy withdraw <policyId>              withdraw it: it covers nobody from now on, the record stays`;


function out(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** The CLI receives no chat messages; an adapter that gets one anyway answers nothing. */
const noReplies: MessageHandler = async () => ({ replies: [], intent: 'empty', topic: null, score: 0, suggestions: [], lang: 'zh-CN' });

/** A policy from a .json, .yaml or .yml file. */
async function readPolicyFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const yaml = /\.ya?ml$/i.test(file);
  try {
    return yaml ? (parseYaml(text) as unknown) : (JSON.parse(text) as unknown);
  } catch (err) {
    throw new UsageError(`${file} is not valid ${yaml ? 'YAML' : 'JSON'}: ${(err as Error).message}`);
  }
}

/**
 * Runs `privacy-bot policy <subcommand> …` (see {@link POLICY_USAGE}) against the configured
 * store (Redis when REDIS_URL is set, else DATA_DIR). `create` and `show` look at the configured
 * platforms (the same adapters the server mounts, without starting them) to say when a policy
 * cannot work as declared. Resolves to the exit code: 0 done, 2 usage. Errors of the policy
 * service (BotError: bad field, unknown id, store down) are thrown for the caller to print.
 */
export async function runPolicyCommand(config: Config, argv: string[]): Promise<number> {
  const [sub, ...args] = argv;
  try {
    return await run(config, sub, args);
  } catch (err) {
    if (err instanceof UsageError || isArgsError(err)) {
      process.stderr.write(`privacy-bot: policy ${sub ?? ''}: ${argsErrorMessage(err)}\n${POLICY_USAGE}\n`);
      return 2;
    }
    throw err;
  }
}

async function run(config: Config, sub: string | undefined, args: string[]): Promise<number> {
  const log: Logger = createLogger(process.env.LOG_LEVEL ? config.logLevel : 'error', { write: (s: string) => process.stderr.write(s) } as never);

  /** Runs `fn` with a service; with `platforms`, the configured platforms' directories and archive sources are known. */
  const withService = async (platforms: boolean, fn: (service: PolicyService) => Promise<number>): Promise<number> => {
    const stores = await openStores({ redisUrl: config.redisUrl, dataDir: config.dataDir });
    const { kv, policies: store } = stores;
    try {
      const channels = new Map<string, NoticeChannel>();
      const synced = new Set<string>();
      if (platforms) {
        const { adapters } = createAdapters(config, { handle: noReplies, kv, log, now: Date.now, background: (_name, work) => void work().catch(() => {}) });
        for (const a of adapters) {
          if (a.noticeChannel) channels.set(a.noticeChannel.platform, a.noticeChannel);
          if (a.archiveSource) synced.add(a.archiveSource.platform);
        }
      }
      const service = new PolicyService({ store, log, channelFor: (p) => channels.get(p), hasArchiveSync: (p) => synced.has(p) });
      return await fn(service);
    } finally {
      await stores.close().catch(() => {});
    }
  };

  const one = (what: string): string => {
    const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
    if (positionals.length !== 1) throw new UsageError(`give the ${what}`);
    return positionals[0]!;
  };

  switch (sub) {
    case 'create': {
      const input = await readPolicyFile(one('policy file (.json or .yaml)'));
      return withService(true, async (service) => {
        const { policy, warnings } = await service.create(input, 'cli');
        for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
        out({ id: policy.id, state: policy.state, warnings });
        return 0;
      });
    }
    case 'list': {
      const { values } = parseArgs({ args, options: { platform: { type: 'string' }, state: { type: 'string' } } });
      if (values.state !== undefined && values.state !== 'active' && values.state !== 'withdrawn') throw new UsageError('--state must be active or withdrawn');
      return withService(false, async (service) => {
        const filter = { ...(values.platform ? { platform: values.platform } : {}), ...(values.state ? { state: values.state as PolicyState } : {}) };
        out({ policies: (await service.list(filter)).map(policyJson) });
        return 0;
      });
    }
    case 'show': {
      const id = one('policy id');
      return withService(true, async (service) => {
        const p = await service.get(id);
        out({ ...policyJson(p), warnings: service.warningsFor(p) });
        return 0;
      });
    }
    case 'withdraw': {
      const id = one('policy id');
      return withService(false, async (service) => {
        out(policyJson(await service.withdraw(id)));
        return 0;
      });
    }
    default:
      throw new UsageError(sub ? `unknown subcommand "${sub}"` : 'give a subcommand');
  }
}
