import type { Lang } from '../../src/platform/message.ts';

/** The sandbox overlay's own texts ("chrome": not the notices' text, not the demo company's names) in one language. */
export interface SandboxPageTexts {
  /** The banner over the page: a sandbox, a made-up company, what picking an employee does. */
  banner: string;
  /** The employee picker's label. */
  askAs: string;
  /** The picker's first option: asking as nobody (the page's anonymous questions). */
  anonymous: string;
  /** The button that reloads the chosen employee's inbox. */
  refresh: string;
  /** The inbox's heading, followed by " — <name> (<user id>)". */
  inbox: string;
  /** An inbox without cards. */
  noNotices: string;
  /** Before a reminder card's title. */
  reminder: string;
  /** A card's "open" button (records a read). */
  open: string;
  /** A card's acknowledge button. */
  acknowledge: string;
  /**
   * A card's state once acknowledged; `{time}` is the date and time in the company time zone with its offset,
   * as the console and the bot show it ("2026-12-07 22:54:38 +08:00"), whatever the browser's zone.
   */
  acknowledged: string;
  /** A card's state once opened, not acknowledged. */
  read: string;
  /** A card's state before it is opened. */
  unread: string;
  /** The page's note while an employee is chosen; `{employee}` is their picker entry (name · title (user id)). */
  askingAs: string;
  /** Before a failed request's reason. */
  error: string;
}

/**
 * The overlay's texts by page language. The overlay shows one set: the language of the /try page's own texts
 * (`window.privacyBotTry.lang`, decided once by the page from the browser's language, src/http/try-page.ts), so
 * a zh-TW reader sees Traditional Chinese as written in Taiwan, a zh-CN reader Simplified, an English reader
 * English. No bilingual line is kept: the reader's language is known, and "zh-CN / English" side by side
 * doubled the overlay's length on a phone and showed a Taiwan reader Simplified Chinese. The only Latin word
 * left in the Chinese banners is "SANDBOX", a label (the `SANDBOX` setting's name, what the README tells to
 * look for), not a translation. zh-TW is written out, not converted: OpenCC's twp keeps mainland words
 * (收件箱, 身份, 演示) where Taiwan writes 收件匣, 身分, 示範. What stays as it is in every language: the
 * notices' titles and bodies (the admin's text, in the language(s) the delivery chose for that employee) and
 * the demo company's directory (employee names and titles; a department's English name is shown to English
 * readers, its Chinese name otherwise), as a real platform shows the company's own data.
 */
export const SANDBOX_PAGE_TEXTS: Readonly<Record<Lang, SandboxPageTexts>> = {
  'zh-CN': {
    banner: '沙盒 SANDBOX：未配置企业微信、钉钉或飞书，以下是一家虚构公司（30 名员工、3 个部门）的演示数据，并非真实员工。选择一名员工即可以他的身份收通知、确认知悉、提问。',
    askAs: '身份：',
    anonymous: '匿名',
    refresh: '刷新收件箱',
    inbox: '沙盒收件箱',
    noNotices: '还没有通知',
    reminder: '【提醒】',
    open: '打开',
    acknowledge: '确认知悉',
    acknowledged: '已确认 {time}',
    read: '已读，未确认',
    unread: '未读',
    askingAs: '以沙盒员工 {employee} 的身份提问：回答会像单聊一样附上他的（演示）存档状态。',
    error: '出错',
  },
  'zh-TW': {
    banner: '沙盒 SANDBOX：未設定企業微信、釘釘或飛書，以下是一家虛構公司（30 名員工、3 個部門）的示範資料，並非真實員工。選擇一名員工，即可以他的身分接收通知、確認知悉及提問。',
    askAs: '身分：',
    anonymous: '匿名',
    refresh: '重新整理收件匣',
    inbox: '沙盒收件匣',
    noNotices: '還沒有通知',
    reminder: '【提醒】',
    open: '開啟',
    acknowledge: '確認知悉',
    acknowledged: '已確認 {time}',
    read: '已讀，未確認',
    unread: '未讀',
    askingAs: '以沙盒員工 {employee} 的身分提問：回答會像一對一聊天一樣，附上他的（示範）存檔狀態。',
    error: '出錯',
  },
  en: {
    banner: 'SANDBOX: no WeCom, DingTalk or Feishu is configured. This is a made-up company (30 employees, 3 departments) — demo data, not real people. Pick an employee to receive notices, acknowledge them and ask as them.',
    askAs: 'Ask as: ',
    anonymous: 'anonymous',
    refresh: 'Refresh inbox',
    inbox: 'Sandbox inbox',
    noNotices: 'no notices yet',
    reminder: '[Reminder] ',
    open: 'Open',
    acknowledge: 'Acknowledge',
    acknowledged: 'acknowledged {time}',
    read: 'read, not acknowledged',
    unread: 'unread',
    askingAs: 'Asking as sandbox employee {employee}: answers carry their (demo) archiving status, as in a 1:1 chat.',
    error: 'Error',
  },
};

/**
 * The sandbox's part of the /try page (served at /try/sandbox.js, loaded by the page before its
 * own script): a banner saying this is a sandbox, an employee picker (anonymous by default), and
 * the chosen employee's inbox with the notice cards (open, acknowledge). Its texts are
 * {@link SANDBOX_PAGE_TEXTS} in the page's language (`window.privacyBotTry.lang`, which the page sets
 * before this script runs; zh-CN when missing). While an employee is chosen, questions go to
 * POST /try/sandbox/ask as that employee (the page's own script asks `window.privacyBotTry.ask`
 * first; the sandbox stands in for a chat platform, so it sends no language hint). Text is
 * inserted with textContent only; the notices' text and the directory's names are in elements of
 * class `sbx-data` (data, not the overlay's texts).
 */
export const SANDBOX_SCRIPT = `(function(){
'use strict';
var main = document.querySelector('main'), logEl = document.getElementById('log');
if (!main || !logEl) return;
var style = document.createElement('style');
style.textContent = '.sbx-banner{background:#fff4e5;border:1px solid #ffb84d;border-radius:8px;padding:8px 12px;margin:8px 0;font-size:13px}' +
  '.sbx-bar{display:flex;gap:8px;align-items:center;margin:8px 0;flex-wrap:wrap}.sbx-bar select{padding:6px;border-radius:6px;border:1px solid #c9cdd4;font:inherit}' +
  '.sbx-inbox{background:#fff;border-radius:8px;padding:8px 12px;margin:8px 0;box-shadow:0 1px 2px #0001}' +
  '.sbx-card{border:1px solid #dee0e3;border-radius:8px;padding:8px 12px;margin:8px 0}.sbx-card h3{font-size:15px;margin:0 0 4px}' +
  '.sbx-card .sbx-body{white-space:pre-wrap;margin:6px 0}.sbx-card .sbx-state{font-size:12px;color:#646a73}' +
  '.sbx-card button,.sbx-bar button{padding:4px 10px;border-radius:6px;border:1px solid #3370ff;background:#fff;color:#3370ff;cursor:pointer;margin-right:6px}' +
  '.sbx-card button.sbx-ack{background:#3370ff;color:#fff}';
document.head.appendChild(style);
var TEXTS = ${JSON.stringify(SANDBOX_PAGE_TEXTS)};
var api = window.privacyBotTry || (window.privacyBotTry = {});
var LANG = TEXTS[api.lang] ? api.lang : 'zh-CN', T = TEXTS[LANG];
var current = null;
function el(tag, cls, text){ var e=document.createElement(tag); if (cls) e.className=cls; if (text !== undefined) e.textContent=text; return e; }
/** Data (a notice's text, a name from the directory) among the overlay's texts: kept apart, class sbx-data. */
function data(tag, text){ return el(tag, 'sbx-data', text); }
/** A text of T with {name} replaced by a node: [text before, node, text after]. */
function fill(template, name, node){ var i = template.indexOf('{' + name + '}'); return i < 0 ? [template] : [template.slice(0, i), node, template.slice(i + name.length + 2)]; }
var banner = el('div', 'sbx-banner', T.banner);
banner.id = 'sandbox-banner';
var bar = el('div', 'sbx-bar'); bar.id = 'sandbox-bar';
var label = el('label', null, T.askAs);
var pick = el('select'); pick.id = 'sandbox-employee';
var anon = el('option', null, T.anonymous); anon.value=''; pick.appendChild(anon);
label.appendChild(pick); bar.appendChild(label);
var refresh = el('button', null, T.refresh); refresh.type='button'; refresh.hidden = true; bar.appendChild(refresh);
var inbox = el('div', 'sbx-inbox'); inbox.id='sandbox-inbox'; inbox.hidden = true;
banner.lang = bar.lang = inbox.lang = LANG;
main.insertBefore(banner, logEl); main.insertBefore(bar, logEl); main.insertBefore(inbox, logEl);
function say(cls, text){ var d=el('div', 'msg '+cls, text); logEl.appendChild(d); d.scrollIntoView(); }
function post(path, body){ return fetch(path, {method:'POST', headers:{'content-type':'application/json'}, body: JSON.stringify(body)}); }
/** zh and en joined, or zh alone when the notice has no English of its own (the same text twice reads as a bug). */
function both(t, sep){ return t.en && t.en !== t.zh ? t.zh + sep + t.en : t.zh; }
/**
 * An ISO time in the company time zone (the inbox's timeZone) with its offset — YYYY-MM-DD HH:mm:ss +08:00 —
 * exactly as the console shows times, whatever the browser's own zone.
 */
function zoned(iso, zone){
  var d = new Date(iso); if (isNaN(d)) return iso;
  var f; try { f = new Intl.DateTimeFormat('en-CA', {timeZone: zone || 'Asia/Shanghai', year:'numeric', month:'2-digit', day:'2-digit', hour:'2-digit', minute:'2-digit', second:'2-digit', hourCycle:'h23', timeZoneName:'longOffset'}); }
  catch (e) { f = new Intl.DateTimeFormat('en-CA', {timeZone: 'Asia/Shanghai', year:'numeric', month:'2-digit', day:'2-digit', hour:'2-digit', minute:'2-digit', second:'2-digit', hourCycle:'h23', timeZoneName:'longOffset'}); }
  var p = {}; f.formatToParts(d).forEach(function(x){ p[x.type] = x.value; });
  var offset = (p.timeZoneName || '').replace('GMT', '') || '+00:00';
  return p.year + '-' + p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute + ':' + p.second + ' ' + offset;
}
var zone = null;
function stateText(c){
  if (c.acknowledgedAt) return T.acknowledged.replace('{time}', zoned(c.acknowledgedAt, zone));
  if (c.openedAt) return T.read;
  return T.unread;
}
function render(j){
  zone = j.timeZone || zone;
  inbox.textContent = '';
  var heading = el('strong', null, T.inbox + ' — ');
  heading.appendChild(data('span', j.user.name + ' (' + j.user.userId + ')'));
  inbox.appendChild(heading);
  if (j.cards.length === 0) { inbox.appendChild(el('p', 'sbx-state', T.noNotices)); return; }
  j.cards.forEach(function(c){
    var card = el('div', 'sbx-card');
    var h = el('h3', null, c.reminder ? T.reminder : '');
    h.append(data('span', both(c.title, ' / ')), ' (v' + c.version + ')');
    card.appendChild(h);
    card.appendChild(el('div', 'sbx-state', stateText(c)));
    var bodyEl = el('div', 'sbx-body sbx-data', both(c.body, '\\n\\n')); bodyEl.hidden = !c.openedAt; card.appendChild(bodyEl);
    if (!c.openedAt) {
      var o = el('button', null, T.open); o.type='button';
      o.onclick = function(){ post('try/sandbox/open', {user: current, noticeId: c.noticeId, version: c.version}).then(load); };
      card.appendChild(o);
    }
    if (!c.acknowledgedAt) {
      var a = el('button', 'sbx-ack', T.acknowledge); a.type='button';
      a.onclick = function(){
        post('try/sandbox/ack', {user: current, ackKey: c.ackKey}).then(function(r){ return r.json(); })
          .then(function(j){ (j.replies || []).forEach(function(t){ say('bot', t); }); load(); })
          .catch(function(e){ say('bot', T.error + ': ' + e); });
      };
      card.appendChild(a);
    }
    inbox.appendChild(card);
  });
}
function load(){
  if (!current) return;
  fetch('try/sandbox/inbox?user=' + encodeURIComponent(current)).then(function(r){ return r.json(); }).then(render).catch(function(){});
}
fetch('try/sandbox/directory').then(function(r){ return r.json(); }).then(function(d){
  d.departments.forEach(function(dep){
    var g = el('optgroup'); g.label = (LANG === 'en' ? dep.name.en : dep.name.zh) + ' (' + dep.headCount + ')';
    dep.members.forEach(function(m){ var o = data('option', m.name + ' · ' + m.title + ' (' + m.userId + ')'); o.value = m.userId; g.appendChild(o); });
    pick.appendChild(g);
  });
});
// The page's own note, read when first replaced (the page's script sets it in the browser's language after this one runs).
var note = document.querySelector('p.note'), noteText = null;
pick.onchange = function(){
  if (note && noteText === null) noteText = note.textContent;
  current = pick.value || null; inbox.hidden = !current; refresh.hidden = !current;
  if (note && current) { note.textContent = ''; note.append.apply(note, fill(T.askingAs, 'employee', data('span', pick.options[pick.selectedIndex].textContent))); note.lang = LANG; }
  else if (note) note.textContent = noteText;
  if (current) load();
};
refresh.onclick = load;
setInterval(load, 5000);
api.ask = function(text, pick){
  if (!current) return null;
  var b = {user: current, question: text}; if (pick) b.pick = pick;
  return post('try/sandbox/ask', b);
};
})();
`;
