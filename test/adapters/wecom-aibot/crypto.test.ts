import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encrypt as wecomEncrypt } from '@wecom/crypto';
import { openAibotCiphertext, openAibotEchostr, sealAibotReply } from '../../../adapters/wecom-aibot/crypto.ts';
import { decryptWecom, openCallback, signWecom } from '../../../adapters/wecom/crypto.ts';
import { RequestError } from '../../../src/errors.ts';
import { buildAibotVerification } from '../../fakes/wecom-aibot-ws.ts';
import { AIBOT_KEYS, S3 } from './harness.ts';


test('S3: decrypts with receiveid "" to the exact plaintext', () => {
  assert.equal(openAibotCiphertext(AIBOT_KEYS, S3), S3.plaintext);
});

test('S3: our encryption with the vector random reproduces the ciphertext (pad 29)', () => {
  assert.equal(wecomEncrypt(AIBOT_KEYS.encodingAESKey, S3.plaintext, '', Buffer.from('0960688932c47ef1')), S3.encrypt);
});

test('S3 against receiveid wx5823bf96d3bd56c7 (the CorpID mistake, protocols.md §8 #5) fails cleanly with a 4xx', () => {
  const keys = { ...AIBOT_KEYS, corpId: 'wx5823bf96d3bd56c7' };
  assert.throws(
    () => decryptWecom(keys, S3.encrypt),
    (e: unknown) => e instanceof RequestError && e.code === 'WECOM_RECEIVEID_MISMATCH' && e.status === 401,
  );
  assert.throws(() => openCallback(keys, S3), (e: unknown) => e instanceof RequestError && e.status === 401);
});

test('a ciphertext made for a self-built app (receiveid = CorpID) is refused by the AI bot with a 401', () => {
  const corpCipher = wecomEncrypt(AIBOT_KEYS.encodingAESKey, S3.plaintext, 'wx5823bf96d3bd56c7');
  const sig = signWecom(AIBOT_KEYS.token, S3.timestamp, S3.nonce, corpCipher);
  assert.throws(
    () => openAibotCiphertext(AIBOT_KEYS, { ...S3, encrypt: corpCipher, msgSignature: sig }),
    (e: unknown) => e instanceof RequestError && e.code === 'AIBOT_RECEIVEID_MISMATCH' && e.status === 401,
  );
});

test('a wrong signature is refused before decryption (401), a non-base64 ciphertext with 400', () => {
  assert.throws(
    () => openAibotCiphertext(AIBOT_KEYS, { ...S3, msgSignature: S3.msgSignature.replace('c42c', '0000') }),
    (e: unknown) => e instanceof RequestError && e.code === 'WECOM_BAD_SIGNATURE' && e.status === 401,
  );
  // A garbage ciphertext with a correct signature over it: the signature passes, decryption refuses.
  const junk = 'not*base64!';
  const sig = signWecom(AIBOT_KEYS.token, S3.timestamp, S3.nonce, junk);
  assert.throws(
    () => openAibotCiphertext(AIBOT_KEYS, { ...S3, encrypt: junk, msgSignature: sig }),
    (e: unknown) => e instanceof RequestError && e.code === 'WECOM_DECRYPT_FAILED' && e.status === 400,
  );
});

test('URL verification: echostr decrypted with receiveid ""; a CorpID echostr is 401', () => {
  const v = buildAibotVerification({ ...AIBOT_KEYS, echo: '7845960153298761' });
  const q = new URLSearchParams(v.query);
  const query = { msgSignature: q.get('msg_signature')!, timestamp: q.get('timestamp')!, nonce: q.get('nonce')!, echostr: q.get('echostr')! };
  assert.equal(openAibotEchostr(AIBOT_KEYS, query), '7845960153298761');
  const corp = buildAibotVerification({ ...AIBOT_KEYS, echo: 'x', receiveId: 'wwcorp' });
  const cq = new URLSearchParams(corp.query);
  assert.throws(
    () => openAibotEchostr(AIBOT_KEYS, { msgSignature: cq.get('msg_signature')!, timestamp: cq.get('timestamp')!, nonce: cq.get('nonce')!, echostr: cq.get('echostr')! }),
    (e: unknown) => e instanceof RequestError && e.code === 'AIBOT_RECEIVEID_MISMATCH',
  );
  assert.throws(() => openAibotEchostr(AIBOT_KEYS, { ...query, echostr: undefined }), (e: unknown) => e instanceof RequestError && e.status === 400);
});

test('sealAibotReply: official JSON field names, string timestamp, opens with receiveid ""', () => {
  const plain = '{"msgtype":"stream","stream":{"id":"s1","finish":true,"content":"你好"}}';
  const sealed = sealAibotReply(AIBOT_KEYS, plain, { timestamp: 1409659813, nonce: '1372623149', random: Buffer.from('0960688932c47ef1') });
  assert.deepEqual(Object.keys(sealed).sort(), ['encrypt', 'msgsignature', 'nonce', 'timestamp']);
  assert.equal(sealed.timestamp, '1409659813');
  assert.equal(sealed.nonce, '1372623149');
  assert.equal(
    openAibotCiphertext(AIBOT_KEYS, { msgSignature: sealed.msgsignature, timestamp: sealed.timestamp, nonce: sealed.nonce, encrypt: sealed.encrypt }),
    plain,
  );
  assert.equal(decryptWecom({ ...AIBOT_KEYS, corpId: '' }, sealed.encrypt), plain);
});
