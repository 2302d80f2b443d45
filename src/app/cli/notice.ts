import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { argsErrorMessage, isArgsError } from './args.ts';
import { parse as parseYaml } from 'yaml';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { NoticeService } from '../../notices/service.ts';
import { openStores } from '../../store/index.ts';
import type { Store } from '../../store/ports/store.ts';
import type { MessageHandler } from '../../platform/message.ts';
import { createLogger } from '../../log.ts';
import { broadcastJson, versionJson } from '../../admin/routes.ts';
import { BroadcastWorker } from '../../notices/worker.ts';
import type { Audience } from '../../platform/notices.ts';
import { createAdapters } from '../../../adapters/index.ts';
import { UsageError } from '../../errors.ts';

/** Usage of `privacy-bot notice …` (also part of the main usage). */
export const NOTICE_USAGE = `  notice create --file <notice.yaml|json> | --title-zh T --body-zh B [--title-en T --body-en B]
                [--title-tw T --body-tw B]  create an archiving notice (prints {"id","version"}); English
                                          and Traditional Chinese are optional (not given: the Chinese
                                          text / its OpenCC conversion is shown)
  notice edit <noticeId> (same options)   a new version of a notice (old versions stay readable)
  notice list                             notices and recent broadcasts (JSON)
  notice send <noticeId> --platform wecom|dingtalk|feishu --all | --dept <ids> | --users <ids>
              [--version N] [--no-wait]   send it; waits for the delivery unless --no-wait
  notice show <broadcastId>               counts and failures of a broadcast (JSON)
  notice export <broadcastId> [--audit] [--out <file.csv>]
                                          recipients (or audit trail) as CSV, UTF-8 with BOM,
                                          signed (docs/EVIDENCE.md)
  notice resend <broadcastId> --only failed|unacknowledged [--no-wait]
  notice cancel <broadcastId>`;

/** How often `--wait` prints progress, in ms. */
const PROGRESS_EVERY_MS = 2000;


function logger(config: Config): Logger {
  return createLogger(process.env.LOG_LEVEL ? config.logLevel : 'warn', { write: (s: string) => process.stderr.write(s) } as never);
}

function out(value: unknown): void {
  process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}\n`);
}

function ids(list: string): string[] {
  return list.split(/[\s,]+/).filter(Boolean);
}

/** Notice content from --file (YAML or JSON) or the four text options. */
async function content(values: Record<string, string | boolean | undefined>): Promise<unknown> {
  if (typeof values.file === 'string') {
    let text: string;
    try {
      text = await readFile(values.file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read ${values.file}: ${(err as Error).message}`);
    }
    try {
      return values.file.endsWith('.json') ? (JSON.parse(text) as unknown) : (parseYaml(text) as unknown);
    } catch (err) {
      throw new UsageError(`${values.file} is not valid ${values.file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
    }
  }
  const pick = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const keys = ['title-zh', 'title-en', 'title-tw', 'body-zh', 'body-en', 'body-tw'];
  if (!keys.some((k) => pick(k) !== undefined)) {
    throw new UsageError('give --file or --title-zh and --body-zh (--title-en, --body-en, --title-tw, --body-tw optional)');
  }
  return {
    title: { zh: pick('title-zh'), en: pick('title-en'), 'zh-TW': pick('title-tw') },
    body: { zh: pick('body-zh'), en: pick('body-en'), 'zh-TW': pick('body-tw') },
  };
}

const CONTENT_OPTIONS = {
  file: { type: 'string' },
  'title-zh': { type: 'string' },
  'title-en': { type: 'string' },
  'body-zh': { type: 'string' },
  'body-en': { type: 'string' },
  'title-tw': { type: 'string' },
  'body-tw': { type: 'string' },
} as const;

/** The CLI receives no chat messages; an adapter that gets one anyway answers nothing. */
const noReplies: MessageHandler = async () => ({ replies: [], intent: 'empty', topic: null, score: 0, suggestions: [], lang: 'zh-CN' });

/** Registers the notice channels of the configured platforms (the same adapters the server mounts). */
function registerChannels(core: NoticeCore, config: Config, log: Logger): void {
  const { adapters } = createAdapters(config, {
    handle: noReplies,
    kv: core.store,
    log,
    now: Date.now,
    background: (_name, work) => void work().catch(() => {}),
  });
  for (const a of adapters) if (a.noticeChannel) core.notices.registerChannel(a.noticeChannel);
}

/** Delivers in this process until the broadcast is done or cancelled; progress on stderr. */
async function waitForDelivery(core: NoticeCore, log: Logger, id: string): Promise<void> {
  const worker = new BroadcastWorker({ service: core.notices, log, kv: core.store });
  let last = 0;
  await worker.runUntil(async () => {
    const b = await core.notices.getBroadcast(id);
    if (Date.now() - last >= PROGRESS_EVERY_MS) {
      last = Date.now();
      const c = b.counts;
      process.stderr.write(`${id}: ${b.state}, ${c.sent}/${c.targeted} sent, ${c.failed} failed, ${c.pending} pending\n`);
    }
    return b.state === 'done' || b.state === 'cancelled';
  });
}

/**
 * Runs `privacy-bot notice <subcommand> …` (see {@link NOTICE_USAGE}) against the configured
 * store; `send` and `resend` deliver through the configured platforms unless --no-wait (a
 * running server delivers too: instances share the work through the store's leases).
 * Resolves to the exit code: 0 done, 2 usage. Errors of the notice service (BotError: unknown id,
 * bad field, platform not configured…) are thrown for the caller to print with their code.
 */
export async function runNoticeCommand(config: Config, argv: string[]): Promise<number> {
  const [sub, ...args] = argv;
  try {
    return await run(config, sub, args);
  } catch (err) {
    if (err instanceof UsageError || isArgsError(err)) {
      process.stderr.write(`privacy-bot: notice ${sub ?? ''}: ${argsErrorMessage(err)}\n${NOTICE_USAGE}\n`);
      return 2;
    }
    throw err;
  }
}

/** The notice part of the core: the stores (one connection; `store.close()` closes it) and the service, without the knowledge base (faster start). */
interface NoticeCore {
  store: Store;
  notices: NoticeService;
}

async function openNoticeCore(config: Config, log: Logger): Promise<NoticeCore> {
  const { kv, notices } = await openStores({ redisUrl: config.redisUrl, dataDir: config.dataDir });
  return { store: kv, notices: new NoticeService({ store: notices, log, evidenceKey: config.evidenceKey, noticeLanguage: config.noticeLanguage ?? 'bilingual' }) };
}

async function run(config: Config, sub: string | undefined, args: string[]): Promise<number> {
  const log = logger(config);
  const withCore = async (fn: (core: NoticeCore) => Promise<number>): Promise<number> => {
    const core = await openNoticeCore(config, log);
    try {
      return await fn(core);
    } finally {
      await core.store.close();
    }
  };
  switch (sub) {
    case 'create':
    case 'edit': {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: CONTENT_OPTIONS });
      if (sub === 'edit' && positionals.length !== 1) throw new UsageError('give the notice id');
      if (sub === 'create' && positionals.length !== 0) throw new UsageError(`unexpected ${positionals.join(' ')}`);
      const input = await content(values);
      return withCore(async (core) => {
        const v = sub === 'create' ? await core.notices.createNotice(input) : await core.notices.editNotice(positionals[0]!, input);
        out({ id: v.noticeId, version: v.version });
        return 0;
      });
    }
    case 'list': {
      parseArgs({ args, options: {} });
      return withCore(async (core) => {
        const notices = await core.notices.listNotices();
        const broadcasts = await core.notices.listBroadcasts(20);
        out({
          notices: notices.map((n) => ({ id: n.id, latestVersion: n.latestVersion, title: n.title, updatedAt: new Date(n.updatedAt).toISOString() })),
          broadcasts: broadcasts.map((b) => broadcastJson(b, { now: core.notices.clock.now() })),
        });
        return 0;
      });
    }
    case 'versions': {
      const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
      if (positionals.length !== 1) throw new UsageError('give the notice id');
      return withCore(async (core) => {
        out((await core.notices.getNotice(positionals[0]!)).versions.map(versionJson));
        return 0;
      });
    }
    case 'send': {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: {
          platform: { type: 'string' },
          all: { type: 'boolean', default: false },
          dept: { type: 'string' },
          users: { type: 'string' },
          version: { type: 'string' },
          'no-wait': { type: 'boolean', default: false },
        },
      });
      if (positionals.length !== 1) throw new UsageError('give the notice id');
      if (!values.platform) throw new UsageError('--platform is required (wecom, dingtalk or feishu)');
      const chosen = [values.all, values.dept !== undefined, values.users !== undefined].filter(Boolean).length;
      if (chosen !== 1) throw new UsageError('give exactly one of --all, --dept <ids>, --users <ids>');
      const audience: Audience = values.all ? { all: true } : values.dept !== undefined ? { departmentIds: ids(values.dept) } : { userIds: ids(values.users!) };
      let version: number | undefined;
      if (values.version !== undefined) {
        version = Number(values.version);
        if (!Number.isSafeInteger(version) || version < 1) throw new UsageError('--version must be a whole number ≥ 1');
      }
      return withCore(async (core) => {
        registerChannels(core, config, log);
        const b = await core.notices.createBroadcast({ noticeId: positionals[0]!, ...(version ? { version } : {}), platform: values.platform!, audience, createdBy: 'cli' });
        process.stderr.write(`broadcast ${b.id}: ${b.counts.targeted} recipient(s) on ${b.platform}\n`);
        if (!values['no-wait']) await waitForDelivery(core, log, b.id);
        out(broadcastJson(await core.notices.getBroadcast(b.id), { now: core.notices.clock.now() }));
        return 0;
      });
    }
    case 'show': {
      const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
      if (positionals.length !== 1) throw new UsageError('give the broadcast id');
      return withCore(async (core) => {
        out(broadcastJson(await core.notices.getBroadcast(positionals[0]!), { now: core.notices.clock.now() }));
        return 0;
      });
    }
    case 'export': {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { audit: { type: 'boolean', default: false }, out: { type: 'string' } } });
      if (positionals.length !== 1) throw new UsageError('give the broadcast id');
      return withCore(async (core) => {
        const id = positionals[0]!;
        const csv = values.audit ? await core.notices.auditCsv(id) : await core.notices.recipientsCsv(id);
        if (values.out) {
          await writeFile(values.out, csv, 'utf8');
          process.stderr.write(`wrote ${values.out}\n`);
        } else {
          process.stdout.write(csv);
        }
        return 0;
      });
    }
    case 'resend': {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { only: { type: 'string' }, 'no-wait': { type: 'boolean', default: false } } });
      if (positionals.length !== 1) throw new UsageError('give the broadcast id');
      if (values.only !== 'failed' && values.only !== 'unacknowledged') throw new UsageError('--only must be failed or unacknowledged');
      return withCore(async (core) => {
        registerChannels(core, config, log);
        const r = await core.notices.resend(positionals[0]!, values.only as 'failed' | 'unacknowledged', 'cli');
        process.stderr.write(`queued ${r.queued} recipient(s)${r.round ? ` for reminder round ${r.round}` : ''}\n`);
        if (r.queued > 0 && !values['no-wait']) {
          const b = await core.notices.getBroadcast(r.id);
          if (!core.notices.channelFor(b.platform)) {
            process.stderr.write(`${b.platform} is not configured here; a running server will deliver it\n`);
          } else {
            await waitForDelivery(core, log, r.id);
          }
        }
        out(broadcastJson(await core.notices.getBroadcast(r.id), { now: core.notices.clock.now() }));
        return 0;
      });
    }
    case 'cancel': {
      const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
      if (positionals.length !== 1) throw new UsageError('give the broadcast id');
      return withCore(async (core) => {
        out(broadcastJson(await core.notices.cancel(positionals[0]!), { now: core.notices.clock.now() }));
        return 0;
      });
    }
    default:
      throw new UsageError(sub ? `unknown subcommand "${sub}"` : 'give a subcommand');
  }
}
