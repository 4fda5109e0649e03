/**
 * `simplex <command> ...`: parses the command name and global flags and hands over to the
 * application. Only commands that work are registered here.
 */
import { type Command, UsageError } from "./command.ts";
import { relayCommand } from "../relay/cli.ts";
import { xftpServerCommand } from "../xftp/cli.ts";
import { xftpCommand } from "../xftp/client_cli.ts";
import { adminCommand } from "../admin/cli.ts";
import type { PanelStarter } from "../core/server/panel_source.ts";

export { VERSION } from "../core/version.ts";
import { VERSION } from "../core/version.ts";

/**
 * The servers get the admin panel from here, so that no application imports another. It is loaded
 * only when a server's `[ADMIN]` asks for it: a relay without a panel never loads Hono.
 */
const panelStarter: PanelStarter = async (config, servers) =>
  (await import("../admin/panel/serve.ts")).startPanel(config, servers);

export const COMMANDS: readonly Command[] = [
  relayCommand(panelStarter),
  xftpServerCommand(panelStarter),
  xftpCommand,
  adminCommand,
];

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

const consoleOutput: Output = { out: (t) => console.log(t), err: (t) => console.error(t) };

export function usage(commands: readonly Command[]): string {
  const width = Math.max(8, ...commands.map((c) => c.name.length));
  const lines = [
    "simplex: the SimpleX messaging platform as one toolkit",
    "",
    "Usage: simplex <command> [options]",
    "       simplex <command> --help",
    "",
    "Commands:",
    ...(commands.length === 0
      ? ["  (none yet in this build)"]
      : commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`)),
    "",
    "Options:",
    "  -h, --help     show this help",
    "  -V, --version  show the version",
  ];
  return lines.join("\n");
}

/** Runs the CLI and resolves to the exit code (0 ok, 1 failure, 2 usage error). */
export async function main(
  args: string[],
  commands: readonly Command[] = COMMANDS,
  io: Output = consoleOutput,
): Promise<number> {
  const [first, ...rest] = args;
  if (first === undefined || first === "-h" || first === "--help" || first === "help") {
    io.out(usage(commands));
    return first === undefined ? 2 : 0;
  }
  if (first === "-V" || first === "--version") {
    io.out(`simplex ${VERSION}`);
    return 0;
  }
  if (first.startsWith("-")) {
    io.err(`simplex: unknown option '${first}'\n`);
    io.err(usage(commands));
    return 2;
  }
  const command = commands.find((c) => c.name === first);
  if (!command) {
    io.err(`simplex: unknown command '${first}'\n`);
    io.err(usage(commands));
    return 2;
  }
  if (rest[0] === "-h" || rest[0] === "--help") {
    io.out(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`simplex ${command.name}: ${e.message}\n`);
      io.err(command.usage);
      return 2;
    }
    throw e;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
