import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { argsErrorMessage, isArgsError } from './args.ts';
import { BotError, UsageError } from '../../errors.ts';
import { parsePublicKey, parseSigningKey, SIGNING_KEY_VARIABLE, type EvidencePublicKey } from '../../evidence/key.ts';
import { verifyExport, type VerifyProblem, type VerifyReport } from '../../evidence/verify.ts';

/** Usage of `privacy-bot evidence …` (also part of the main usage). */
export const EVIDENCE_USAGE = `  evidence pubkey                         the public key of EVIDENCE_SIGNING_KEY (PEM) and its fingerprint
  evidence verify <export.csv> [--pubkey <file> | --pubkey=<key>]
                                          check a signed export offline: exit 0 intact, 1 tampered or
                                          unsigned, 2 usage, 3 intact but checked only against the key
                                          inside the file (no --pubkey) (docs/EVIDENCE.md)`;


/**
 * Exit code of `evidence verify` for a file whose signature is valid against the public key in its own trailer, with
 * no --pubkey given: not 0, since a file edited and signed again with another key passes that check too.
 */
export const EXIT_OWN_KEY_ONLY = 3;

/** Problems that mean the rows' hash chain does not hold. */
const CHAIN_PROBLEMS: ReadonlySet<VerifyProblem['kind']> = new Set(['altered', 'removed', 'inserted', 'reordered', 'head']);

/** The report in words: what the file is, then INTACT or the problems. */
export function formatVerifyReport(file: string, r: VerifyReport): string {
  const out: string[] = [`${file}:`];
  if (r.kind) {
    out.push(`  ${r.kind} export of broadcast ${r.broadcastId} (notice ${r.noticeId} version ${r.noticeVersion}), exported ${r.exportedAt}`);
    if (r.noticeTitle) out.push(`  notice title: ${[r.noticeTitle.zh, r.noticeTitle.en].filter((x) => x && x.trim()).join(' / ')}`);
    const indent = (text: string) => text.replace(/\r?\n/g, '\n         ');
    if (r.noticeSent) {
      // The texts the employees actually got, in the languages they got (Traditional as converted when not written).
      const sent = (['zh', 'zh-TW', 'en'] as const).filter((l) => r.noticeSent![l]);
      if (sent.length === 0) out.push('  notice text (what the employees were sent): nothing sent yet');
      else out.push(`  notice text (what the employees were sent, in ${sent.join(', ')}):`);
      for (const lang of sent) out.push(`    [${lang}] ${indent(`${r.noticeSent[lang]!.title}\n${r.noticeSent[lang]!.body}`)}`);
    } else if (r.noticeBody) {
      // An older export: which languages were sent is not in it, so this is the text as the admin wrote it.
      out.push('  notice text (as written; this export does not say which languages were sent):');
      for (const [lang, text] of [['zh', r.noticeBody.zh], ['zh-TW', r.noticeBody['zh-TW']], ['en', r.noticeBody.en]] as const) {
        if (text) out.push(`    [${lang}] ${indent(text)}`);
      }
    }
    if (r.createdBy !== null) out.push(`  broadcast created by: ${r.createdBy}`);
    if (r.audienceText !== null) out.push(`  audience: ${r.audienceText}`);
    if (r.audience !== null) out.push(`  audience${r.audienceText !== null ? ' (as recorded)' : ''}: ${JSON.stringify(r.audience)}`);
    out.push(`  ${r.rows} row(s) in the file; signed chain head: ${r.chainRows} audit row(s), ${r.chainHead}`);
  }
  const signature = {
    valid: `valid, key id ${r.keyId}${r.keySource === 'file' ? ' — the key was taken from the file itself: compare this id with the one the company published, or pass --pubkey' : ' (the key given with --pubkey)'}`,
    invalid: `INVALID${r.keyId ? ` for key id ${r.keyId}` : ''}`,
    unsigned: 'none: the file is UNSIGNED',
    missing: 'missing',
  }[r.signature];
  out.push(`  signature: ${signature}`);
  if (r.kind === 'audit' && !r.problems.some((p) => p.kind === 'malformed' || p.kind === 'not-an-export')) {
    // What the chain check found, said whether or not the file is signed (an unsigned file's only check).
    const broken = r.problems.filter((p) => CHAIN_PROBLEMS.has(p.kind)).length;
    out.push(`  hash chain: ${broken === 0 ? `recomputed from the ${r.rows} row(s): consistent, and it ends at the trailer's chain head` : `BROKEN: ${broken} problem(s) listed below`}`);
  }
  if (r.bomRestored) out.push('  note: the file had lost its byte order mark (the program that saved it dropped it); the signature matches with it put back');
  if (r.ok && r.keySource === 'file') {
    // Anyone can edit a file and sign it again with a key of their own: the key inside the file proves nothing.
    out.push(`INTACT ONLY AGAINST THE FILE'S OWN KEY (${r.keyId}): unchanged since whoever holds that key signed it. Whether that is the company is not checked — pass --pubkey with the company's published key (exit 3 until then)`);
  } else if (r.ok) {
    out.push(r.kind === 'audit'
      ? `INTACT: every row is in place and unchanged since the export (chain recomputed from the rows, signature checked)`
      : `INTACT: the file is unchanged since the export (signature checked)`);
  } else {
    const notExport = r.problems.length > 0 && r.problems.every((p) => p.kind === 'not-an-export');
    const tampered = r.problems.some((p) => p.kind !== 'unsigned' && p.kind !== 'not-an-export');
    out.push(`${notExport ? 'NOT AN EXPORT' : tampered ? 'TAMPERED' : 'NOT VERIFIABLE'}: ${r.problems.length} problem(s)`);
    for (const p of r.problems) out.push(`  - ${p.message}`);
  }
  return `${out.join('\n')}\n`;
}

/** `--pubkey` is a file holding the key, or the key itself. */
async function readPublicKey(arg: string): Promise<EvidencePublicKey> {
  let text = arg;
  // A path that is not there (not a key written out: no PEM header, and a path's shape) is named as a missing file.
  if (!existsSync(arg) && !arg.includes('-----BEGIN') && ((/^(?:\.{0,2}\/|~\/|[a-z]:\\)/i.test(arg) && !arg.endsWith('=')) || /\.(?:pem|pub|key|txt)$/i.test(arg))) {
    throw new UsageError(`--pubkey: cannot read ${arg}: no such file`);
  }
  if (existsSync(arg)) {
    try {
      text = await readFile(arg, 'utf8');
    } catch (err) {
      throw new UsageError(`--pubkey: cannot read ${arg}: ${(err as Error).message}`);
    }
  }
  try {
    return parsePublicKey(text);
  } catch (err) {
    throw new UsageError(`--pubkey: ${(err as Error).message}`);
  }
}

/**
 * Runs `privacy-bot evidence <pubkey|verify> …` (see {@link EVIDENCE_USAGE}). Reads neither the
 * configuration nor any store: `pubkey` needs only EVIDENCE_SIGNING_KEY, `verify` only the file
 * (and the key given). Resolves to the exit code: 0 ok / intact, 1 tampered or unsigned,
 * 2 usage (including EVIDENCE_SIGNING_KEY unset or invalid for `pubkey`), 3 ({@link EXIT_OWN_KEY_ONLY}) intact
 * against the key inside the file only.
 */
export async function runEvidenceCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [sub, ...args] = argv;
  try {
    switch (sub) {
      case 'pubkey': {
        parseArgs({ args, options: {} });
        const value = env[SIGNING_KEY_VARIABLE]?.trim();
        if (!value) throw new UsageError(`${SIGNING_KEY_VARIABLE} is not set: there is no key whose public half to print (docs/EVIDENCE.md)`);
        const { publicKey } = parseSigningKey(value);
        process.stdout.write(`${publicKey.pem.trimEnd()}\nkey id:      ${publicKey.keyId}\nfingerprint: SHA256:${publicKey.fingerprint}\n`);
        return 0;
      }
      case 'verify': {
        const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { pubkey: { type: 'string' } } });
        if (positionals.length !== 1) throw new UsageError('give one export file');
        const file = positionals[0]!;
        const publicKey = values.pubkey !== undefined ? await readPublicKey(values.pubkey) : undefined;
        let bytes: Buffer;
        try {
          bytes = await readFile(file);
        } catch (err) {
          throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
        }
        const report = verifyExport(bytes, publicKey ? { publicKey } : {});
        process.stdout.write(formatVerifyReport(file, report));
        return !report.ok ? 1 : report.keySource === 'file' ? EXIT_OWN_KEY_ONLY : 0;
      }
      default:
        throw new UsageError(sub ? `unknown subcommand "${sub}"` : 'give a subcommand');
    }
  } catch (err) {
    if (err instanceof UsageError || isArgsError(err)) {
      process.stderr.write(`privacy-bot: evidence ${sub ?? ''}: ${argsErrorMessage(err)}\n${EVIDENCE_USAGE}\n`);
      return 2;
    }
    if (err instanceof BotError) {
      process.stderr.write(`privacy-bot: ${err.code}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
