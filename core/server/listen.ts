/**
 * Opening a server's listening socket, with an error an operator can act on: which port, which
 * setting chose it, and what to do when it is taken or needs privileges.
 */
import { CommandError } from "../cli/command.ts";

export class ListenError extends CommandError {
  override name = "ListenError";
  constructor(readonly port: number, readonly setting: string, cause: unknown) {
    super(`cannot listen on port ${port} (${setting}): ${reason(port, cause)}`, { cause });
  }
}

function reason(port: number, cause: unknown): string {
  if (cause instanceof Deno.errors.AddrInUse) {
    return "another program is using it; stop that program or choose another port";
  }
  if (cause instanceof Deno.errors.PermissionDenied && port < 1024) {
    return "ports below 1024 need root or CAP_NET_BIND_SERVICE; grant that or choose a port above 1023";
  }
  return (cause as Error)?.message ?? String(cause);
}

/** Runs `open`, turning a failure to listen into a ListenError for `port`. */
export function listening<T>(port: number, setting: string, open: () => T): T {
  try {
    return open();
  } catch (e) {
    throw new ListenError(port, setting, e);
  }
}
