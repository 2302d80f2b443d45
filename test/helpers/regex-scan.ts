/**
 * Finds every regular expression written in TypeScript source files, statically (TypeScript's own
 * parser, no module is imported): regex literals (`/…/gu`) and `new RegExp(…)` / `RegExp(…)` calls
 * whose pattern and flags are built from string literals, template literals, `+`, `[…].join(sep)`
 * and top-level `const` names of the same file. A `RegExp(…)` call built any other way is reported
 * as unresolved (its test then fails), so a new regular expression is never skipped silently.
 * Used by test/src/redos.test.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** One regular expression found in a source file. */
export interface FoundRegex {
  /** Path relative to the scanned root, with the 1-based line: "src/bot/intents.ts:13". */
  where: string;
  /** The pattern (as `RegExp.prototype.source` would give it). */
  source: string;
  flags: string;
}

/** A `RegExp(…)` call whose pattern could not be computed statically. */
export interface UnresolvedRegex {
  where: string;
  /** The call's text, for the failure message. */
  text: string;
}

/** Every `.ts` file (not `.d.ts`) under `dir`, sorted. */
export function tsFilesUnder(dir: string): string[] {
  const out: string[] = [];
  (function walk(d: string) {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
    }
  })(dir);
  return out;
}

/**
 * The regular expressions of one file.
 * @param file absolute path
 * @param root the path `where` is relative to
 */
export function regexesIn(file: string, root: string): { found: FoundRegex[]; unresolved: UnresolvedRegex[] } {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const rel = relative(root, file);
  const at = (node: ts.Node) => `${rel}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`;

  // Top-level `const NAME = <initializer>` of this file, for resolving names in RegExp(…) arguments.
  const consts = new Map<string, ts.Expression>();
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st) || !(st.declarationList.flags & ts.NodeFlags.Const)) continue;
    for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name) && d.initializer) consts.set(d.name.text, d.initializer);
  }

  /** The string value of `e`, or undefined when it cannot be computed statically. */
  function evaluate(e: ts.Expression, depth = 0): string | undefined {
    if (depth > 20) return undefined;
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
    if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e)) return evaluate(e.expression, depth + 1);
    if (ts.isTemplateExpression(e)) {
      let s = e.head.text;
      for (const span of e.templateSpans) {
        const v = evaluate(span.expression, depth + 1);
        if (v === undefined) return undefined;
        s += v + span.literal.text;
      }
      return s;
    }
    if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) {
      const l = evaluate(e.left, depth + 1);
      const r = evaluate(e.right, depth + 1);
      return l === undefined || r === undefined ? undefined : l + r;
    }
    if (ts.isIdentifier(e)) {
      const init = consts.get(e.text);
      return init ? evaluate(init, depth + 1) : undefined;
    }
    if (ts.isPropertyAccessExpression(e) && e.name.text === 'source') {
      const inner = ts.isIdentifier(e.expression) ? consts.get(e.expression.text) : e.expression;
      if (inner && ts.isRegularExpressionLiteral(inner)) return splitLiteral(inner.text).source;
      return undefined;
    }
    // [a, b, …].join(sep)
    if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === 'join') {
      const target = e.expression.expression;
      const arr = ts.isIdentifier(target) ? consts.get(target.text) : target;
      if (!arr || !ts.isArrayLiteralExpression(arr)) return undefined;
      const sep = e.arguments[0] ? evaluate(e.arguments[0], depth + 1) : ',';
      if (sep === undefined) return undefined;
      const parts = arr.elements.map((x) => evaluate(x, depth + 1));
      return parts.some((p) => p === undefined) ? undefined : parts.join(sep);
    }
    return undefined;
  }

  const found: FoundRegex[] = [];
  const unresolved: UnresolvedRegex[] = [];
  (function visit(node: ts.Node) {
    if (ts.isRegularExpressionLiteral(node)) {
      found.push({ where: at(node), ...splitLiteral(node.text) });
    } else if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && ts.isIdentifier(node.expression) && node.expression.text === 'RegExp') {
      const args = node.arguments ?? [];
      const source = args[0] ? evaluate(args[0]) : undefined;
      const flags = args[1] ? evaluate(args[1]) : '';
      if (source === undefined || flags === undefined) unresolved.push({ where: at(node), text: node.getText(sf).slice(0, 120) });
      else found.push({ where: at(node), source, flags });
    }
    ts.forEachChild(node, visit);
  })(sf);
  return { found, unresolved };
}

/** "/a+b/gu" -> { source: 'a+b', flags: 'gu' }. */
function splitLiteral(literal: string): { source: string; flags: string } {
  const end = literal.lastIndexOf('/');
  return { source: literal.slice(1, end), flags: literal.slice(end + 1) };
}
