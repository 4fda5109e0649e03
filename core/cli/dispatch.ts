/**
 * `simplex <command> ...`: finds the command, answers `--help` for it and for its subcommands, and
 * turns the errors a command ends with into one line on stderr and an exit code (0 ok, 1 the
 * command failed, 2 the command line is wrong).
 */
import { type Command, CommandError, isParseArgsError, UsageError } from "./command.ts";

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

const consoleOutput: Output = { out: (t) => console.log(t), err: (t) => console.error(t) };

export function usage(commands: readonly Command[]): string {
  const width = Math.max(8, ...commands.map((c) => c.name.length));
  return [
    "simplex: the SimpleX messaging platform as one toolkit",
    "",
    "Usage: simplex <command> [options]",
    "       simplex <command> --help",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Options:",
    "  -h, --help     show this help",
    "  -V, --version  show the version",
  ].join("\n");
}

/** `-h`/`--help` anywhere before a `--`. */
function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === "-h" || a === "--help");
}

/** Runs the CLI and resolves to the exit code. */
export async function main(
  args: string[],
  commands: readonly Command[],
  version: string,
  io: Output = consoleOutput,
): Promise<number> {
  const [first, ...rest] = args;
  if (first === undefined || first === "-h" || first === "--help" || first === "help") {
    io.out(usage(commands));
    return first === undefined ? 2 : 0;
  }
  if (first === "-V" || first === "--version") {
    io.out(`simplex ${version}`);
    return 0;
  }
  const command = commands.find((c) => c.name === first);
  if (!command) {
    const what = first.startsWith("-") ? "option" : "command";
    io.err(`simplex: unknown ${what} '${first}'; "simplex --help" lists the commands`);
    return 2;
  }
  const sub = rest[0] !== undefined && command.subcommands && Object.hasOwn(command.subcommands, rest[0])
    ? rest[0]
    : undefined;
  if (asksForHelp(rest)) {
    io.out(sub ? command.subcommands![sub] : command.usage);
    return 0;
  }
  const label = sub ? `simplex ${command.name} ${sub}` : `simplex ${command.name}`;
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError || isParseArgsError(e)) {
      io.err(`${label}: ${e.message}; "${label} --help" lists the options`);
      return 2;
    }
    if (e instanceof CommandError) {
      io.err(`${label}: ${e.message}`);
      return 1;
    }
    // an I/O error that no command turned into a message of its own: one line, no stack
    if (e instanceof Error && Object.values(Deno.errors).some((k) => e instanceof k)) {
      io.err(`${label}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
