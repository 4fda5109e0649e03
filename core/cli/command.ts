/**
 * What an application hands to the dispatcher (`core/cli/dispatch.ts`): a name, one line of help,
 * its `--help` texts, and how to run it; and the two kinds of error a command ends with.
 */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Full `--help` text of the command. */
  readonly usage: string;
  /**
   * The `--help` text of each subcommand, by name (`simplex relay init --help`). A subcommand
   * named here also names the command in error messages (`simplex relay init: …`).
   */
  readonly subcommands?: Readonly<Record<string, string>>;
  /** Runs with the arguments after the command name; resolves to the process exit code. */
  run(args: string[]): Promise<number>;
}

/** A command line that cannot be run as given: printed with a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * A command that could not do its job: printed as one line, exit code 1. The message names the
 * object (a file, a server address, a port) and says what to do about it.
 */
export class CommandError extends Error {
  override name = "CommandError";
}

/** node:util parseArgs reports a bad option as a TypeError with an `ERR_PARSE_ARGS_*` code. */
export function isParseArgsError(e: unknown): e is TypeError {
  return e instanceof TypeError && (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") === true;
}
