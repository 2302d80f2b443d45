import { z } from 'zod';
import { parseVariables, readVariables } from '../../src/config.ts';

/** Every sandbox variable (adapters/sandbox/README.md). */
export const SANDBOX_VARIABLES = ['SANDBOX'] as const;

const schema = z.object({
  SANDBOX: z.enum(['on', 'off']).default('on'),
});

/**
 * Reads SANDBOX: whether the built-in demo organisation (adapters/sandbox/) may be mounted; it is only
 * mounted while no real platform (WeCom, WeCom AI bot, DingTalk, Feishu) is configured (adapters/index.ts).
 * @returns true unless SANDBOX=off
 * @throws ConfigError (code CONFIG_INVALID) when SANDBOX is neither on nor off
 */
export function loadSandboxConfig(env: NodeJS.ProcessEnv): boolean {
  return parseVariables(schema, readVariables(env, SANDBOX_VARIABLES)).SANDBOX === 'on';
}
