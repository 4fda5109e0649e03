/**
 * The XFTP server's control port commands (Server/Control.hs and `runCPServer` in Server.hs,
 * xftp.md §3.3), over the line protocol and roles of core/server/control_port.ts. `delete` and
 * `block` take a recipient ID and need the user or admin role.
 *
 * Logging names commands only: never passwords or file IDs.
 */
import { parseBase64UrlId } from "../core/encoding/base64.ts";
import {
  type ControlPort,
  type ControlSession,
  showUtcTime,
  startControlPort as startLineControlPort,
} from "../core/server/control_port.ts";
import { type BlockingInfo, decodeBlockingInfo } from "../core/smp/errors.ts";
import { formatOverview, type PanelOverview } from "../core/server/panel_source.ts";

export type ControlCommand =
  | { readonly type: "auth"; readonly password: string }
  | { readonly type: "stats-rts" | "help" | "quit" | "skip" }
  | { readonly type: "stats" }
  | { readonly type: "overview" }
  | { readonly type: "delete"; readonly recipientId: Uint8Array }
  | { readonly type: "block"; readonly recipientId: Uint8Array; readonly info: BlockingInfo };

export const CONTROL_GREETING = "XFTP server control port\n'help' for supported commands";
export const CONTROL_HELP = "commands: stats-rts, delete, help, quit, stats, overview";

/** What the server does for `delete` and `block`: "ok" or the error text (e.g. `AUTH`). */
export interface XftpControlTarget {
  deleteFile(recipientId: Uint8Array): string;
  blockFile(recipientId: Uint8Array, info: BlockingInfo): string;
  /** the counters (Server/Stats.hs names) and the start of their period */
  stats(): { readonly fromTime: Date; readonly counters: Readonly<Record<string, number>> };
  overview(): PanelOverview;
}

/** Parses one line (without its line end); the error is the text after `error: `. */
export function parseControlCommand(line: string): ControlCommand | { readonly error: string } {
  const sp = line.indexOf(" ");
  const name = sp < 0 ? line : line.slice(0, sp);
  const arg = sp < 0 ? undefined : line.slice(sp + 1);
  switch (name) {
    case "":
      return { type: "skip" };
    case "stats-rts":
    case "stats":
    case "overview":
    case "help":
    case "quit":
      return arg === undefined ? { type: name } as ControlCommand : { error: "endOfInput" };
    case "auth":
      if (!arg || !/^[\x21-\x7e]+$/.test(arg) || /[@:/]/.test(arg)) {
        return { error: "Failed reading: invalid character in BasicAuth" };
      }
      return { type: "auth", password: arg };
    case "delete": {
      const recipientId = parseBase64UrlId(arg);
      return recipientId ? { type: "delete", recipientId } : { error: "Failed reading: bad file ID" };
    }
    case "block": {
      const sp2 = arg?.indexOf(" ") ?? -1;
      const recipientId = sp2 > 0 ? parseBase64UrlId(arg!.slice(0, sp2)) : undefined;
      if (!recipientId) return { error: "Failed reading: bad file ID" };
      const info = decodeBlockingInfo(arg!.slice(sp2 + 1));
      return info ? { type: "block", recipientId, info } : { error: "Failed reading: bad BlockingInfo" };
    }
    default:
      return { error: "Failed reading: bad ControlProtocol command" };
  }
}

export interface ControlPortOptions {
  /** 0 picks a free port (tests) */
  readonly port: number;
  readonly adminPassword?: string;
  readonly userPassword?: string;
  readonly target: XftpControlTarget;
  readonly log?: (line: string) => void;
}

export function startControlPort(o: ControlPortOptions): ControlPort {
  return startLineControlPort({
    port: o.port,
    adminPassword: o.adminPassword,
    userPassword: o.userPassword,
    greeting: CONTROL_GREETING,
    handleLine: (line, session) => Promise.resolve(answer(parseControlCommand(line), session, o)),
  });
}

function answer(
  cmd: ControlCommand | { readonly error: string },
  session: ControlSession,
  o: ControlPortOptions,
): readonly string[] | "quit" {
  if ("error" in cmd) return [`error: ${cmd.error}`];
  if (cmd.type === "quit") return "quit";
  if (cmd.type !== "auth" && cmd.type !== "help" && cmd.type !== "skip") {
    o.log?.(`control port: ${cmd.type}`);
  }
  switch (cmd.type) {
    case "auth":
      return [session.auth(cmd.password)];
    case "stats-rts": {
      const m = Deno.memoryUsage();
      return [
        `memory: rss=${m.rss}, heapTotal=${m.heapTotal}, heapUsed=${m.heapUsed}, external=${m.external}`,
      ];
    }
    case "stats":
    case "overview":
    case "delete":
    case "block":
      if (session.role === "CPRNone") {
        o.log?.("control port: unauthorized command");
        return ["AUTH"];
      }
      return authorized(cmd, o.target);
    case "help":
      return [CONTROL_HELP];
    case "skip":
      return [];
  }
}

function authorized(
  cmd: Extract<ControlCommand, { type: "stats" | "overview" | "delete" | "block" }>,
  target: XftpControlTarget,
): string[] {
  switch (cmd.type) {
    case "stats": {
      const s = target.stats();
      return [
        `fromTime: ${showUtcTime(s.fromTime)}`,
        ...Object.entries(s.counters).map(([k, v]) => `${k}: ${v}`),
      ];
    }
    case "overview":
      return formatOverview(target.overview());
    case "delete":
      return [target.deleteFile(cmd.recipientId)];
    case "block":
      return [target.blockFile(cmd.recipientId, cmd.info)];
  }
}
