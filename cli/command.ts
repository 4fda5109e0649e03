/** What an application hands to `cli/main.ts`: a name, one line of help, and how to run it. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Full `--help` text of the command. */
  readonly usage: string;
  /** Runs with the arguments after the command name; resolves to the process exit code. */
  run(args: string[]): Promise<number>;
}

/** A usage error: printed with the usage text, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
