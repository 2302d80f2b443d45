/**
 * Resilience: property-based fuzzing (fast-check) of every parser that sees outside input. Each
 * property feeds random input and allows exactly two outcomes: a result, or a BotError/RequestError
 * with one of the codes the parser documents. Anything else (TypeError, RangeError, a stack
 * overflow, an unknown code) fails the property with the shrunk counterexample.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { encrypt as wecomEncrypt, getSignature } from '@wecom/crypto';
import { BotError } from '../../src/errors.ts';
import { parseWecomXml, decodeXmlText } from '../../adapters/wecom/xml.ts';
import { assertFreshTimestamp, decryptWecom, openCallback, openEchostr } from '../../adapters/wecom/crypto.ts';
import { wecomToInbound } from '../../adapters/wecom/inbound.ts';
import { envelopeEncrypt } from '../../adapters/wecom-aibot/http.ts';
import { aibotToInbound, parseAibotCallback, stripMentions, validateAibotCallback } from '../../adapters/wecom-aibot/inbound.ts';
import { openAibotCiphertext } from '../../adapters/wecom-aibot/crypto.ts';
import { cleanDingtalkText, toInboundMessage } from '../../adapters/dingtalk/inbound.ts';
import { computeDingtalkSign, verifyDingtalkSign } from '../../adapters/dingtalk/sign.ts';
import { normalizeQuestion } from '../../src/matching/normalize.ts';
import { parseStatusCsv } from '../../src/archiving/status.ts';
import { PLATFORM_IDS } from '../../adapters/platforms.ts';
import { audienceSchema, broadcastRequestSchema, noticeContentSchema, resendRequestSchema } from '../../src/notices/schema.ts';
import { policyRequestSchema } from '../../src/policies/schema.ts';
import { parseAckKey } from '../../src/notices/service.ts';
import { loadConfig } from '../../src/app/config.ts';
import { createCore, type Core } from '../../src/core.ts';
import { createLogger } from '../../src/log.ts';
import type { InboundMessage } from '../../src/platform/message.ts';
import { REPO_ROOT, WECOM_KEYS } from './harness.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 500);

/** Runs `fn`; a BotError with a code in `codes` counts as a refusal, anything else thrown fails. */
function only(codes: readonly string[], fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof BotError && codes.includes(err.code) && err.status >= 400 && err.status < 500) return;
    throw err;
  }
}

/** Text with everything hostile input brings: any code unit (lone surrogates too), XML and JSON syntax. */
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({ unit: fc.constantFrom('<', '>', '/', '!', '[', ']', 'C', 'D', 'A', 'T', '&', ';', '#', 'x', ' ', '"', "'", '=', '?', 'xml', 'Encrypt', 'DOCTYPE', 'ENTITY', '\u0000', '中'), maxLength: 300 }),
);

/** XML-shaped documents: an <xml> root with random children, text, CDATA and entity references. */
const xmlDoc = fc
  .array(
    fc.record({
      name: fc.constantFrom('ToUserName', 'FromUserName', 'CreateTime', 'MsgType', 'Content', 'MsgId', 'Event', 'EventKey', 'Encrypt', 'x'),
      text: anyText,
      cdata: fc.boolean(),
    }),
    { maxLength: 8 },
  )
  .map((children) => `<xml>${children.map((c) => `<${c.name}>${c.cdata ? `<![CDATA[${c.text}]]>` : c.text}</${c.name}>`).join('')}</xml>`);

const base64 = fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b).toString('base64'));

describe('fuzz: every parser of outside input', () => {
  it('WeCom XML (parseWecomXml, decodeXmlText) and the converter (wecomToInbound)', () => {
    const codes = ['WECOM_XML_REJECTED', 'WECOM_XML_INVALID', 'WECOM_BAD_REQUEST'];
    fc.assert(
      fc.property(fc.oneof(anyText, xmlDoc), (xml) => {
        only(codes, () => {
          const fields = parseWecomXml(xml);
          assert.equal(typeof fields, 'object');
          for (const v of Object.values(fields)) assert.equal(typeof v, 'string');
          wecomToInbound(fields, { corpId: WECOM_KEYS.corpId, receivedAt: 0 });
        });
        decodeXmlText(xml);
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('WeCom decrypt and open (signature, base64, AES blocks, receiveid), GET echostr and timestamps', () => {
    const codes = ['WECOM_DECRYPT_FAILED', 'WECOM_RECEIVEID_MISMATCH', 'WECOM_BAD_SIGNATURE', 'WECOM_BAD_REQUEST', 'WECOM_STALE_TIMESTAMP'];
    fc.assert(
      fc.property(fc.oneof(anyText, base64), anyText, anyText, (ciphertext, timestamp, nonce) => {
        only(codes, () => decryptWecom(WECOM_KEYS, ciphertext));
        // Correctly signed garbage reaches the decryption itself.
        const msgSignature = getSignature(WECOM_KEYS.token, timestamp, nonce, ciphertext);
        only(codes, () => openCallback(WECOM_KEYS, { msgSignature, timestamp, nonce, encrypt: ciphertext }));
        only(codes, () => openEchostr(WECOM_KEYS, { msgSignature, timestamp, nonce, echostr: ciphertext }));
        only(codes, () => openCallback(WECOM_KEYS, { msgSignature: nonce, timestamp, nonce, encrypt: ciphertext }));
        only(codes, () => assertFreshTimestamp(timestamp, Date.now()));
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('WeCom decrypt of well-formed ciphertexts of random plaintexts, random receiveids and wrong keys', () => {
    const codes = ['WECOM_DECRYPT_FAILED', 'WECOM_RECEIVEID_MISMATCH'];
    fc.assert(
      fc.property(anyText, fc.oneof(fc.constant(WECOM_KEYS.corpId), anyText), fc.boolean(), (plain, receiveId, otherKey) => {
        const key = otherKey ? 'kWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C' : WECOM_KEYS.encodingAESKey;
        const ciphertext = wecomEncrypt(key, plain, receiveId, Buffer.alloc(16, 7));
        only(codes, () => {
          const out = decryptWecom(WECOM_KEYS, ciphertext);
          // Only our key and our CorpID get through, and then the plaintext comes back intact.
          assert.equal(otherKey, false);
          assert.equal(receiveId, WECOM_KEYS.corpId);
          assert.equal(out, Buffer.from(plain, 'utf8').toString('utf8'));
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('AI bot: JSON envelope, decrypted JSON (schema), converter, mentions', () => {
    const codes = ['AIBOT_BAD_REQUEST', 'AIBOT_BAD_MESSAGE', 'WECOM_DECRYPT_FAILED', 'AIBOT_RECEIVEID_MISMATCH', 'WECOM_BAD_SIGNATURE'];
    const secrets = { token: 'aibotTok3n', encodingAESKey: WECOM_KEYS.encodingAESKey };
    fc.assert(
      fc.property(fc.oneof(anyText, fc.json({ maxDepth: 6 })), fc.jsonValue({ maxDepth: 6 }), (body, value) => {
        only(codes, () => envelopeEncrypt(body));
        only(codes, () => aibotToInbound(parseAibotCallback(body), { tenant: '', receivedAt: 0 }));
        only(codes, () => aibotToInbound(validateAibotCallback(value), { tenant: 'ww', receivedAt: 0 }));
        only(codes, () => {
          const shaped = { msgtype: 'text', msgid: 'm', from: { userid: 'u' }, ...(typeof value === 'object' && value !== null && !Array.isArray(value) ? value : { text: value }) };
          aibotToInbound(validateAibotCallback(shaped), { tenant: '', receivedAt: 0 });
        });
        const msgSignature = getSignature(secrets.token, '1', '2', body);
        only(codes, () => openAibotCiphertext(secrets, { msgSignature, timestamp: '1', nonce: '2', encrypt: body }));
        stripMentions(body);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('DingTalk: body validation and conversion, text cleaning, sign verification', () => {
    const codes = ['DINGTALK_BAD_REQUEST', 'DINGTALK_WRONG_ROBOT', 'DINGTALK_BAD_SIGNATURE', 'DINGTALK_STALE_TIMESTAMP'];
    const robotMessage = fc.record(
      {
        msgId: fc.oneof(anyText, fc.jsonValue()),
        msgtype: fc.oneof(fc.constantFrom('text', 'picture', 'richText'), anyText),
        text: fc.oneof(fc.record({ content: anyText }), fc.jsonValue()),
        conversationType: fc.oneof(fc.constantFrom('1', '2'), fc.jsonValue()),
        conversationId: anyText,
        senderStaffId: anyText,
        senderId: anyText,
        isInAtList: fc.oneof(fc.boolean(), fc.jsonValue()),
        sessionWebhook: anyText,
        sessionWebhookExpiredTime: fc.oneof(fc.integer(), fc.jsonValue()),
        robotCode: fc.oneof(fc.constant('robot'), anyText),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(robotMessage, fc.jsonValue({ maxDepth: 5 })), anyText, anyText, fc.integer(), (body, ts, sign, now) => {
        only(codes, () => {
          const r = toInboundMessage(body, { robotCode: 'robot', receivedAt: 0 });
          if (r.action === 'handle') assert.equal(typeof r.message.text, 'string');
        });
        cleanDingtalkText(ts);
        only(codes, () => verifyDingtalkSign(ts, sign, 'secret', now));
        only(codes, () => verifyDingtalkSign(ts, computeDingtalkSign(ts, 'secret'), 'secret', Number(ts) || now));
        only(codes, () => verifyDingtalkSign(undefined, sign, 'secret', now));
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('status CSV import never throws; every line is either a status or an error with a line number', () => {
    const cell = fc.oneof(anyText, fc.constantFrom('wecom', 'dingtalk', 'true', 'FALSE', '2026-02-30', '2026-03-01', '"a,b"', '""', '\r\n'));
    const csv = fc.oneof(
      anyText,
      fc.array(fc.array(cell, { maxLength: 7 }), { maxLength: 12 }).map((rows) => ['platform,userId,archived,since,scope', ...rows.map((r) => r.join(','))].join('\n')),
    );
    fc.assert(
      fc.property(csv, (text) => {
        const r = parseStatusCsv(text, new Date(0), PLATFORM_IDS);
        for (const e of r.errors) assert.ok(Number.isInteger(e.line) && e.line >= 1 && e.message.length > 0);
        for (const s of r.statuses) assert.ok(s.userId.length > 0 && s.platform.length > 0);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('notice, broadcast, resend, audience and policy schemas never throw (zod answers with issues)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.dictionary(fc.constantFrom('title', 'body', 'zh', 'en', 'noticeId', 'platform', 'audience', 'all', 'userIds', 'departmentIds', 'only', 'scope', 'since', 'toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'), fc.jsonValue({ maxDepth: 3 })), (value, shaped) => {
        for (const v of [value, shaped, { title: shaped, body: shaped }, { audience: shaped, platform: 'wecom', noticeId: 'n' }]) {
          for (const schema of [noticeContentSchema, broadcastRequestSchema, resendRequestSchema, audienceSchema, policyRequestSchema]) {
            const r = schema.safeParse(v);
            if (!r.success) assert.ok(r.error.issues.length > 0);
          }
        }
      }),
      { numRuns: RUNS },
    );
    fc.assert(fc.property(anyText, (t) => void parseAckKey(t)), { numRuns: RUNS });
  });

  describe('the question normaliser, the matcher and the whole router', () => {
    let core: Core;
    let dir: string;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'fuzz-core-'));
      core = await createCore(loadConfig({ KNOWLEDGE_DIR: join(REPO_ROOT, 'knowledge'), DATA_DIR: dir }), createLogger('silent'));
    });

    it('never throw for any text; scores stay in [0, 1]; every answer is non-empty', async () => {
      const question = fc.oneof(anyText, fc.string({ unit: 'grapheme', maxLength: 3000 }), fc.constantFrom('', ' ', '\u0000', '？？？', '1', '一', 'ack', '确认', '/notice send x all', 'yes'));
      fc.assert(
        fc.property(question, (q) => {
          const n = normalizeQuestion(q);
          assert.equal(typeof n, 'string');
          const m = core.matcher.match(q);
          assert.ok(m.score >= 0 && m.score <= 1, `score ${m.score}`);
        }),
        { numRuns: RUNS * 2 },
      );
      await fc.assert(
        fc.asyncProperty(question, fc.constantFrom('wecom', 'dingtalk', 'try'), fc.boolean(), async (q, platform, group) => {
          const m: InboundMessage = {
            platform, tenant: 't', userId: 'fuzz-user', chat: group ? { kind: 'group', chatId: 'g' } : { kind: 'single' },
            kind: 'text', text: q, mentionedBot: group, messageId: 'm', receivedAt: Date.now(), anonymous: platform === 'try',
          };
          const r = await core.handle(m);
          for (const reply of r.replies) assert.ok(reply.text.trim().length > 0);
        }),
        { numRuns: RUNS },
      );
      await core.store.close();
      rmSync(dir, { recursive: true, force: true });
    });
  });
});
