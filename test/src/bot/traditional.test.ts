// zh-TW answers: the real knowledge base converted as the bot sends it to a Traditional Chinese asker must read
// as Taiwan / Hong Kong readers write. The error list was built by reading the OpenCC output ('tw' and 'twp')
// of every answer, detail, title and source title; docs/KB-REVIEW.md ("zh-TW conversion") explains each entry.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadKnowledge } from '../../../src/knowledge/load.ts';
import { toTaiwanTraditional } from '../../../src/bot/traditional.ts';
import { REPO_ROOT } from '../../helpers/app.ts';

/** Known conversion errors: [pattern in the converted text, what it should be]. */
const KNOWN_ERRORS: readonly (readonly [RegExp, string])[] = [
  [/這隻(?=是|適用|涉及|說明|能|會|限|有)/u, '這只 (only), not the measure word 隻'],
  [/聯系/u, '聯繫 / 聯絡'],
  [/曆史/u, '歷史'],
  [/(?<![公鄰千故阿])里(?![程長])/u, '裡 (inside)'],
  [/後臺/u, '後台'],
  [/平臺/u, '平台'],
  [/賬/u, '帳 (帳號, 帳戶)'],
  [/准確/u, '準確'],
  [/許可權/u, '權限'],
  [/報道/u, '報導'],
  [/采納|沒有采/u, '採納'],
  [/回撥/u, '回呼'],
  [/渠道/u, '管道'],
  [/私信/u, '私訊'],
  [/網上/u, '網路上'],
  [/訊息型別/u, '訊息類型'],
  [/郵箱/u, '電子郵件'],
  [/訪問/u, '存取'],
  [/站點/u, '網站'],
  [/個人資訊保護法/u, '《個人信息保護法》 (the statute keeps its name)'],
  [/資料與智慧專區/u, '數據與智能專區 (WeCom product name)'],
  [/網際網路法院/u, '互聯網法院 (the court keeps its name)'],
  [/釋出/u, '發布 (post), not 釋出 (software release)'],
  [/支援/u, '支持 (a court upholds)'],
  [/民主程式|法定程式/u, '程序 (procedure), not 程式 (program)'],
  [/儲存(?:策略|期限|期|多久|證據|6個月|的副本|自己的副本)|自己儲存|永久儲存|預設儲存|已經儲存/u, '保存 (retain), not 儲存 (save a file)'],
  [/視窗/u, 'no GUI "window" in a time window'],
  [/[“”‘’]/u, '「」『』 quotation marks'],
  [/[们这说时会对为发与关档于个么从们认题让录]/u, 'a simplified character left unconverted'],
];

function errorsIn(text: string): string[] {
  return KNOWN_ERRORS.filter(([re]) => re.test(text)).map(([re, fix]) => `${re.source} -> ${fix}: …${around(text, re)}…`);
}

function around(text: string, re: RegExp): string {
  const m = re.exec(text);
  return m ? text.slice(Math.max(0, m.index - 8), m.index + m[0].length + 8) : '';
}

describe('zh-TW conversion', () => {
  it('fixes the known OpenCC errors on sample phrases', () => {
    const cases: [string, string][] = [
      ['这只适用于存档范围内的会话', '這只適用於存檔範圍內的會話'],
      ['并联系公司IT', '並聯繫公司IT'],
      ['历史记录在群里', '歷史記錄在群裡'],
      ['管理后台和平台', '管理後台和平台'],
      ['工作账号和金融账户', '工作帳號和金融帳戶'],
      ['《个人信息保护法》保护个人信息', '《個人信息保護法》保護個人資訊'],
      ['北京互联网法院没有采纳', '北京互聯網法院沒有採納'],
      ['保存期限和保存证据', '保存期限和保存證據'],
      ['法院支持这一主张；发布者', '法院支持這一主張；發布者'],
      ['经民主程序制定', '經民主程序制定'],
      ['“数据与智能专区”', '「數據與智能專區」'],
      ['阿里云开发者社区', '阿里雲開發者社群'],
      ['软件信息默认设置', '軟體資訊預設設定'],
      ['证据未通过比例原则检验；通过工会反映', '證據未通過比例原則檢驗；透過工會反映'],
    ];
    for (const [simplified, expected] of cases) assert.equal(toTaiwanTraditional(simplified), expected, simplified);
  });

  it('leaves English, digits and Traditional text alone', () => {
    assert.equal(toTaiwanTraditional('PIPL art. 13(1)(2), 5 days'), 'PIPL art. 13(1)(2), 5 days');
    assert.equal(toTaiwanTraditional('後台與平台'), '後台與平台');
  });

  it('no known conversion error in any converted answer, detail, lead, title or source title of the knowledge base', async () => {
    const kb = await loadKnowledge(path.join(REPO_ROOT, 'knowledge'));
    const found: string[] = [];
    for (const e of kb.entries) {
      const texts: [string, string][] = [
        ['title', e.title.zh],
        ['answer', e.answer.zh],
        ...(e.detail ? [['detail', e.detail.zh] as [string, string]] : []),
        ...(e.leads ?? []).map((l, i) => [`leads.${i}`, l.zh] as [string, string]),
        ...e.sources.map((s, i) => [`sources.${i}`, s.title] as [string, string]),
      ];
      for (const [field, zh] of texts) {
        for (const err of errorsIn(toTaiwanTraditional(zh))) found.push(`${e.id} ${field}: ${err}`);
      }
    }
    assert.deepEqual(found, []);
  });
});
