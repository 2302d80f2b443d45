/**
 * Replies that end with links (an answer's sources), in the forms the platforms show: the plain-text block
 * every platform can show ("title: url" lines), markdown links, and HTML links for the /try page.
 * Platform-neutral; adapters pick the form their message type renders.
 */
import type { Reply, ReplyLink, ReplyLinks } from './platform/message.ts';

/** The plain block: the heading, then one "- title: url" line per link. */
export function plainLinks(heading: string, items: readonly ReplyLink[]): string {
  return [heading, ...items.map((l) => `- ${l.title}: ${l.url}`)].join('\n');
}

/**
 * A reply text with links at its end: `text` = `before`, a blank line, {@link plainLinks}; `links` keeps the
 * parts for adapters that render links. With no items the reply is just `before`.
 */
export function withLinks(before: string, heading: string, items: readonly ReplyLink[]): Pick<Reply, 'text' | 'links'> {
  if (items.length === 0) return { text: before };
  return { text: `${before}\n\n${plainLinks(heading, items)}`, links: { before, heading, items: [...items] } };
}

/** True when `url` is an absolute http(s) URL (the only kind ever rendered as a link). */
export function isWebUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

/**
 * A URL safe inside markdown `( … )`: the WHATWG serialisation (non-ASCII path characters percent-encoded),
 * with the characters that end or break a markdown link destination — `(`, `)`, `<`, `>`, space — encoded too.
 */
export function markdownUrl(url: string): string {
  return new URL(url).href.replace(/[()<> ]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/**
 * Link text safe inside markdown `[ … ]`: brackets and the characters that start emphasis or code
 * (`* _ \` [ ]`) become their full-width forms, which every markdown dialect shows as text (no dialect-specific
 * backslash escapes), and line breaks become spaces.
 */
export function markdownLinkText(title: string): string {
  // Whitespace runs with a line break become one space (/\s*\n\s*/ would take quadratic time on long runs).
  return title.replace(/\s+/g, (run: string) => (run.includes('\n') ? ' ' : run)).replace(/[[\]*_`]/g, (c) => FULL_WIDTH[c] ?? c);
}

const FULL_WIDTH: Record<string, string> = { '[': '［', ']': '］', '*': '＊', '_': '＿', '`': '｀' };

/** The links as markdown lines: the heading, then "- [title](url)" per link (non-web URLs as plain text). */
export function markdownLinks(links: ReplyLinks): string {
  const lines = links.items.map((l) =>
    isWebUrl(l.url) ? `- [${markdownLinkText(l.title)}](${markdownUrl(l.url)})` : `- ${markdownLinkText(l.title)}: ${l.url}`,
  );
  return [links.heading, ...lines].join('\n');
}

/** `text` with `& < > " '` escaped for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * A reply as HTML for the /try page: the text escaped (line breaks kept; the page shows it with
 * `white-space: pre-wrap`), and each link as `<a href="…" target="_blank" rel="noopener noreferrer">title</a>`.
 * Only http(s) URLs become links; anything else stays escaped text.
 */
export function replyHtml(reply: Pick<Reply, 'text' | 'links'>): string {
  if (!reply.links) return escapeHtml(reply.text);
  const items = reply.links.items.map((l) =>
    isWebUrl(l.url)
      ? `- <a href="${escapeHtml(new URL(l.url).href)}" target="_blank" rel="noopener noreferrer">${escapeHtml(l.title)}</a>`
      : `- ${escapeHtml(`${l.title}: ${l.url}`)}`,
  );
  return `${escapeHtml(reply.links.before)}\n\n${escapeHtml(reply.links.heading)}\n${items.join('\n')}`;
}
