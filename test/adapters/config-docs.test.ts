/**
 * Each adapter documents its own variables beside it (adapters/<platform>/README.md), and the
 * README documents the core's; a variable added to a schema without a row fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CORE_VARIABLES } from '../../src/config.ts';
import { WECOM_VARIABLES } from '../../adapters/wecom/config.ts';
import { WECOM_AIBOT_VARIABLES } from '../../adapters/wecom-aibot/config.ts';
import { DINGTALK_VARIABLES } from '../../adapters/dingtalk/config.ts';
import { SANDBOX_VARIABLES } from '../../adapters/sandbox/config.ts';
import { FEISHU_VARIABLES } from '../../adapters/feishu/config.ts';
import { LOGIN_VARIABLES } from '../../adapters/login.ts';

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** Variables without a table row `| \`NAME\` |` in `markdown`. */
function undocumented(markdown: string, names: readonly string[]): string[] {
  return names.filter((n) => !markdown.includes(`| \`${n}\` |`));
}

test('every adapter variable has a row in its adapter README', () => {
  assert.deepEqual(undocumented(read('adapters/wecom/README.md'), WECOM_VARIABLES), []);
  assert.deepEqual(undocumented(read('adapters/wecom-aibot/README.md'), WECOM_AIBOT_VARIABLES), []);
  assert.deepEqual(undocumented(read('adapters/dingtalk/README.md'), DINGTALK_VARIABLES), []);
  assert.deepEqual(undocumented(read('adapters/sandbox/README.md'), SANDBOX_VARIABLES), []);
  assert.deepEqual(undocumented(read('adapters/feishu/README.md'), FEISHU_VARIABLES), []);
  // Console sign-in with the work platform: each platform's variables beside its adapter.
  const beside = (prefix: string) => LOGIN_VARIABLES.filter((n) => n.startsWith(prefix));
  assert.deepEqual(undocumented(read('adapters/wecom/README.md'), beside('WECOM_')), []);
  assert.deepEqual(undocumented(read('adapters/dingtalk/README.md'), beside('DINGTALK_')), []);
  assert.deepEqual(undocumented(read('adapters/feishu/README.md'), beside('FEISHU_')), []);
});

test('every core variable has a row in the README, and no platform variable does', () => {
  const readme = read('README.md');
  assert.deepEqual(undocumented(readme, CORE_VARIABLES), []);
  const platformRows = [...WECOM_VARIABLES, ...WECOM_AIBOT_VARIABLES, ...DINGTALK_VARIABLES, ...FEISHU_VARIABLES, ...SANDBOX_VARIABLES, ...LOGIN_VARIABLES].filter((n) => readme.includes(`| \`${n}\` |`));
  assert.deepEqual(platformRows, []);
});
