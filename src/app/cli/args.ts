/**
 * Command-line argument errors in our own words. node:util parseArgs throws TypeErrors with codes
 * ERR_PARSE_ARGS_UNKNOWN_OPTION, ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL and ERR_PARSE_ARGS_INVALID_OPTION_VALUE whose
 * messages explain parseArgs itself ("To specify a positional argument starting with a '-', place it at the end
 * of the command after '--' …"); the CLI prints {@link argsErrorMessage} instead, then the command's usage.
 */

/** True for an error thrown by node:util parseArgs. */
export function isArgsError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

/** The first '…'-quoted part of a parseArgs message (the option or argument it is about). */
function quoted(message: string): string {
  const start = message.indexOf("'");
  const end = start === -1 ? -1 : message.indexOf("'", start + 1);
  return end === -1 ? '' : message.slice(start + 1, end);
}

/**
 * One line saying what was wrong with the arguments, e.g. `unknown option --bogus`, `unexpected argument
 * "extra"`, `option --platform needs a value`, `option --json takes no value`.
 * @param err an error for which {@link isArgsError} is true (anything else gives its own message)
 */
export function argsErrorMessage(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const message = e.message ?? String(err);
  const what = quoted(message);
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return what ? `unknown option ${what}` : 'unknown option';
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return what ? `unexpected argument ${JSON.stringify(what)}` : 'unexpected argument';
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const option = what.split(' ')[0] ?? what;
      if (message.includes('argument missing')) return `option ${option} needs a value`;
      if (message.includes('does not take an argument')) return `option ${option} takes no value`;
      return `bad value for option ${option}`;
    }
    default:
      return message.split('\n')[0]!;
  }
}
