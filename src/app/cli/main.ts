import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { loadConfig, type Config } from '../config.ts';
import { createCore, type Core } from '../../core.ts';
import { BotError, CliError } from '../../errors.ts';
import { createLogger } from '../../log.ts';
import { startServer } from '../server.ts';
import { importStatuses } from '../../archiving/status.ts';
import { PLATFORM_IDS } from '../../../adapters/platforms.ts';
import { lintKnowledge } from '../../knowledge/lint.ts';
import { formatProblem } from '../../knowledge/load.ts';
import type { BotResult, InboundMessage } from '../../platform/message.ts';
import { checkRedisPersistence } from '../../store/redis/persistence.ts';
import { NOTICE_USAGE, runNoticeCommand } from './notice.ts';
import { POLICY_USAGE, runPolicyCommand } from './policies.ts';
import { EVIDENCE_USAGE, runEvidenceCommand } from './evidence.ts';
import { adminUsage, runAdminCommand } from '../../console/cli.ts';
import { LOGIN_PLATFORMS } from '../../../adapters/login.ts';
import { argsErrorMessage, isArgsError } from './args.ts';

const USAGE = `usage: privacy-bot <command>   (privacy-bot --version prints the version)

  serve                                   run the bot (what npm start runs)
  ask "<question>" [--platform wecom|dingtalk|feishu|sandbox --user <userId>] [--json]
                                          answer one question; with no question, read one per
                                          line from stdin and write one JSON object per line
  status import <file.csv>                import archiving statuses (header platform,userId,archived,since,scope)
  status get --platform <p> --user <id>   show one employee's archiving status
  kb lint [--topics <topics.tsv>]         validate the knowledge base (exit 1 with the problems)
  eval <file.jsonl> [--json] [--baseline] [--half tune|test] [--totals]
                                          accuracy and latency of the matcher on a labelled file: one
                                          JSON object per line, {"q": "<question>", "topics": ["<topic id>"]}
                                          ("topics": [] = must be declined; see test/fixtures/blind/)
                                          (--half: one fixed half, split by a hash of each question;
                                          --totals: no question printed, only the figures)
${NOTICE_USAGE}
${POLICY_USAGE}
${EVIDENCE_USAGE}
${adminUsage(LOGIN_PLATFORMS.map((p) => p.id))}

Configuration comes from the environment, as for the server (see README).`;

/**
 * The usage lines of one command (its line in {@link USAGE} and the indented lines continuing it), or the whole
 * usage when the command has none.
 */
function usageOf(command: string): string {
  const lines = USAGE.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith(`  ${command} `)) continue;
    out.push(lines[i]!);
    while (i + 1 < lines.length && /^ {4}/.test(lines[i + 1]!)) out.push(lines[++i]!);
  }
  return out.length > 0 ? `usage:\n${out.join('\n')}` : USAGE;
}

/** The version in package.json (three levels up from src/app/cli, four from dist/src/app/cli). */
async function packageVersion(): Promise<string> {
  for (const up of ['../../../package.json', '../../../../package.json']) {
    try {
      const pkg = JSON.parse(await readFile(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'privacy-bot' && pkg.version) return pkg.version;
    } catch {
      // not there: try the next level
    }
  }
  return 'unknown';
}


function cliLogger(config: Config): Logger {
  // Commands other than serve print results on stdout; logs go to stderr and stay quiet by default.
  return createLogger(process.env.LOG_LEVEL ? config.logLevel : 'warn', { write: (s: string) => process.stderr.write(s) } as never);
}

function askMessage(text: string, platform: string | undefined, user: string | undefined): InboundMessage {
  return {
    platform: platform ?? 'cli',
    tenant: 'local',
    userId: user ?? 'anonymous',
    chat: { kind: 'single' },
    kind: 'text',
    text,
    mentionedBot: false,
    messageId: randomUUID(),
    receivedAt: Date.now(),
    anonymous: user === undefined,
  };
}

/** The JSON line printed by `ask` for one question. */
function askJson(question: string, r: BotResult): string {
  return JSON.stringify({
    question,
    topic: r.intent === 'faq' || r.intent === 'platform-choice' ? r.topic : null,
    intent: r.intent,
    score: Math.round(r.score * 1000) / 1000,
    suggestions: r.suggestions,
    reply: r.replies.map((x) => x.text).join('\n\n'),
  });
}

async function withCore<T>(config: Config, fn: (core: Core) => Promise<T>): Promise<T> {
  const core = await createCore(config, cliLogger(config));
  try {
    return await fn(core);
  } finally {
    await core.store.close();
  }
}

/**
 * How long a stopping server (SIGTERM, SIGINT) waits for requests, background replies and
 * broadcast batches in flight, in ms; then it cuts what is left and releases broadcast leases.
 */
const SHUTDOWN_GRACE_MS = 10_000;
/** Exit with code 1 if stopping takes longer than this, in ms (the grace plus closing the stores). */
const SHUTDOWN_FORCE_EXIT_MS = SHUTDOWN_GRACE_MS + 5_000;

async function serve(config: Config): Promise<void> {
  const log = createLogger(config.logLevel);
  const core = await createCore(config, log);
  // A Redis without AOF or snapshots loses acknowledgements on restart: say so at start (never fatal).
  if (config.redisUrl) await checkRedisPersistence(config.redisUrl, log);
  if (!config.evidenceKey) {
    log.warn('EVIDENCE_SIGNING_KEY is not set: broadcast exports (recipients.csv, audit.csv) will be marked UNSIGNED (docs/EVIDENCE.md)');
  }
  let running: Awaited<ReturnType<typeof startServer>>;
  try {
    running = await startServer({ config, core, log });
  } catch (err) {
    // e.g. PORT_IN_USE: reported by main() as one line; the store must not keep the process alive.
    await core.store.close().catch(() => {});
    throw err;
  }
  // Graceful stop: new connections are refused at once; requests, replies being delivered and
  // broadcast batches in flight get SHUTDOWN_GRACE_MS to finish; leases of batches still sending
  // then are released so another instance takes them over at once; exit 0. The handlers are in
  // place before 'privacy-bot listening' is logged, so a SIGTERM right after that line is graceful.
  // Logging never delays the exit: the stdout destination drops lines it cannot write (src/log.ts).
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, graceMs: SHUTDOWN_GRACE_MS }, 'shutting down: refusing new connections, finishing requests, replies and broadcast batches in flight');
    const force = setTimeout(() => {
      log.error({ afterMs: SHUTDOWN_FORCE_EXIT_MS }, 'shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_FORCE_EXIT_MS);
    force.unref();
    try {
      await running.close({ graceMs: SHUTDOWN_GRACE_MS });
    } catch (err) {
      log.error({ err: (err as Error).message }, 'shutdown: stopping the server failed');
    }
    await core.store.close().catch((err: unknown) => log.error({ err: (err as Error).message }, 'shutdown: closing the store failed'));
    log.info('stopped');
    log.flush();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  log.info({ port: running.port, store: core.store.kind, topics: core.kb.entries.length }, 'privacy-bot listening');
  if (running.adminPort !== null) log.info({ adminPort: running.adminPort }, 'admin API and console listening on ADMIN_PORT only');
  if (config.tryPage) {
    process.stdout.write(`\nprivacy-bot is running. Try it in your browser: ${running.url}/try\n\n`);
  }
  if (running.adapters.some((a) => a.platform === 'sandbox')) {
    // With ADMIN_PORT set the console is on that port only (the public port answers 404 for it).
    const consoleUrl = `${running.adminUrl ?? running.url}/console`;
    process.stdout.write(
      'Sandbox: no WeCom, DingTalk or Feishu is configured, so a made-up company (platform "sandbox", 30 employees in hr, rd, sales) stands in; SANDBOX=off turns it off. It listens on this machine only (HOST=0.0.0.0 opens it to the network).\n' +
        (running.sandboxAdminToken
          ? `Sandbox admin token (kept in the store: every instance on it accepts this one; set ADMIN_TOKEN to choose your own): ${running.sandboxAdminToken}\n`
          : '') +
        (running.sandboxConsoleAccount
          ? `Console: ${consoleUrl} — sign in as ${running.sandboxConsoleAccount.name} with the one-time password ${running.sandboxConsoleAccount.password} (you choose your own at the first sign-in)\n\n`
          : config.console
            ? `Console: ${consoleUrl} — sign in with the console account made at the first start (\`npx privacy-bot admin list\` names it; \`npx privacy-bot admin reset <name>\` prints a new one-time password)\n\n`
            : '\n'),
    );
  }
}

async function ask(config: Config, args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { platform: { type: 'string' }, user: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  if ((values.platform === undefined) !== (values.user === undefined)) {
    throw new CliError('ask: --platform and --user go together');
  }
  // 'sandbox' too: the made-up organisation of `npm start` with no platform configured (its demo statuses).
  if (values.platform !== undefined && !PLATFORM_IDS.includes(values.platform)) {
    throw new CliError(`ask: --platform must be one of ${PLATFORM_IDS.join(', ')} (got ${values.platform})`);
  }
  if (positionals.length > 0 && positionals.join(' ').trim() === '') {
    throw new CliError('ask: the question is empty (give it in quotes, or none at all to read one per line from stdin)');
  }
  await withCore(config, async (core) => {
    if (positionals.length > 0) {
      const q = positionals.join(' ');
      const r = await core.handle(askMessage(q, values.platform, values.user));
      process.stdout.write(values.json ? `${askJson(q, r)}\n` : `${r.replies.map((x) => x.text).join('\n\n')}\n`);
      // The reply asks for a number or a platform's name, which a one-shot command cannot send: say how instead.
      if (r.intent === 'platform-choice' && !values.json) {
        process.stderr.write(`ask: the question names no platform; for one platform's full answer ask again with --platform ${PLATFORM_IDS.filter((p) => p !== 'sandbox').join('|')} --user <user id>, or name the platform in the question\n`);
      }
      return;
    }
    const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
    for await (const line of lines) {
      const q = line.trim();
      if (q === '') continue;
      const r = await core.handle(askMessage(q, values.platform, values.user));
      process.stdout.write(`${askJson(q, r)}\n`);
    }
  });
}

async function status(config: Config, args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === 'import') {
    const file = rest[0];
    if (!file) throw new CliError('status import: give the CSV file');
    let csv: string;
    try {
      csv = await readFile(file, 'utf8');
    } catch (err) {
      throw new CliError(`status import: cannot read ${file}: ${(err as Error).message}`);
    }
    await withCore(config, async (core) => {
      const r = await importStatuses(core.store, csv, PLATFORM_IDS);
      if (r.errors.length > 0) {
        for (const e of r.errors) process.stderr.write(`${file}:${e.line}: ${e.message}\n`);
        throw new CliError(`status import: ${r.errors.length} bad line(s); nothing was imported`, 1);
      }
      process.stdout.write(`imported ${r.imported} status record(s) into the ${core.store.kind} store\n`);
    });
    return;
  }
  if (sub === 'get') {
    const { values } = parseArgs({ args: rest, options: { platform: { type: 'string' }, user: { type: 'string' } } });
    if (!values.platform || !values.user) throw new CliError('status get: --platform and --user are required');
    await withCore(config, async (core) => {
      const s = await core.store.getStatus(values.platform!, values.user!);
      process.stdout.write(`${JSON.stringify(s ?? { platform: values.platform, userId: values.user, record: null })}\n`);
    });
    return;
  }
  throw new CliError('status: use "status import <file.csv>" or "status get --platform P --user U"');
}

async function kbLint(config: Config, args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { topics: { type: 'string' } } });
  const r = await lintKnowledge(config.knowledgeDir, values.topics ? { topicsFile: values.topics } : {});
  for (const p of r.problems) process.stdout.write(`${formatProblem(p)}\n`);
  if (!r.ok) throw new CliError(`kb lint: ${r.problems.length} problem(s)`, 1);
  process.stdout.write(`kb lint: ${r.entries} entries OK (${config.knowledgeDir})\n`);
}

async function evalCommand(config: Config, args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, baseline: { type: 'boolean', default: false }, half: { type: 'string' }, totals: { type: 'boolean', default: false } },
  });
  const file = positionals[0];
  if (!file) throw new CliError('eval: give the .jsonl file');
  const half = values.half;
  if (half !== undefined && half !== 'tune' && half !== 'test') throw new CliError('eval: --half must be "tune" or "test"');
  const { runEval, formatEvalReport } = await import('../../eval/run.ts');
  const { loadKnowledge } = await import('../../knowledge/load.ts');
  const kb = await loadKnowledge(config.knowledgeDir);
  const report = await runEval({ file, kb, baseline: values.baseline, ...(half ? { half } : {}) });
  process.stdout.write(`${formatEvalReport(report, { json: values.json, totals: values.totals })}\n`);
}

/** Runs the CLI with `argv` (without node and script). Resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  if (command === '--version' || command === '-v' || command === 'version') {
    process.stdout.write(`privacy-bot ${await packageVersion()}\n`);
    return 0;
  }
  // Offline: needs neither the configuration nor a store (an auditor runs it on a laptop).
  if (command === 'evidence') return runEvidenceCommand(args);
  try {
    const config = loadConfig();
    switch (command) {
      case 'serve': await serve(config); return -1;
      case 'ask': await ask(config, args); return 0;
      case 'status': await status(config, args); return 0;
      case 'kb':
        if (args[0] !== 'lint') throw new CliError('kb: the only subcommand is "kb lint"');
        await kbLint(config, args.slice(1));
        return 0;
      case 'eval': await evalCommand(config, args); return 0;
      case 'notice': return await runNoticeCommand(config, args);
      case 'policy': return await runPolicyCommand(config, args);
      case 'admin': return await runAdminCommand(config, args, LOGIN_PLATFORMS);
      default: throw new CliError(`unknown command "${command}"\n${USAGE}`);
    }
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`privacy-bot: ${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof BotError) {
      // The message holds every problem (KnowledgeError: one line each), so they are printed once, here.
      process.stderr.write(`privacy-bot: ${err.code}: ${err.message}\n`);
      return err.code === 'CONFIG_INVALID' ? 2 : 1;
    }
    if (isArgsError(err)) {
      process.stderr.write(`privacy-bot: ${command}: ${argsErrorMessage(err)}\n${usageOf(command)}\n`);
      return 2;
    }
    throw err;
  }
}

const code = await main(process.argv.slice(2));
if (code >= 0) process.exitCode = code;
