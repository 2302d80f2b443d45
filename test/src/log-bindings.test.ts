/**
 * Log lines an operator can read: a key is written once even when a module binds what its adapter's logger already
 * carries (src/log.ts childLogger), and a refused request says its HTTP status (`httpStatus`: the name `status` is
 * redacted, being an employee's archiving status elsewhere).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { Context } from 'koa';
import { childLogger, createLogger } from '../../src/log.ts';
import { botError } from '../../src/errors.ts';
import { answerCallbackError } from '../../adapters/kit/callback.ts';

function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  return { log: createLogger('debug', sink), lines };
}

const occurrences = (line: string, key: string): number => line.split(`"${key}":`).length - 1;

describe('log bindings', () => {
  it('childLogger leaves out a binding the parent already has, and adds the new ones', () => {
    const { log, lines } = capture();
    const adapterLog = log.child({ platform: 'wecom' });
    childLogger(adapterLog, { platform: 'wecom', part: 'notices' }).info('one');
    adapterLog.child({ platform: 'wecom' }).info('two'); // what pino itself does: the key twice
    childLogger(log, { platform: 'dingtalk' }).info('three');
    childLogger(adapterLog, { platform: 'feishu' }).info('four');
    const [one, two, three, four] = lines;
    assert.equal(occurrences(one!, 'platform'), 1, one);
    assert.equal(JSON.parse(one!).part, 'notices');
    assert.equal(occurrences(two!, 'platform'), 2, 'pino repeats a re-bound key (the reason for childLogger)');
    assert.equal(JSON.parse(three!).platform, 'dingtalk');
    assert.match(four!, /"platform":"feishu"/, 'a different value is still bound');
  });

  it('a refused callback is logged with its HTTP status, not "[redacted]"', () => {
    const { log, lines } = capture();
    const k = { status: 200, type: '', body: '' } as unknown as Context;
    answerCallbackError(k, botError('ADMIN_UNAUTHORIZED', 'no token'), log, 'wecom');
    assert.equal(k.status, 401);
    const line = JSON.parse(lines[0]!);
    assert.equal(line.httpStatus, 401);
    assert.equal(line.code, 'ADMIN_UNAUTHORIZED');
    assert.doesNotMatch(lines[0]!, /\[redacted\]/);
  });
});
