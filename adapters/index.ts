import type { Config } from '../src/config.ts';
import type { AdapterContext, PlatformAdapter } from './types.ts';
import { createWecomAdapter } from './wecom/index.ts';
import { createDingtalkAdapter } from './dingtalk/index.ts';

/** Result of looking at the configuration: the adapters to mount and the platforms left off. */
export interface AdapterSet {
  adapters: PlatformAdapter[];
  /** Platforms disabled because their credentials are absent, with the variables to set. */
  disabled: { platform: string; variables: string[] }[];
}

/**
 * The platform registry: one adapter per platform whose credentials are configured.
 * Adding a platform means adding it here and in its own folder; src/ stays as it is.
 */
export function createAdapters(config: Config, ctx: AdapterContext): AdapterSet {
  const adapters: PlatformAdapter[] = [];
  const disabled: AdapterSet['disabled'] = [];
  if (config.wecom) adapters.push(createWecomAdapter(config.wecom, ctx));
  else disabled.push({ platform: 'wecom', variables: ['WECOM_CORP_ID', 'WECOM_AGENT_ID', 'WECOM_SECRET', 'WECOM_TOKEN', 'WECOM_ENCODING_AES_KEY'] });
  if (config.dingtalk) adapters.push(createDingtalkAdapter(config.dingtalk, ctx));
  else disabled.push({ platform: 'dingtalk', variables: ['DINGTALK_APP_KEY', 'DINGTALK_APP_SECRET', 'DINGTALK_ROBOT_CODE'] });
  return { adapters, disabled };
}
