import type Router from '@koa/router';

/** What the home page points to: the pages this listener serves, and where the console is. */
export interface HomePageOptions {
  /** The /try page is served (TRY_PAGE on). */
  tryPage: boolean;
  /** The admin console exists (CONSOLE on). */
  console: boolean;
  /** ADMIN_PORT is set: the console is served on that listener only, not on this one (which answers 404 for it). */
  consoleOnAdminPort: boolean;
}

/**
 * The home page's HTML (zh-CN and en side by side): links to /try and /console, or a line saying the console is on
 * the admin port (ADMIN_PORT) when it is not served on this listener. No script; nothing from the request in it.
 */
export function homePageHtml(o: HomePageOptions): string {
  const items: string[] = [];
  if (o.tryPage) items.push('<li><a id="home-try" href="/try">/try</a>：试用页，直接提问（不需要任何平台）<br><span lang="en">Try the bot: ask a question (no platform needed)</span></li>');
  if (o.console && !o.consoleOnAdminPort) {
    items.push('<li><a id="home-console" href="/console">/console</a>：管理控制台（只回应 ADMIN_ALLOW_FROM 中的地址，默认本机）<br><span lang="en">Admin console (answers only addresses in ADMIN_ALLOW_FROM, by default this machine)</span></li>');
  }
  if (o.console && o.consoleOnAdminPort) {
    items.push('<li id="home-console-elsewhere">管理控制台 /console 在管理端口（ADMIN_PORT）上，不在这个端口<br><span lang="en">The admin console (/console) is served on the admin port (ADMIN_PORT), not on this one</span></li>');
  }
  if (items.length === 0) items.push('<li>试用页和控制台都已关闭（TRY_PAGE=off、CONSOLE=off）<br><span lang="en">The try page and the console are both off (TRY_PAGE=off, CONSOLE=off)</span></li>');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>privacy-bot</title>
<style>body{font:16px/1.6 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1f1f1f}li{margin:.75rem 0}span[lang=en]{color:#595959}</style>
</head><body>
<h1>privacy-bot</h1>
<p>隐私助手在企业微信、钉钉、飞书里回答员工的聊天隐私问题。<br><span lang="en">The privacy assistant answers employees' chat-privacy questions in their work app.</span></p>
<ul>${items.join('\n')}</ul>
</body></html>
`;
}

/** GET / on this listener: the small page of {@link homePageHtml} (it was a bare 404). */
export function mountHomePage(router: Router, options: HomePageOptions): void {
  const html = homePageHtml(options);
  router.get('/', (ctx) => {
    ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = html;
  });
}
