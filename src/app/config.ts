import { CORE_VARIABLES, loadCoreConfig, type CoreConfig } from '../config.ts';
import { loadPlatformConfigs, PLATFORM_VARIABLES, type PlatformConfigs } from '../../adapters/index.ts';
import { loadLoginConfig, type LoginConfig } from '../../adapters/login.ts';

/**
 * The whole configuration, read from the environment once at start: the platform-neutral part
 * (src/config.ts) and every platform adapter's block (adapters/<platform>/config.ts).
 */
export type Config = CoreConfig & PlatformConfigs & {
  /** Variables of console sign-in with the work platform (adapters/login.ts); absent = defaults. */
  login?: LoginConfig;
};

/** Every variable the bot reads (README "Configuration"): the core's, then the adapters'. */
export const ENVIRONMENT_VARIABLES: readonly string[] = [...CORE_VARIABLES, ...PLATFORM_VARIABLES];

/**
 * Reads and validates the configuration: the core's variables first, then each adapter's.
 * @param env the environment (default process.env)
 * @throws ConfigError (code CONFIG_INVALID) naming the first bad variable and why
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return { ...loadCoreConfig(env), ...loadPlatformConfigs(env), login: loadLoginConfig(env) };
}
