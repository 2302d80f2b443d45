import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv } from 'node:crypto';
import { encrypt as libEncrypt, getSignature } from '@wecom/crypto';
import {
  decryptWecom,
  openCallback,
  openEchostr,
  sealReply,
  signaturesEqual,
  verifySignature,
} from '../../../adapters/wecom/crypto.ts';
import { SET_A, SET_B } from './harness.ts';

const V1A = {
  msgSignature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3',
  timestamp: '1409659589',
  nonce: '263014780',
  echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
};
const V1B_ENCRYPT =
  'RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==';
const V1B = { msgSignature: '477715d11cdb4164915debcba66cb864d751f3e6', timestamp: '1409659813', nonce: '1372623149', encrypt: V1B_ENCRYPT };
const V1B_PLAIN =
  '<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n<FromUserName><![CDATA[mycreate]]></FromUserName>\n<CreateTime>1409659813</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[hello]]></Content>\n<MsgId>4561255354251345929</MsgId>\n<AgentID>218</AgentID>\n</xml>';
const RANDOM_A = Buffer.from('0960688932c47ef1');

test('V1a: the official GET vector verifies and decrypts to the echo string', () => {
  assert.equal(openEchostr(SET_A, V1A), '1616140317555161061');
});

test('V1a hardening: a raw "+" turned into a space by a query decoder is repaired', () => {
  const spaced = V1A.echostr.replaceAll('+', ' ');
  assert.ok(spaced.includes(' '));
  assert.equal(openEchostr(SET_A, { ...V1A, echostr: spaced }), '1616140317555161061');
});

test('V1a with a wrong signature is refused even with spaces in echostr', () => {
  const spaced = V1A.echostr.replaceAll('+', ' ');
  assert.throws(() => openEchostr(SET_A, { ...V1A, msgSignature: '0'.repeat(40), echostr: spaced }), { code: 'WECOM_BAD_SIGNATURE', status: 401 });
});

test('V1b: the official POST vector (pad byte 30) verifies and decrypts exactly', () => {
  assert.equal(openCallback(SET_A, V1B), V1B_PLAIN);
});

test('V1b: Node default autoPadding really fails on it (the trap this library avoids)', () => {
  const key = Buffer.from(`${SET_A.encodingAESKey}=`, 'base64');
  const d = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  assert.throws(() => Buffer.concat([d.update(Buffer.from(V1B_ENCRYPT, 'base64')), d.final()]));
});

test('V1b round trip: encrypting the plaintext with the sample random gives the official ciphertext', () => {
  assert.equal(libEncrypt(SET_A.encodingAESKey, V1B_PLAIN, SET_A.corpId, RANDOM_A), V1B_ENCRYPT);
});

test('V2a and V2b: the official Python sample set B', () => {
  assert.equal(
    openEchostr(SET_B, {
      msgSignature: '012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb',
      timestamp: '1476416373',
      nonce: '47744683',
      echostr: 'fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==',
    }),
    '1288432023552776189',
  );
  const plain = openCallback(SET_B, {
    msgSignature: '0c3914025cb4b4d68103f6bfc8db550f79dcf48e',
    timestamp: '1476422779',
    nonce: '1597212914',
    encrypt: V2B_ENCRYPT,
  });
  assert.equal(
    plain,
    '<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName><CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content><MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>',
  );
});

const V2B_ENCRYPT =
  'Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+';

test('S1: the passive reply of set A with the fixed random matches the self-computed vector', () => {
  const plain =
    '<xml><ToUserName><![CDATA[mycreate]]></ToUserName><FromUserName><![CDATA[wx5823bf96d3bd56c7]]></FromUserName><CreateTime>1409659813</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hello]]></Content></xml>';
  const sealed = sealReply(SET_A, plain, { timestamp: 1409659813, nonce: '1372623149', random: RANDOM_A });
  assert.equal(
    sealed.encrypt,
    'RypEvHKD8QQKFhvQ6QleELwkUj8SpCdDZ2C4lUh+l1Es3FeSxKRzEn3nDLEbVk+ddjgpMCa83t9dB+FRbL34mpU/ZZrF+zYhXycYyF6rfrz9izorIoQfWHiE7xg3BBlSZbjsZ5onUDJ+86bQqK/Y0bGpfKwNDh1Bc6MLvKgRFWs9ZKo5fo1auNv42sBPdTch1kCHLUm1m/l8VN7EsX4iSA940xUY54m4L+5grbLagarUONt2EXxbNJaFdRmvVn9TfQMNqEUCqqew/0C5fT5afoMzkE+QfvBoTKa8N3hZg+wHSQjH3MvgcDYIEXLtnp6FgWbrIV8pQ5AE/0A0X/p8mRrqUjxTyap2fEf+dxQx8FcGnNdpRme/uuMiCQZOfN4s',
  );
  assert.equal(sealed.msgSignature, 'c04f48faca6b0b372c5795d65f6c03a11d267c37');
  assert.equal(sealed.timeStamp, '1409659813');
  assert.equal(sealed.nonce, '1372623149');
  // and our own decrypt opens it again
  assert.equal(openCallback(SET_A, { msgSignature: sealed.msgSignature, timestamp: sealed.timeStamp, nonce: sealed.nonce, encrypt: sealed.encrypt }), plain);
});

test('S2: a plaintext already a multiple of 32 bytes gets a full pad block (96-byte ciphertext)', () => {
  const sealed = sealReply(SET_A, 'a'.repeat(26), { timestamp: 1, nonce: '1', random: RANDOM_A });
  assert.equal(
    sealed.encrypt,
    'RypEvHKD8QQKFhvQ6QleEDvVla/PKEu5WdMuben7U6f6k28Dq+uaZU7vl+su1qZ8daec3qxRfAMv4qs34iNfuIwVqhhOYh75/xmWd4XergeSRtdNKFI/7+8DTRJVgHh0',
  );
  assert.equal(Buffer.from(sealed.encrypt, 'base64').length, 96);
  assert.equal(decryptWecom(SET_A, sealed.encrypt), 'a'.repeat(26));
});

test('without a given random, every sealed reply gets its own 16 random bytes (pooled CSPRNG), and opens again', () => {
  const prefixes = new Set<string>();
  // 600 replies cross the 4096-byte pool boundary twice.
  for (let i = 0; i < 600; i++) {
    const sealed = sealReply(SET_A, 'same text', { timestamp: 1, nonce: '1' });
    const key = Buffer.from(`${SET_A.encodingAESKey}=`, 'base64');
    const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
    decipher.setAutoPadding(false);
    const plain = Buffer.concat([decipher.update(Buffer.from(sealed.encrypt, 'base64')), decipher.final()]);
    prefixes.add(plain.subarray(0, 16).toString('hex'));
    assert.equal(decryptWecom(SET_A, sealed.encrypt), 'same text');
  }
  assert.equal(prefixes.size, 600, 'no random prefix was used twice');
});

test('a wrong EncodingAESKey gives an error (receiveid mismatch), not garbage', () => {
  assert.throws(() => decryptWecom({ ...SET_A, encodingAESKey: SET_B.encodingAESKey }, V1B_ENCRYPT), {
    code: 'WECOM_RECEIVEID_MISMATCH',
    status: 401,
  });
});

test('a ciphertext for another corp (right key, other receiveid) is refused', () => {
  const other = libEncrypt(SET_A.encodingAESKey, 'hi', 'ww-other-corp');
  assert.throws(() => decryptWecom(SET_A, other), { code: 'WECOM_RECEIVEID_MISMATCH' });
  // the AI-bot form (receiveid "") too
  const aibot = libEncrypt(SET_A.encodingAESKey, 'hi', '');
  assert.throws(() => decryptWecom(SET_A, aibot), { code: 'WECOM_RECEIVEID_MISMATCH' });
});

test('malformed ciphertexts give WECOM_DECRYPT_FAILED (400)', () => {
  for (const bad of ['', 'not base64!!', 'QUJD', V1B_ENCRYPT.slice(0, -4), 'AAAAAAAAAAAAAAAAAAAAAA==', `${V1B_ENCRYPT} `]) {
    assert.throws(() => decryptWecom(SET_A, bad), { code: 'WECOM_DECRYPT_FAILED', status: 400 }, JSON.stringify(bad.slice(0, 20)));
  }
});

test('signature checks: exact match only, case of hex ignored, any change refused', () => {
  const sig = getSignature(SET_A.token, V1B.timestamp, V1B.nonce, V1B_ENCRYPT);
  assert.equal(sig, V1B.msgSignature);
  verifySignature(SET_A.token, { ...V1B, msgSignature: sig.toUpperCase() });
  for (const change of [{ timestamp: '1409659814' }, { nonce: '1' }, { encrypt: V1B_ENCRYPT.replace('R', 'S') }, { msgSignature: sig.slice(0, 39) }, { msgSignature: '' }]) {
    assert.throws(() => verifySignature(SET_A.token, { ...V1B, ...change }), { code: 'WECOM_BAD_SIGNATURE', status: 401 });
  }
  assert.equal(signaturesEqual('abc', 'abcd'), false);
});

test('missing GET parameters give WECOM_BAD_REQUEST naming the parameter', () => {
  assert.throws(() => openEchostr(SET_A, { ...V1A, echostr: undefined }), { code: 'WECOM_BAD_REQUEST', status: 400, message: /echostr/ });
  assert.throws(() => openEchostr(SET_A, { ...V1A, msgSignature: '' }), { code: 'WECOM_BAD_REQUEST', message: /msg_signature/ });
});
