import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, markdownLinks, markdownLinkText, markdownUrl, plainLinks, replyHtml, withLinks } from '../../src/reply-links.ts';

describe('reply links', () => {
  const items = [
    { title: '《个人信息保护法》 / PIPL', url: 'http://en.npc.gov.cn.cdurl.cn/2021-12/29/c_694559.htm' },
    { title: '《劳动合同法》 [statute] *text*', url: 'https://github.com/LawRefBook/Laws/blob/master/社会法/劳动合同法(2012-12-28).md' },
  ];

  it('plain text keeps "title: url" lines after a blank line; links keep the parts', () => {
    const r = withLinks('答案。', '来源：', items);
    assert.equal(r.text, `答案。\n\n来源：\n- 《个人信息保护法》 / PIPL: ${items[0]!.url}\n- 《劳动合同法》 [statute] *text*: ${items[1]!.url}`);
    assert.deepEqual(r.links, { before: '答案。', heading: '来源：', items });
    assert.equal(r.text, `${r.links!.before}\n\n${plainLinks('来源：', items)}`);
    assert.deepEqual(withLinks('答案。', '来源：', []), { text: '答案。' });
  });

  it('markdown: parentheses, spaces and non-ASCII in URLs are encoded; brackets and emphasis in titles are neutralised', () => {
    assert.equal(
      markdownUrl(items[1]!.url),
      'https://github.com/LawRefBook/Laws/blob/master/%E7%A4%BE%E4%BC%9A%E6%B3%95/%E5%8A%B3%E5%8A%A8%E5%90%88%E5%90%8C%E6%B3%95%282012-12-28%29.md',
    );
    assert.equal(markdownLinkText('a [b] *c* _d_ `e`\nf'), 'a ［b］ ＊c＊ ＿d＿ ｀e｀ f');
    const md = markdownLinks({ before: 'x', heading: 'Sources:', items });
    assert.equal(md.split('\n')[0], 'Sources:');
    assert.match(md, /^- \[《个人信息保护法》 \/ PIPL\]\(http:\/\/en\.npc\.gov\.cn\.cdurl\.cn\/2021-12\/29\/c_694559\.htm\)$/m);
    assert.match(md, /^- \[《劳动合同法》 ［statute］ ＊text＊\]\(https:\/\/github\.com\/[^()\s]+%282012-12-28%29\.md\)$/m);
  });

  it('HTML: text escaped, only http(s) links clickable, in a new tab without opener or referrer', () => {
    const evil = withLinks('<script>alert(1)</script> & "q"', 'Sources:', [
      { title: '<img src=x onerror=alert(1)>', url: 'https://example.org/a?b="c"&d=<e>' },
      { title: 'js', url: 'javascript:alert(1)' },
    ]);
    const html = replyHtml(evil);
    assert.equal(
      html,
      '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;\n\nSources:\n' +
        '- <a href="https://example.org/a?b=%22c%22&amp;d=%3Ce%3E" target="_blank" rel="noopener noreferrer">&lt;img src=x onerror=alert(1)&gt;</a>\n' +
        '- js: javascript:alert(1)',
    );
    assert.equal(replyHtml({ text: 'a < b' }), 'a &lt; b');
    assert.equal(escapeHtml(`'`), '&#39;');
  });
});
