import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as lark from '@larksuiteoapi/node-sdk';
import { decryptFeishu, encryptFeishu, feishuAesKey, feishuSignature, verifyFeishuSignature } from '../../../adapters/feishu/crypto.ts';
import { FEISHU_ENVIRONMENT_VARIABLES, parseFeishuConfig } from '../../../adapters/feishu/config.ts';

const KEY = 'feishu-encrypt-key-1';
const PLAIN = '{"challenge":"ajls384kdjx98XX","token":"xxxxxx","type":"url_verification"}';

/*
 * Recorded with OpenSSL 3 (independent of our code):
 *   K=$(printf '%s' 'feishu-encrypt-key-1' | openssl dgst -sha256 -hex | awk '{print $NF}')
 *   (printf '\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f';
 *    printf '%s' "$PLAIN" | openssl enc -aes-256-cbc -K $K -iv 000102030405060708090a0b0c0d0e0f) | base64 -w0
 */
const OPENSSL_KEY_HEX = 'aebe5fd4a97e3866de31d9ceac56bb07229b3a799a90d6381e42b4bda8028f36';
const OPENSSL_ENCRYPT =
  'AAECAwQFBgcICQoLDA0OD+64zDOfWWsK9nxsDMJYVpIDcsoojH9ohCiTBpZhoqjq4UE+Wmg80vON2Lkzbjhxu1lKKgCVvxwqKaS0k7miB7gdLIVuqcMMR96DHhE00+3R';
/*
 *   printf '%s' '1700000000nonce1feishu-encrypt-key-1{"encrypt":"abc"}' | openssl dgst -sha256 -hex
 *   printf '%s' '1700000000nonce1feishu-encrypt-key-1{ "encrypt" : "abc" }' | openssl dgst -sha256 -hex
 */
const OPENSSL_SIG_COMPACT = '23be1b397313cc05b893b25a522e030997f4613b1584ebd71eb966d4b75cf61d';
const OPENSSL_SIG_SPACED = '11e8488fb8377ab485d660fb573e74439672879ece3a2a510cd9577cad00539f';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('Feishu crypto', () => {
  it('derives the AES key as SHA-256 of the Encrypt Key (openssl vector)', () => {
    assert.equal(feishuAesKey(KEY).toString('hex'), OPENSSL_KEY_HEX);
  });

  it('decrypts a body encrypted by openssl (IV prepended)', () => {
    assert.equal(decryptFeishu(KEY, OPENSSL_ENCRYPT), PLAIN);
    // The SDK's own cipher agrees.
    assert.equal(new lark.AESCipher(KEY).decrypt(OPENSSL_ENCRYPT), PLAIN);
  });

  it('encrypts what openssl decrypts', { skip: hasOpenssl() ? false : 'openssl not installed' }, () => {
    const enc = Buffer.from(encryptFeishu(KEY, PLAIN), 'base64');
    const out = execFileSync('openssl', ['enc', '-d', '-aes-256-cbc', '-K', OPENSSL_KEY_HEX, '-iv', enc.subarray(0, 16).toString('hex')], { input: enc.subarray(16) });
    assert.equal(out.toString('utf8'), PLAIN);
  });

  it('refuses a wrong key, bad base64 and a truncated buffer with FEISHU_BAD_ENCRYPT', () => {
    assert.throws(() => decryptFeishu('another key', OPENSSL_ENCRYPT), { code: 'FEISHU_BAD_ENCRYPT', status: 400 });
    assert.throws(() => decryptFeishu(KEY, 'AAAA'), { code: 'FEISHU_BAD_ENCRYPT' });
    assert.throws(() => decryptFeishu(KEY, OPENSSL_ENCRYPT.slice(0, 40)), { code: 'FEISHU_BAD_ENCRYPT' });
  });

  it('signs the exact bytes (openssl vectors): two serialisations of one JSON have two signatures', () => {
    assert.equal(feishuSignature('1700000000', 'nonce1', KEY, Buffer.from('{"encrypt":"abc"}')), OPENSSL_SIG_COMPACT);
    assert.equal(feishuSignature('1700000000', 'nonce1', KEY, Buffer.from('{ "encrypt" : "abc" }')), OPENSSL_SIG_SPACED);
    const h = { timestamp: '1700000000', nonce: 'nonce1' };
    verifyFeishuSignature({ ...h, signature: OPENSSL_SIG_SPACED }, KEY, Buffer.from('{ "encrypt" : "abc" }'));
    verifyFeishuSignature({ ...h, signature: OPENSSL_SIG_SPACED.toUpperCase() }, KEY, Buffer.from('{ "encrypt" : "abc" }'));
    // The re-serialised form (what the SDK would hash) does not match the spaced body's signature.
    assert.throws(() => verifyFeishuSignature({ ...h, signature: OPENSSL_SIG_SPACED }, KEY, Buffer.from('{"encrypt":"abc"}')), { code: 'FEISHU_BAD_SIGNATURE', status: 401 });
    assert.throws(() => verifyFeishuSignature({ ...h, signature: OPENSSL_SIG_COMPACT }, KEY, Buffer.from('{"encrypt":"abd"}')), { code: 'FEISHU_BAD_SIGNATURE' });
    assert.throws(() => verifyFeishuSignature({ ...h, signature: undefined }, KEY, Buffer.from('{}')), { code: 'FEISHU_BAD_SIGNATURE' });
    assert.throws(() => verifyFeishuSignature({ ...h, signature: 'abc' }, KEY, Buffer.from('{}')), { code: 'FEISHU_BAD_SIGNATURE' });
  });
});

describe('parseFeishuConfig', () => {
  const base = { FEISHU_APP_ID: 'cli_a1b2c3d4e5f60718', FEISHU_APP_SECRET: 's3cret', FEISHU_VERIFICATION_TOKEN: 'vt' };

  it('is off without the app pair, and fills the defaults', () => {
    assert.equal(parseFeishuConfig({}), null);
    assert.deepEqual(parseFeishuConfig(base), {
      appId: 'cli_a1b2c3d4e5f60718',
      appSecret: 's3cret',
      verificationToken: 'vt',
      encryptKey: null,
      apiBase: 'https://open.feishu.cn',
      mode: 'http',
    });
    assert.equal(parseFeishuConfig({ ...base, FEISHU_API_BASE: 'https://open.larksuite.com/' })!.apiBase, 'https://open.larksuite.com');
    const ws = parseFeishuConfig({ FEISHU_APP_ID: base.FEISHU_APP_ID, FEISHU_APP_SECRET: 'x', FEISHU_MODE: 'ws' });
    assert.equal(ws!.mode, 'ws');
    assert.equal(ws!.verificationToken, null);
  });

  it('names the variable in one line and never echoes a secret', () => {
    assert.throws(() => parseFeishuConfig({ ...base, FEISHU_APP_ID: 'app1' }), /^ConfigError: FEISHU_APP_ID is invalid: .*cli_.*\(got "app1"\)$/);
    assert.throws(() => parseFeishuConfig({ ...base, FEISHU_APP_SECRET: 'has space' }), (err: Error) => /FEISHU_APP_SECRET is invalid/.test(err.message) && !err.message.includes('has space'));
    assert.throws(() => parseFeishuConfig({ ...base, FEISHU_MODE: 'stream' }), /FEISHU_MODE is invalid: must be http or ws/);
    assert.throws(() => parseFeishuConfig({ ...base, FEISHU_API_BASE: 'ftp://x' }), /FEISHU_API_BASE is invalid/);
    assert.throws(() => parseFeishuConfig({ FEISHU_APP_ID: base.FEISHU_APP_ID }), /FEISHU_APP_SECRET is not set/);
    assert.throws(() => parseFeishuConfig({ FEISHU_APP_ID: base.FEISHU_APP_ID, FEISHU_APP_SECRET: 'x' }), /FEISHU_VERIFICATION_TOKEN is not set/);
  });

  it('documents every variable it reads', () => {
    const names = FEISHU_ENVIRONMENT_VARIABLES.map((r) => r.name);
    assert.deepEqual(names.sort(), ['FEISHU_API_BASE', 'FEISHU_APP_ID', 'FEISHU_APP_SECRET', 'FEISHU_ENCRYPT_KEY', 'FEISHU_MODE', 'FEISHU_VERIFICATION_TOKEN']);
    for (const r of FEISHU_ENVIRONMENT_VARIABLES) assert.ok(r.meaning.length > 10, r.name);
  });
});
