import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';
import { assertNoDtd, buildEncryptedReplyXml, buildTextReplyXml, cdata, decodeXmlText, parseWecomXml } from '../../../adapters/wecom/xml.ts';

const V1B_PLAIN =
  '<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n<FromUserName><![CDATA[mycreate]]></FromUserName>\n<CreateTime>1409659813</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[hello]]></Content>\n<MsgId>4561255354251345929</MsgId>\n<AgentID>218</AgentID>\n</xml>';

test('the official plaintext parses to strings; MsgId keeps all 19 digits', () => {
  assert.deepEqual(parseWecomXml(V1B_PLAIN), {
    ToUserName: 'wx5823bf96d3bd56c7',
    FromUserName: 'mycreate',
    CreateTime: '1409659813',
    MsgType: 'text',
    Content: 'hello',
    MsgId: '4561255354251345929',
    AgentID: '218',
  });
});

test('plain text (no CDATA, V2b style) with Chinese', () => {
  const f = parseWecomXml('<xml><ToUserName>ww1436e0e65a779aee</ToUserName><Content>你好</Content><MsgId>1456453720</MsgId></xml>');
  assert.equal(f['Content'], '你好');
  assert.equal(f['MsgId'], '1456453720');
});

test('CDATA is verbatim (markup, entities, split "]]>"), plain text decodes only predefined and numeric entities', () => {
  const f = parseWecomXml(
    '<xml><A><![CDATA[a &amp; <b> ]]]]><![CDATA[> z]]></A><B>x &amp; &lt;&#x4e2d;&#25991;&gt; &nbsp; &#0;</B><C>\n  <![CDATA[ y ]]>\n</C><D/></xml>',
  );
  assert.equal(f['A'], 'a &amp; <b> ]]> z');
  assert.equal(f['B'], 'x & <中文> &nbsp; &#0;');
  assert.equal(f['C'], ' y ');
  assert.equal(f['D'], '');
});

test('user text with newlines, emoji and a literal "<!DOCTYPE" inside CDATA is kept', () => {
  const content = '第一行\n😀 line 2 <!DOCTYPE html> & more';
  const f = parseWecomXml(`<xml><Content>${cdata(content)}</Content></xml>`);
  assert.equal(f['Content'], content);
});

test('DOCTYPE / ENTITY declarations are refused with WECOM_XML_REJECTED', () => {
  const bombs = [
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY e "boom">]><xml><A>&e;</A></xml>',
    '<!doctype xml><xml><A>1</A></xml>',
    '<xml><!ENTITY x "y"><A>1</A></xml>',
  ];
  for (const xml of bombs) {
    assert.throws(() => parseWecomXml(xml), { code: 'WECOM_XML_REJECTED', status: 400 });
  }
  assert.doesNotThrow(() => assertNoDtd('<xml><A><![CDATA[<!DOCTYPE x>]]></A></xml>'));
});

test('malformed XML and a wrong root give WECOM_XML_INVALID', () => {
  for (const xml of ['', 'hello', '<xml><A>1</xml>', '<xml><A>1</A>', '<a>1</a><b>2</b>', '<root><A>1</A></root>', '{"encrypt":"x"}']) {
    assert.throws(() => parseWecomXml(xml), { code: 'WECOM_XML_INVALID', status: 400 }, JSON.stringify(xml));
  }
});

test('first occurrence of a repeated element wins; nested elements give their own key only', () => {
  const f = parseWecomXml('<xml><A>1</A><A>2</A><SelectedItems><SelectedItem><QuestionKey>k</QuestionKey></SelectedItem></SelectedItems></xml>');
  assert.equal(f['A'], '1');
  assert.equal(f['SelectedItems'], '');
  assert.equal(f['QuestionKey'], undefined);
});

test('decodeXmlText leaves unknown and invalid references alone', () => {
  assert.equal(decodeXmlText('&foo; &#xD800; &#1114112; &#65;'), '&foo; &#xD800; &#1114112; A');
});

test('passive text reply XML: case-exact elements, content survives "]]>" and control characters are dropped', () => {
  const content = 'A ]]> B\u0001 中文\n<tag>&';
  const xml = buildTextReplyXml({ toUser: 'mycreate', corpId: 'wx5823bf96d3bd56c7', createTime: 1409659813.9, content });
  assert.match(xml, /^<xml><ToUserName><!\[CDATA\[mycreate\]\]><\/ToUserName><FromUserName><!\[CDATA\[wx5823bf96d3bd56c7\]\]><\/FromUserName><CreateTime>1409659813<\/CreateTime><MsgType><!\[CDATA\[text\]\]><\/MsgType><Content>/);
  assert.equal(parseWecomXml(xml)['Content'], 'A ]]> B 中文\n<tag>&');
  // an independent parser agrees
  const other = new XMLParser({ parseTagValue: false }).parse(xml) as { xml: Record<string, string> };
  assert.equal(other.xml['Content'], 'A ]]> B 中文\n<tag>&');
});

test('encrypted reply envelope uses Encrypt, MsgSignature, TimeStamp, Nonce', () => {
  const xml = buildEncryptedReplyXml({ encrypt: 'ab+/=', msgSignature: 'c04f', timeStamp: '1409659813', nonce: '1372623149' });
  assert.equal(
    xml,
    '<xml><Encrypt><![CDATA[ab+/=]]></Encrypt><MsgSignature><![CDATA[c04f]]></MsgSignature><TimeStamp>1409659813</TimeStamp><Nonce><![CDATA[1372623149]]></Nonce></xml>',
  );
});
