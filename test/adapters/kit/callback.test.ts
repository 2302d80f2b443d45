import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import Koa from 'koa';
import Router from '@koa/router';
import { BotError, RequestError } from '../../../src/errors.ts';
import { createLogger } from '../../../src/log.ts';
import { answerNotRecorded, callbackRoute, errorSummary } from '../../../adapters/kit/callback.ts';
import { readRawBytes } from '../../../adapters/kit/http.ts';

/** The callback skeleton every platform route uses (kit/callback.ts, kit/http.ts), on a real Koa server. */
describe('kit callback route', () => {
  let server: Server;
  let base: string;
  const lines: string[] = [];
  before(async () => {
    const log = createLogger('debug', { write: (s: string) => void lines.push(s) });
    const router = new Router();
    router.post('/ok', callbackRoute('test', log, async (k) => {
      const bytes = await readRawBytes(k, 16);
      k.body = { bytes: bytes.length, hex: bytes.subarray(0, 3).toString('hex') };
    }));
    router.post('/refused', callbackRoute('test', log, async () => {
      throw new RequestError('TEST_BAD_SIGNATURE', 'signature does not match', 401);
    }));
    router.post('/later', callbackRoute('test', log, async (k) => answerNotRecorded(k, 'TEST', 'deliver it again')));
    router.post('/unavailable', callbackRoute('test', log, async () => {
      throw new BotError('TEST_BUSY', 'try again', { status: 503 });
    }));
    router.post('/broken', callbackRoute('test', log, async () => {
      throw new Error('secret internal detail');
    }));
    const app = new Koa();
    app.use(router.routes());
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const post = async (path: string, body: Uint8Array<ArrayBuffer> | string = '{}') => {
    const r = await fetch(`${base}${path}`, { method: 'POST', body });
    return { status: r.status, type: r.headers.get('content-type'), text: await r.text(), connection: r.headers.get('connection') };
  };

  it('hands the handler the exact bytes (a BOM included), and 413 with a code over the limit', async () => {
    const ok = await post('/ok', new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]));
    assert.equal(ok.status, 200);
    assert.deepEqual(JSON.parse(ok.text), { bytes: 5, hex: 'efbbbf' });
    const big = await post('/ok', 'x'.repeat(17));
    assert.equal(big.status, 413);
    assert.match(big.text, /^BODY_TOO_LARGE: /);
    assert.equal(big.connection, 'close');
  });

  it('a refusal becomes its 4xx with "<CODE>: <message>"; not recorded / unavailable become 503', async () => {
    assert.deepEqual(await post('/refused').then((a) => [a.status, a.text]), [401, 'TEST_BAD_SIGNATURE: signature does not match']);
    assert.deepEqual(await post('/later').then((a) => [a.status, a.text]), [503, 'TEST_NOT_RECORDED: the message could not be recorded in time; deliver it again']);
    assert.deepEqual(await post('/unavailable').then((a) => [a.status, a.text]), [503, 'TEST_BUSY: try again']);
  });

  it('anything else is a 500 "internal error", its detail only in the log', async () => {
    const a = await post('/broken');
    assert.equal(a.status, 500);
    assert.equal(a.text, 'internal error');
    assert.match(a.type ?? '', /^text\/plain/);
    assert.ok(lines.some((l) => l.includes('test callback failed') && l.includes('secret internal detail')));
    assert.ok(lines.some((l) => l.includes('test callback refused') && l.includes('TEST_BAD_SIGNATURE')));
  });

  it('errorSummary keeps a string code and the message, nothing else', () => {
    assert.deepEqual(errorSummary(new RequestError('X_Y', 'why', 400)), { code: 'X_Y', message: 'why' });
    assert.deepEqual(errorSummary(Object.assign(new Error('reset'), { code: 'ECONNRESET' })), { code: 'ECONNRESET', message: 'reset' });
    assert.deepEqual(errorSummary('plain'), { message: 'plain' });
  });
});
