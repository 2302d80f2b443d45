import { XMLParser } from 'fast-xml-parser';
import { RequestError } from '../../src/errors.ts';
import type { SealedReply } from './crypto.ts';
import { adapterRequestError } from '../errors.ts';

/**
 * WeCom callback XML (developer.work.weixin.qq.com/document/path/96467, /path/90376) and passive
 * reply XML (/path/96469), docs/PROTOCOLS.md §1.3, §1.5.
 *
 * Parsing is hardened: fast-xml-parser with entity processing off (no DTD entity is ever expanded)
 * and every value kept as a string (MsgId exceeds Number.MAX_SAFE_INTEGER). A document that declares
 * a DOCTYPE or ENTITY outside CDATA is refused before parsing. The five predefined XML entities and
 * numeric character references in plain (non-CDATA) text are decoded by {@link decodeXmlText}
 * (a fixed table, nothing user-defined); CDATA text is taken verbatim.
 *
 * Error codes (RequestError, 400): WECOM_XML_REJECTED (DOCTYPE/ENTITY present), WECOM_XML_INVALID
 * (not well-formed, or the root element is not `<xml>`).
 */

/** The direct children of the root `<xml>` element, by element name, as text (first occurrence wins). */
export type WecomXmlFields = Record<string, string>;

const parser = new XMLParser({
  preserveOrder: true,
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: false,
  cdataPropName: '#cdata',
  commentPropName: false,
});

/**
 * `xml` without its CDATA sections (what .replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '') gives, an unclosed section
 * staying), found with indexOf: that lazy expression takes quadratic time on many unclosed "<![CDATA[".
 */
function withoutCdata(xml: string): string {
  const OPEN = '<![CDATA[';
  const CLOSE = ']]>';
  let out = '';
  let from = 0;
  for (;;) {
    const start = xml.indexOf(OPEN, from);
    if (start === -1) break;
    const end = xml.indexOf(CLOSE, start + OPEN.length);
    if (end === -1) break;
    out += xml.slice(from, start);
    from = end + CLOSE.length;
  }
  return out + xml.slice(from);
}
const DTD_DECLARATION = /<!\s*(DOCTYPE|ENTITY)/i;

/**
 * Refuses a document with a DOCTYPE or ENTITY declaration (CDATA content is not looked at, so a
 * user may type "<!DOCTYPE" in a message).
 * @throws RequestError WECOM_XML_REJECTED (400)
 */
export function assertNoDtd(xml: string): void {
  if (DTD_DECLARATION.test(withoutCdata(xml))) {
    throw adapterRequestError('WECOM_XML_REJECTED', 'XML with DOCTYPE or ENTITY declarations is not accepted');
  }
}

type Node = Record<string, unknown>;

/**
 * Parses a flat WeCom `<xml>` document (outer callback envelope or decrypted message) into its
 * direct child elements' text. Nested elements (e.g. SelectedItems) give ''.
 * @throws RequestError WECOM_XML_REJECTED, WECOM_XML_INVALID (400)
 */
export function parseWecomXml(xml: string): WecomXmlFields {
  assertNoDtd(xml);
  let doc: Node[];
  try {
    doc = parser.parse(xml, true) as Node[];
  } catch {
    throw adapterRequestError('WECOM_XML_INVALID', 'body is not well-formed XML');
  }
  const roots = doc.filter((n) => !('#text' in n));
  const root = roots[0];
  if (roots.length !== 1 || root === undefined || !Array.isArray(root['xml'])) {
    throw adapterRequestError('WECOM_XML_INVALID', 'root element must be <xml>');
  }
  const fields: WecomXmlFields = {};
  for (const child of root['xml'] as Node[]) {
    for (const [name, content] of Object.entries(child)) {
      if (name === '#text' || name === '#cdata' || name === ':@') continue;
      if (!(name in fields)) fields[name] = textOf(content as Node[]);
    }
  }
  return fields;
}

/** Text of one element: CDATA verbatim, plain text entity-decoded; whitespace-only text next to CDATA dropped. */
function textOf(children: Node[]): string {
  const hasCdata = children.some((c) => '#cdata' in c);
  let out = '';
  for (const c of children) {
    if ('#cdata' in c) {
      for (const inner of c['#cdata'] as Node[]) out += String(inner['#text'] ?? '');
    } else if ('#text' in c) {
      const t = String(c['#text']);
      if (hasCdata && t.trim() === '') continue;
      out += decodeXmlText(t);
    }
  }
  return out;
}

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * Decodes the five predefined XML entities and numeric character references (&#20013; &#x4e2d;).
 * Any other `&name;` is left as it is (never expanded).
 */
export function decodeXmlText(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const cp = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      const valid = cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
      return valid ? String.fromCodePoint(cp) : whole;
    }
    return PREDEFINED[ref] ?? whole;
  });
}

/** XML 1.0 forbids these control characters even inside CDATA. */
const XML_FORBIDDEN_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** A CDATA section holding `text` exactly (']]>' split across two sections; forbidden controls removed). */
export function cdata(text: string): string {
  return `<![CDATA[${text.replace(XML_FORBIDDEN_CHARS, '').replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

/**
 * The plaintext passive text reply (docs/PROTOCOLS.md §1.5; developer.work.weixin.qq.com/document/path/96469).
 * @param reply.toUser the member's UserID as received in FromUserName
 * @param reply.corpId our CorpID (FromUserName of the reply)
 * @param reply.createTime unix seconds
 * @param reply.content text, ≤ 2048 UTF-8 bytes (WeCom truncates longer content; callers check)
 */
export function buildTextReplyXml(reply: { toUser: string; corpId: string; createTime: number; content: string }): string {
  return (
    `<xml><ToUserName>${cdata(reply.toUser)}</ToUserName>` +
    `<FromUserName>${cdata(reply.corpId)}</FromUserName>` +
    `<CreateTime>${Math.floor(reply.createTime)}</CreateTime>` +
    `<MsgType>${cdata('text')}</MsgType>` +
    `<Content>${cdata(reply.content)}</Content></xml>`
  );
}

/** The encrypted envelope sent as the HTTP answer (element names case-exact: Encrypt, MsgSignature, TimeStamp, Nonce). */
export function buildEncryptedReplyXml(sealed: SealedReply): string {
  return (
    `<xml><Encrypt>${cdata(sealed.encrypt)}</Encrypt>` +
    `<MsgSignature>${cdata(sealed.msgSignature)}</MsgSignature>` +
    `<TimeStamp>${sealed.timeStamp}</TimeStamp>` +
    `<Nonce>${cdata(sealed.nonce)}</Nonce></xml>`
  );
}
