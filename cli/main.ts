/**
 * The `simplex` executable: the applications it runs, handed to the dispatcher in core/cli. Only
 * commands that work are registered here.
 */
import type { Command } from "../core/cli/command.ts";
import { main } from "../core/cli/dispatch.ts";
import { relayCommand } from "../relay/cli.ts";
import { xftpServerCommand } from "../xftp/cli.ts";
import { xftpCommand } from "../xftp/client_cli.ts";
import { adminCommand } from "../admin/cli.ts";
import type { PanelStarter } from "../core/server/panel_source.ts";
import { VERSION } from "../core/version.ts";

export { VERSION };

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

if (import.meta.main) {
  Deno.exit(await main(Deno.args, COMMANDS, VERSION));
}
