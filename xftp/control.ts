/**
 * The XFTP server's control port (Server/Control.hs and `runCPServer` in Server.hs, xftp.md
 * §3.3): a line protocol over TCP on 127.0.0.1. `auth <password>` sets the role once per
 * connection; `delete` and `block` take a recipient ID and need the user or admin role.
 *
 * Logging names commands only: never passwords or file IDs.
 */
import { decodeBase64Url } from "../core/encoding/base64.ts";
import { constantTimeEqual, utf8 } from "../core/encoding/bytes.ts";
import { sha256 } from "../core/crypto/hash.ts";
import { type BlockingInfo, decodeBlockingInfo } from "../core/smp/errors.ts";

export type ControlRole = "CPRNone" | "CPRUser" | "CPRAdmin";

export type ControlCommand =
  | { readonly type: "auth"; readonly password: string }
  | { readonly type: "stats-rts" | "help" | "quit" | "skip" }
  | { readonly type: "delete"; readonly recipientId: Uint8Array }
  | { readonly type: "block"; readonly recipientId: Uint8Array; readonly info: BlockingInfo };

export const CONTROL_GREETING = "XFTP server control port\n'help' for supported commands";
export const CONTROL_HELP = "commands: stats-rts, delete, help, quit";
const MAX_LINE = 4096;

/** What the server does for `delete` and `block`: "ok" or the error text (e.g. `AUTH`). */
export interface XftpControlTarget {
  deleteFile(recipientId: Uint8Array): string;
  blockFile(recipientId: Uint8Array, info: BlockingInfo): string;
}

function parseFileId(text: string | undefined): Uint8Array | undefined {
  if (text === undefined || !/^[A-Za-z0-9_-]+={0,2}$/.test(text)) return undefined;
  try {
    return decodeBase64Url(text);
  } catch {
    return undefined;
  }
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
    case "help":
    case "quit":
      return { type: name };
    case "auth":
      if (!arg || !/^[\x21-\x7e]+$/.test(arg) || /[@:/]/.test(arg)) {
        return { error: "Failed reading: invalid character in BasicAuth" };
      }
      return { type: "auth", password: arg };
    case "delete": {
      const recipientId = parseFileId(arg);
      return recipientId ? { type: "delete", recipientId } : { error: "Failed reading: bad file ID" };
    }
    case "block": {
      const sp2 = arg?.indexOf(" ") ?? -1;
      const recipientId = sp2 > 0 ? parseFileId(arg!.slice(0, sp2)) : undefined;
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

export interface ControlPort {
  readonly addr: Deno.NetAddr;
  close(): Promise<void>;
}

export function startControlPort(o: ControlPortOptions): ControlPort {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: o.port, transport: "tcp" });
  const hash = (p: string | undefined) => (p === undefined ? undefined : sha256(utf8.encode(p)));
  const passwords = { admin: hash(o.adminPassword), user: hash(o.userPassword) };
  const connections = new Set<Deno.Conn>();
  const sessions = new Set<Promise<void>>();
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        connections.add(conn);
        const s = runSession(conn, o, passwords).finally(() => {
          connections.delete(conn);
          sessions.delete(s);
        });
        sessions.add(s);
      }
    } catch {
      // the listener was closed
    }
  })();
  return {
    addr: listener.addr,
    async close() {
      try {
        listener.close();
      } catch {
        // already closed
      }
      for (const c of connections) closeQuietly(c);
      await accepting;
      await Promise.allSettled([...sessions]);
    },
  };
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

async function* lines(conn: Deno.Conn): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(4096);
  let pending = "";
  while (true) {
    const n = await conn.read(buffer);
    if (n === null) return;
    pending += decoder.decode(buffer.subarray(0, n), { stream: true });
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      yield line.endsWith("\r") ? line.slice(0, -1) : line;
    }
    if (pending.length > MAX_LINE) {
      pending = "";
      yield "\0too long";
    }
  }
}

async function runSession(
  conn: Deno.Conn,
  o: ControlPortOptions,
  passwords: { admin?: Uint8Array; user?: Uint8Array },
): Promise<void> {
  let role: ControlRole = "CPRNone";
  const write = async (text: string) => {
    const bytes = utf8.encode(text + "\n");
    for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
  };
  try {
    await write(CONTROL_GREETING);
    for await (const line of lines(conn)) {
      const cmd = line === "\0too long"
        ? { error: `line longer than ${MAX_LINE} bytes` }
        : parseControlCommand(line);
      if ("error" in cmd) {
        await write(`error: ${cmd.error}`);
        continue;
      }
      if (cmd.type === "quit") break;
      if (cmd.type !== "auth" && cmd.type !== "help" && cmd.type !== "skip") {
        o.log?.(`control port: ${cmd.type}`);
      }
      switch (cmd.type) {
        case "auth": {
          const given = sha256(utf8.encode(cmd.password));
          // both comparisons always run
          const isAdmin = passwords.admin !== undefined && constantTimeEqual(given, passwords.admin);
          const isUser = passwords.user !== undefined && constantTimeEqual(given, passwords.user);
          const newRole: ControlRole = isAdmin ? "CPRAdmin" : isUser ? "CPRUser" : "CPRNone";
          if (role === "CPRNone") {
            role = newRole;
            await write(`Current role is ${role}`);
          } else {
            await write(`Current role is ${role}${role === newRole ? "" : ", start new session to change."}`);
          }
          break;
        }
        case "stats-rts": {
          const m = Deno.memoryUsage();
          await write(
            `memory: rss=${m.rss}, heapTotal=${m.heapTotal}, heapUsed=${m.heapUsed}, external=${m.external}`,
          );
          break;
        }
        case "delete":
        case "block":
          if (role === "CPRNone") {
            o.log?.("control port: unauthorized command");
            await write("AUTH");
            break;
          }
          await write(
            cmd.type === "delete"
              ? o.target.deleteFile(cmd.recipientId)
              : o.target.blockFile(cmd.recipientId, cmd.info),
          );
          break;
        case "help":
          await write(CONTROL_HELP);
          break;
        case "skip":
          break;
      }
    }
  } catch {
    // the client went away or the port is closing
  } finally {
    closeQuietly(conn);
  }
}
