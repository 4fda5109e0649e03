/**
 * `simplex` with the `admin` command, for the subprocess tests: the real dispatcher of cli/main.ts,
 * with `admin` added when it is not registered there yet.
 */
import { COMMANDS, main } from "../../cli/main.ts";
import { admin } from "../../admin/cli.ts";

const commands = COMMANDS.some((c) => c.name === "admin") ? COMMANDS : [...COMMANDS, admin];
Deno.exit(await main(Deno.args, commands));
