import type { Config } from '../src/config.ts';
import type { AdapterContext, PlatformAdapter } from './types.ts';
import { createWecomAdapter, type WecomAdapterOptions } from './wecom/index.ts';
import { createDingtalkAdapter, type DingtalkAdapterOptions } from './dingtalk/index.ts';
import { createWecomAibotAdapter, type WecomAibotAdapterOptions } from './wecom-aibot/index.ts';
import { createSandboxAdapter } from './sandbox/index.ts';

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
}

/**
 * Whether the sandbox organisation (adapters/sandbox/) is mounted for this configuration: SANDBOX
 * is not 'off' and no real platform (WeCom, WeCom AI bot, DingTalk) is configured.
 */
export function sandboxActive(config: Config): boolean {
  return config.sandbox && !config.wecom && !config.dingtalk && !config.wecomAibot;
}

/**
 * The platform registry: one adapter per platform whose credentials are configured; with none
 * configured (and SANDBOX not 'off'), the built-in sandbox organisation (adapters/sandbox/).
 * Adding a platform means adding it here and in its own folder; src/ stays as it is.
 * @param options per-adapter tuning (tests); production passes none
 */
export function createAdapters(config: Config, ctx: AdapterContext, options: AdapterOptions = {}): AdapterSet {
  const adapters: PlatformAdapter[] = [];
  const disabled: AdapterSet['disabled'] = [];
  const wecom = config.wecom ? createWecomAdapter(config.wecom, ctx, { ...options.wecom, archive: config.wecomArchive }) : null;
  if (wecom) adapters.push(wecom);
  else disabled.push({ platform: 'wecom', variables: ['WECOM_CORP_ID', 'WECOM_AGENT_ID', 'WECOM_SECRET', 'WECOM_TOKEN', 'WECOM_ENCODING_AES_KEY'] });
  if (config.dingtalk) adapters.push(createDingtalkAdapter(config.dingtalk, ctx, options.dingtalk));
  else disabled.push({ platform: 'dingtalk', variables: ['DINGTALK_APP_KEY', 'DINGTALK_APP_SECRET', 'DINGTALK_ROBOT_CODE'] });
  // The AI bot answers in group chats; personal replies go 1:1 through the self-built app's client.
  if (config.wecomAibot) {
    adapters.push(createWecomAibotAdapter(config.wecomAibot, ctx, { privateClient: wecom?.client ?? null, tenant: config.wecom?.corpId }, options.wecomAibot));
  } else {
    disabled.push({ platform: 'wecom-aibot', variables: ['WECOM_AIBOT_TOKEN', 'WECOM_AIBOT_ENCODING_AES_KEY', '(or WECOM_AIBOT_MODE=ws with WECOM_AIBOT_BOT_ID, WECOM_AIBOT_SECRET)'] });
  }
  // The demo organisation (adapters/sandbox/) stands in while no real platform is configured.
  if (sandboxActive(config) && adapters.length === 0) adapters.push(createSandboxAdapter(ctx));
  return { adapters, disabled };
}
