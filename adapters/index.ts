import type { AdapterContext, PlatformAdapter } from '../src/platform/adapter.ts';
import { loadWecomConfig, WECOM_REQUIRED, WECOM_VARIABLES, type WecomArchiveConfig, type WecomConfig } from './wecom/config.ts';
import { DINGTALK_REQUIRED, DINGTALK_VARIABLES, loadDingtalkConfig, type DingtalkConfig } from './dingtalk/config.ts';
import { loadWecomAibotConfig, WECOM_AIBOT_VARIABLES, type WecomAibotConfig } from './wecom-aibot/config.ts';
import { createWecomAdapter, type WecomAdapterOptions } from './wecom/index.ts';
import { createDingtalkAdapter, type DingtalkAdapterOptions } from './dingtalk/index.ts';
import { createWecomAibotAdapter, type WecomAibotAdapterOptions } from './wecom-aibot/index.ts';
import { createFeishuAdapter, type FeishuAdapterOptions } from './feishu/index.ts';
import { FEISHU_REQUIRED, FEISHU_VARIABLES, loadFeishuConfig, type FeishuConfig } from './feishu/config.ts';
import { createSandboxAdapter } from './sandbox/index.ts';
import { loadSandboxConfig, SANDBOX_VARIABLES } from './sandbox/config.ts';
import { LOGIN_VARIABLES } from './login.ts';

/** Every platform's configuration; each block null when that platform is off. */
export interface PlatformConfigs {
  /** null = WeCom disabled (credentials absent). */
  wecom: WecomConfig | null;
  /** null = DingTalk disabled (credentials absent). */
  dingtalk: DingtalkConfig | null;
  /** null = archive sync off (WECOM_ARCHIVE_SECRET unset): statuses come from imports only. */
  wecomArchive: WecomArchiveConfig | null;
  /** null = WeCom AI bot disabled (no WECOM_AIBOT_* variable set). Private replies need `wecom` too. */
  wecomAibot: WecomAibotConfig | null;
  /** null = Feishu / Lark disabled (FEISHU_APP_ID and FEISHU_APP_SECRET absent). */
  feishu: FeishuConfig | null;
  /**
   * The built-in demo organisation (adapters/sandbox/): on unless SANDBOX=off; it is only mounted
   * while no real platform (WeCom, WeCom AI bot, DingTalk, Feishu) is configured.
   */
  sandbox: boolean;
}

/** Every variable the platform adapters read (each adapter's config.ts lists its own). */
export const PLATFORM_VARIABLES: readonly string[] = [...WECOM_VARIABLES, ...DINGTALK_VARIABLES, ...WECOM_AIBOT_VARIABLES, ...FEISHU_VARIABLES, ...SANDBOX_VARIABLES, ...LOGIN_VARIABLES];

/**
 * Reads every platform's variables.
 * @throws ConfigError (code CONFIG_INVALID) naming the first bad or missing variable
 */
export function loadPlatformConfigs(env: NodeJS.ProcessEnv): PlatformConfigs {
  const { wecom, wecomArchive } = loadWecomConfig(env);
  return { wecom, wecomArchive, dingtalk: loadDingtalkConfig(env), wecomAibot: loadWecomAibotConfig(env), feishu: loadFeishuConfig(env), sandbox: loadSandboxConfig(env) };
}

/** Result of looking at the configuration: the adapters to mount and the platforms left off. */
export interface AdapterSet {
  adapters: PlatformAdapter[];
  /** Platforms disabled because their credentials are absent, with the variables to set. */
  disabled: { platform: string; variables: string[] }[];
}

/** Per-adapter options that are not configuration (tests and benchmarks: timings, fake endpoints). */
export interface AdapterOptions {
  wecom?: Omit<WecomAdapterOptions, 'archive'>;
  dingtalk?: DingtalkAdapterOptions;
  wecomAibot?: WecomAibotAdapterOptions;
  feishu?: FeishuAdapterOptions;
}

/**
 * Whether the sandbox organisation (adapters/sandbox/) is mounted for this configuration: SANDBOX
 * is not 'off' and no real platform (WeCom, WeCom AI bot, DingTalk, Feishu) is configured.
 */
export function sandboxActive(config: PlatformConfigs): boolean {
  return config.sandbox && !config.wecom && !config.dingtalk && !config.wecomAibot && !config.feishu;
}

/**
 * The platform registry: one adapter per platform whose credentials are configured; with none
 * configured (and SANDBOX not 'off'), the built-in sandbox organisation (adapters/sandbox/).
 * Adding a platform means adding it here and in its own folder; src/ stays as it is.
 * @param options per-adapter tuning (tests); production passes none
 */
export function createAdapters(config: PlatformConfigs, ctx: AdapterContext, options: AdapterOptions = {}): AdapterSet {
  const adapters: PlatformAdapter[] = [];
  const disabled: AdapterSet['disabled'] = [];
  const wecom = config.wecom ? createWecomAdapter(config.wecom, ctx, { ...options.wecom, archive: config.wecomArchive }) : null;
  if (wecom) adapters.push(wecom);
  else disabled.push({ platform: 'wecom', variables: [...WECOM_REQUIRED] });
  if (config.dingtalk) adapters.push(createDingtalkAdapter(config.dingtalk, ctx, options.dingtalk));
  else disabled.push({ platform: 'dingtalk', variables: [...DINGTALK_REQUIRED] });
  // The AI bot answers in group chats; personal replies go 1:1 through the self-built app's client.
  if (config.wecomAibot) {
    adapters.push(createWecomAibotAdapter(config.wecomAibot, ctx, { privateClient: wecom?.client ?? null, tenant: config.wecom?.corpId }, options.wecomAibot));
  } else {
    disabled.push({ platform: 'wecom-aibot', variables: ['WECOM_AIBOT_TOKEN', 'WECOM_AIBOT_ENCODING_AES_KEY', '(or WECOM_AIBOT_MODE=ws with WECOM_AIBOT_BOT_ID, WECOM_AIBOT_SECRET)'] });
  }
  if (config.feishu) adapters.push(createFeishuAdapter(config.feishu, ctx, options.feishu));
  else disabled.push({ platform: 'feishu', variables: [...FEISHU_REQUIRED] });
  // The demo organisation (adapters/sandbox/) stands in while no real platform is configured.
  if (sandboxActive(config) && adapters.length === 0) adapters.push(createSandboxAdapter(ctx));
  return { adapters, disabled };
}
