/**
 * The log-privacy rule's second line of defence: the real logger (src/log.ts createLogger)
 * replaces a question, an answer, a status or any other field named in the redact list with
 * '[redacted]', at the top level and one object down, whatever the level — so a careless
 * `log.info({ text })` never writes what an employee asked or was told.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, REDACTED_LOG_PATHS } from '../../src/log.ts';

/** The sensitive field names: what employees ask and are told, and their archiving status. */
const SENSITIVE = ['text', 'content', 'answer', 'question', 'reply', 'status'] as const;

function capture(level = 'debug') {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  return { log: createLogger(level, sink), lines };
}

describe('log redaction', () => {
  it('names every sensitive field at the top level and one object down', () => {
    for (const f of SENSITIVE) {
      assert.ok(REDACTED_LOG_PATHS.includes(f), f);
      assert.ok(REDACTED_LOG_PATHS.includes(`*.${f}`), `*.${f}`);
    }
  });

  it('never writes the value of a sensitive field, top level or nested, at any level', () => {
    const { log, lines } = capture('trace');
    for (const [i, f] of SENSITIVE.entries()) {
      const secret = `SECRET-${f}-我的聊天记录会被存档吗-${i}`;
      log.info({ [f]: secret, route: '/x' }, 'top level');
      log.warn({ message: { [f]: `${secret}-nested` }, route: '/y' }, 'one object down');
      log.error({ [f]: `${secret}-error` }, 'error level');
      log.child({ part: 'child' }).debug({ [f]: `${secret}-child` }, 'child logger');
    }
    assert.equal(lines.length, SENSITIVE.length * 4, 'every line was written');
    const all = lines.join('\n');
    assert.doesNotMatch(all, /SECRET-/, 'no sensitive value in the output');
    for (const l of lines) {
      const j = JSON.parse(l) as Record<string, unknown>;
      const field = SENSITIVE.find((f) => f in j) ?? SENSITIVE.find((f) => f in ((j.message as object) ?? {}));
      assert.ok(field, `the field is still there, redacted: ${l}`);
      const value = field in j ? j[field] : (j.message as Record<string, unknown>)[field];
      assert.equal(value, '[redacted]');
    }
    // Other fields are untouched.
    assert.match(all, /"route":"\/x"/);
  });
});
