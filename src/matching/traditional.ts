/**
 * Simplified Chinese -> Traditional Chinese as Taiwan (and Hong Kong) readers write it, for the answers the bot
 * sends to zh-TW askers. OpenCC's 'twp' preset (opencc-js: character conversion plus Taiwan phrases such as
 * 软件 -> 軟體, 信息 -> 資訊, 默认 -> 預設) with a small reviewed correction table on top, because 'twp' errs
 * in ways that matter here (documented with examples in docs/KB-REVIEW.md, "zh-TW conversion"):
 *
 * 1. {@link KEEP_PHRASES}: simplified phrases that must not get 'twp' phrase localisation — proper names
 *    (《个人信息保护法》, 数据与智能专区, 北京互联网法院) and words whose computing sense 'twp' picks wrongly
 *    (保存 "retain" is not 儲存 "save a file", 支持 "uphold" is not 支援, 发布 "post" is not 釋出 "release",
 *    法定程序 "procedure" is not 程式 "program"). Each is replaced by its reviewed Traditional form.
 * 2. {@link FIXES}: replacements on the converted text for segmentation and vocabulary errors ('并联系'
 *    becomes '並聯系', '这只适用' '這隻適用', '副本里' keeps 里 for 裡; 賬號 for 帳號, 許可權 for 權限, 平臺/後臺 for
 *    平台/後台, 報道 for 報導, 回撥 for 回呼, 渠道 for 管道 …) and Taiwan quotation marks (“” -> 「」).
 *
 * Pure; the OpenCC tables load on the first call (tens of ms). Never throws for string input.
 * Source of the presets: https://github.com/nk2028/opencc-js (README, "twp" = Taiwan with phrases).
 */
import * as OpenCC from 'opencc-js';

/** Simplified phrase -> its Traditional form, kept out of 'twp' phrase conversion. Longest first. */
export const KEEP_PHRASES: readonly (readonly [simplified: string, traditional: string])[] = [
  ['个人信息保护法', '個人信息保護法'], // the PRC statute's name, not 個人資訊保護法
  ['数据与智能专区', '數據與智能專區'], // WeCom's product name
  ['互联网法院', '互聯網法院'], // the court's name, not 網際網路法院
  ['民主程序', '民主程序'],
  ['法定程序', '法定程序'],
  ['保存', '保存'], // retain (保存期限, 保存证据), not 儲存
  ['支持', '支持'], // a court upholds (支持), it does not 支援
  ['发布', '發布'], // a person posts (發布), software is 釋出
];

/**
 * Corrections applied, in order, to the converted text: [pattern, replacement, why]. Patterns are global
 * regular expressions; `why` names the error for docs and tests.
 */
export const FIXES: readonly (readonly [pattern: RegExp, replacement: string, why: string])[] = [
  [/聯系/gu, '聯繫', '并联系 segmented as 并联 + 系'],
  [/這隻(?=是|適用|涉及|說明|能|會|限|有)/gu, '這只', '这只 (only) read as a measure word'],
  [/曆史/gu, '歷史', '历 as 曆 (calendar) instead of 歷 (history)'],
  [/(?<![公鄰千故阿])里(?![程長])/gu, '裡', '里 (li, a unit; 阿里 Alibaba) for 裡 (inside)'],
  [/賬/gu, '帳', '賬號/賬戶: Taiwan writes 帳號/帳戶'],
  [/許可權/gu, '權限', '权限 (permissions) as 許可權'],
  [/平臺/gu, '平台', '平台 as written in Taiwan and Hong Kong'],
  [/後臺/gu, '後台', '管理后台 (admin console) as written in Taiwan'],
  [/報道/gu, '報導', '报道 (news report): Taiwan writes 報導'],
  [/採納|采納/gu, '採納', '没有采纳 segmented as 沒有采 + 納'],
  [/回撥/gu, '回呼', '回调 (callback): Taiwan writes 回呼'],
  [/渠道/gu, '管道', '渠道 (channel for requests): Taiwan writes 管道'],
  [/私信/gu, '私訊', '私信 (direct message): Taiwan writes 私訊'],
  [/網上/gu, '網路上', '网上 (online): Taiwan writes 網路上'],
  [/訊息型別/gu, '訊息類型', '消息类型 in the programming sense 型別'],
  [/郵箱/gu, '電子郵件', '邮箱 (e-mail address): Taiwan writes 電子郵件'],
  [/手機號(?!碼)/gu, '手機號碼', '手机号: Taiwan writes 手機號碼'],
  [/訪問/gu, '存取', '访问 (access to data): Taiwan writes 存取'],
  [/站點/gu, '網站', '站点 (web site): Taiwan writes 網站'],
  [/通過(?!比例|檢驗|審)/gu, '透過', '通过 (by way of): Taiwan writes 透過; 通過 stays for "pass"'],
  [/“/gu, '「', 'quotation marks'],
  [/”/gu, '」', 'quotation marks'],
  [/‘/gu, '『', 'quotation marks'],
  [/’/gu, '』', 'quotation marks'],
];

/** Private-use code points around a kept phrase's index: OpenCC's dictionaries never contain them. */
const OPEN = '\uE000';
const CLOSE = '\uE001';
const PLACEHOLDER = new RegExp(`${OPEN}(\\d+)${CLOSE}`, 'gu');

let twp: ((text: string) => string) | null = null;

/**
 * Converts simplified Chinese to Taiwan Traditional Chinese (see the module doc for how).
 * @param text simplified (or mixed) text; ASCII and text already traditional pass through unchanged
 * @returns the converted text, same line structure
 */
export function toTaiwanTraditional(text: string): string {
  const convert = (twp ??= OpenCC.Converter({ from: 'cn', to: 'twp' }));
  const kept: string[] = [];
  let protectedText = text;
  for (const [simplified, traditional] of KEEP_PHRASES) {
    if (!protectedText.includes(simplified)) continue;
    protectedText = protectedText.split(simplified).join(`${OPEN}${kept.length}${CLOSE}`);
    kept.push(traditional);
  }
  let out = convert(protectedText).replace(PLACEHOLDER, (_m: string, i: string) => kept[Number(i)] ?? '');
  for (const [pattern, replacement] of FIXES) out = out.replace(pattern, replacement);
  return out;
}
