/**
 * Known-answer tests: the chain serialisation, the hashes and the signature against vectors made
 * with printf and OpenSSL alone (test/fixtures/evidence/make.sh), not with our code.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { genesisHash, genesisPreimage, rowHash, rowPreimage } from '../../../src/store/ports/audit-chain.ts';
import { parsePublicKey, parseSigningKey, signBytes, verifyBytes } from '../../../src/evidence/key.ts';

const fixture = (name: string): Buffer => readFileSync(new URL(`../../fixtures/evidence/${name}`, import.meta.url));
const text = (name: string): string => fixture(name).toString('utf8').trim();

describe('evidence known answers (OpenSSL-made fixtures)', () => {
  const header = { broadcastId: 'b-kat1', noticeId: 'n-kat1', version: 2 };
  const row1 = { seq: 1, prevHash: text('genesis.sha256'), broadcastId: 'b-kat1', at: 1_780_000_000_000, userId: null, from: 'none', to: 'resolving', reason: 'notice n-kat1 v2 on wecom, by cli' };
  const row2 = { seq: 2, prevHash: text('row1.sha256'), broadcastId: 'b-kat1', at: 1_780_000_000_123, userId: '=cmd|zhang', from: 'sent', to: 'acknowledged', reason: '已确认, "知悉"' };

  it('genesis: the same bytes and SHA-256 as printf | openssl dgst -sha256', () => {
    assert.deepEqual(genesisPreimage(header), fixture('genesis.bin'));
    assert.equal(genesisHash(header), text('genesis.sha256'));
  });

  it('rows: the same netstring bytes and SHA-256, UTF-8 and an empty user id included', () => {
    assert.deepEqual(rowPreimage(row1), fixture('row1.bin'));
    assert.equal(rowHash(row1), text('row1.sha256'));
    assert.deepEqual(rowPreimage(row2), fixture('row2.bin'));
    assert.equal(rowHash(row2), text('row2.sha256'));
  });

  it('refuses what the serialisation cannot write: a fractional time or seq', () => {
    assert.throws(() => rowHash({ ...row1, at: 1.5 }), RangeError);
    assert.throws(() => rowHash({ ...row1, seq: -1 }), RangeError);
  });

  it('signature: Ed25519 is deterministic, so ours equals openssl pkeyutl -sign -rawin, and verifies', () => {
    for (const value of [fixture('key.pem').toString('utf8'), text('seed.b64'), fixture('key.pem').toString('utf8').replace(/\n/g, '\\n')]) {
      const key = parseSigningKey(value);
      assert.equal(signBytes(key, fixture('signed.bin')), text('signed.sig.b64'));
      assert.equal(key.publicKey.fingerprint, text('fingerprint.txt'), 'fingerprint = openssl pkey -pubin -outform DER | openssl dgst -sha256');
      assert.equal(key.publicKey.keyId, text('fingerprint.txt').slice(0, 16));
    }
    const pub = parsePublicKey(fixture('pub.pem').toString('utf8'));
    assert.ok(verifyBytes(pub, fixture('signed.bin'), text('signed.sig.b64')));
    const changed = Buffer.from(fixture('signed.bin'));
    changed[changed.length - 3] = changed[changed.length - 3]! ^ 1;
    assert.equal(verifyBytes(pub, changed, text('signed.sig.b64')), false);
    assert.equal(verifyBytes(pub, fixture('signed.bin'), 'not base64'), false);
    // The public key in its other accepted forms.
    assert.equal(parsePublicKey(pub.spkiBase64).fingerprint, pub.fingerprint);
    const raw32 = Buffer.from(pub.spkiBase64, 'base64').subarray(-32).toString('base64');
    assert.equal(parsePublicKey(raw32).fingerprint, pub.fingerprint);
  });

  it('a bad EVIDENCE_SIGNING_KEY is a one-line configuration error naming the variable, never showing the value', () => {
    const rsa = '-----BEGIN PRIVATE KEY-----\nMIIBVAIBADANBgkqhkiG9w0BAQEFAASCAT4wggE6AgEAAkEAu\n-----END PRIVATE KEY-----';
    for (const bad of ['secret-value-123', 'c2VjcmV0', rsa, '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----']) {
      assert.throws(() => parseSigningKey(bad), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'CONFIG_INVALID');
        assert.match(e.message, /^EVIDENCE_SIGNING_KEY is invalid: /);
        assert.doesNotMatch(e.message, /secret-value-123|c2VjcmV0/);
        assert.doesNotMatch(e.message, /\n/);
        return true;
      });
    }
    assert.throws(() => parsePublicKey('nonsense'), /Ed25519 public key/);
    assert.throws(() => parsePublicKey(fixture('key.pem').toString('utf8')), /Ed25519 public key/, 'a private key is not accepted where the public one is expected');
  });
});
