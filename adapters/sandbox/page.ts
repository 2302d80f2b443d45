/**
 * The sandbox's part of the /try page (served at /try/sandbox.js, loaded by the page before its
 * own script): a banner saying this is a sandbox, an employee picker (anonymous by default), and
 * the chosen employee's inbox with the notice cards (open, 确认知悉 / Acknowledge). While an
 * employee is chosen, questions go to POST /try/sandbox/ask as that employee (the page's own
 * script asks `window.privacyBotTry.ask` first). Text is inserted with textContent only.
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
var current = null;
function el(tag, cls, text){ var e=document.createElement(tag); if (cls) e.className=cls; if (text !== undefined) e.textContent=text; return e; }
var banner = el('div', 'sbx-banner');
banner.id = 'sandbox-banner';
banner.textContent = '沙盒 SANDBOX：未配置企业微信、钉钉或飞书，以下是一家虚构公司（30 名员工、3 个部门）的演示数据，并非真实员工。选择一名员工即可以他的身份收通知、确认知悉、提问。 / No WeCom, DingTalk or Feishu is configured: this is a made-up company (30 employees, 3 departments) — demo data, not real people. Pick an employee to receive notices, acknowledge them and ask as them.';
var bar = el('div', 'sbx-bar');
var label = el('label', null, '身份 / Ask as: ');
var pick = el('select'); pick.id = 'sandbox-employee';
var anon = el('option', null, '匿名 / anonymous'); anon.value=''; pick.appendChild(anon);
label.appendChild(pick); bar.appendChild(label);
var refresh = el('button', null, '刷新收件箱 / Refresh inbox'); refresh.type='button'; refresh.hidden = true; bar.appendChild(refresh);
var inbox = el('div', 'sbx-inbox'); inbox.id='sandbox-inbox'; inbox.hidden = true;
main.insertBefore(banner, logEl); main.insertBefore(bar, logEl); main.insertBefore(inbox, logEl);
function say(cls, text){ var d=el('div', 'msg '+cls, text); logEl.appendChild(d); d.scrollIntoView(); }
function post(path, body){ return fetch(path, {method:'POST', headers:{'content-type':'application/json'}, body: JSON.stringify(body)}); }
/** zh and en joined, or zh alone when the notice has no English of its own (the same text twice reads as a bug). */
function both(t, sep){ return t.en && t.en !== t.zh ? t.zh + sep + t.en : t.zh; }
/** An ISO time as the browser's local date and time (YYYY-MM-DD HH:mm:ss), like the console shows it. */
function local(iso){ var d = new Date(iso), p = function(n){ return String(n).padStart(2, '0'); }; return isNaN(d) ? iso : d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + ' ' + p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds()); }
function stateText(c){
  if (c.acknowledgedAt) return '已确认 / acknowledged ' + local(c.acknowledgedAt);
  if (c.openedAt) return '已读，未确认 / read, not acknowledged';
  return '未读 / unread';
}
function render(j){
  inbox.textContent = '';
  inbox.appendChild(el('strong', null, '沙盒收件箱 / Sandbox inbox — ' + j.user.name + ' (' + j.user.userId + ')'));
  if (j.cards.length === 0) { inbox.appendChild(el('p', 'sbx-state', '还没有通知 / no notices yet')); return; }
  j.cards.forEach(function(c){
    var card = el('div', 'sbx-card');
    card.appendChild(el('h3', null, (c.reminder ? '【提醒 / Reminder】' : '') + both(c.title, ' / ') + ' (v' + c.version + ')'));
    card.appendChild(el('div', 'sbx-state', stateText(c)));
    var bodyEl = el('div', 'sbx-body', both(c.body, '\\n\\n')); bodyEl.hidden = !c.openedAt; card.appendChild(bodyEl);
    if (!c.openedAt) {
      var o = el('button', null, '打开 / Open'); o.type='button';
      o.onclick = function(){ post('try/sandbox/open', {user: current, noticeId: c.noticeId, version: c.version}).then(load); };
      card.appendChild(o);
    }
    if (!c.acknowledgedAt) {
      var a = el('button', 'sbx-ack', '确认知悉 / Acknowledge'); a.type='button';
      a.onclick = function(){
        post('try/sandbox/ack', {user: current, ackKey: c.ackKey}).then(function(r){ return r.json(); })
          .then(function(j){ (j.replies || []).forEach(function(t){ say('bot', t); }); load(); })
          .catch(function(e){ say('bot', 'Error: ' + e); });
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
    var g = el('optgroup'); g.label = dep.name.zh + ' / ' + dep.name.en + ' (' + dep.headCount + ')';
    dep.members.forEach(function(m){ var o = el('option', null, m.name + ' · ' + m.title + ' (' + m.userId + ')'); o.value = m.userId; g.appendChild(o); });
    pick.appendChild(g);
  });
});
// The page's own note, read when first replaced (the page's script sets it in the browser's language after this one runs).
var note = document.querySelector('p.note'), noteText = null;
pick.onchange = function(){
  if (note && noteText === null) noteText = note.textContent;
  current = pick.value || null; inbox.hidden = !current; refresh.hidden = !current;
  if (note) note.textContent = current
    ? '以沙盒员工 ' + pick.options[pick.selectedIndex].textContent + ' 的身份提问：回答会像单聊一样附上他的（演示）存档状态。 / Asking as this sandbox employee: answers carry their (demo) archiving status, as in a 1:1 chat.'
    : noteText;
  if (current) load();
};
refresh.onclick = load;
setInterval(load, 5000);
window.privacyBotTry = { ask: function(text, pick){
  if (!current) return null;
  var b = {user: current, question: text}; if (pick) b.pick = pick;
  return post('try/sandbox/ask', b);
} };
})();
`;
