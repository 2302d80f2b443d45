/**
 * Telling Simplified Chinese from Traditional in a page's texts (browser tests of the /try page and the sandbox
 * overlay): the characters a Taiwan reader would not write.
 */
import * as OpenCC from 'opencc-js';

/**
 * Characters OpenCC's cn -> tw character table changes that are also ordinary Traditional characters (台灣, 里程,
 * 干擾, 只有, 皇后, 面對, 系統, 松樹, 准許): not counted as Simplified-only.
 */
const ALSO_TRADITIONAL = new Set([...'台里干只后面系松准']);

let cnToTw: ((text: string) => string) | null = null;

/**
 * The distinct Han characters of `text` that exist only in Simplified Chinese: those OpenCC's cn -> tw
 * character conversion (no phrases) changes, less {@link ALSO_TRADITIONAL}. [] for Traditional, Latin or empty text.
 */
export function simplifiedOnly(text: string): string[] {
  const convert = (cnToTw ??= OpenCC.Converter({ from: 'cn', to: 'tw' }));
  return [...new Set([...text].filter((ch) => /\p{Script=Han}/u.test(ch) && !ALSO_TRADITIONAL.has(ch) && convert(ch) !== ch))];
}
