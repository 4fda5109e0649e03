/**
 * The control port both servers open for operators (Server/Control.hs and `runCPClient` in the
 * reference servers, smp.md §5.7, xftp.md §3.3): a line protocol over plain TCP on 127.0.0.1.
 * Lines end in LF or CRLF and are at most MAX_CONTROL_LINE bytes; answers end in LF. Each
 * connection starts as CPRNone and `auth <password>` may raise it once.
 *
 * This module owns the socket, the lines and the roles; each server parses and answers its own
 * commands in its own output formats, through `handleLine`.
 */
import { constantTimeEqual, utf8 } from "../encoding/bytes.ts";
import { listening } from "./listen.ts";
import { sha256 } from "../crypto/hash.ts";
import { randomBytes } from "../crypto/keys.ts";
import { encodeBase64Url } from "../encoding/base64.ts";

export type ControlRole = "CPRNone" | "CPRUser" | "CPRAdmin";

/** Longer lines are answered with an error and skipped up to the next line end. */
export const MAX_CONTROL_LINE = 4096;

/** One connection, as a server's command handler sees it. */
export interface ControlSession {
  readonly role: ControlRole;
  /** `auth <password>`: the first successful one fixes the role (`controlPortAuth`); returns the answer. */
  auth(password: string): string;
  /** Writes lines ahead of the answer (e.g. progress); nothing for no lines. */
  write(lines: readonly string[]): Promise<void>;
}

/**
 * A server's answer to one line: the lines to write, or "quit" to close the connection. A
 * handler that throws closes the connection too.
 */
export type ControlLineHandler = (
  line: string,
  session: ControlSession,
) => Promise<readonly string[] | "quit">;

/**
 * Fresh admin and user passwords for `init`: 24 random bytes each, as unpadded base64url, which is
 * printable ASCII without '@', ':' or '/', as `auth` and the INI file need.
 */
export function generateControlPasswords(): { readonly admin: string; readonly user: string } {
  return { admin: encodeBase64Url(randomBytes(24)), user: encodeBase64Url(randomBytes(24)) };
}

export interface ControlPortOptions {
  /** 0 picks a free port (tests) */
  readonly port: number;
  /** the control port never listens beyond the loopback interface */
  readonly hostname?: "127.0.0.1";
  /** unset: nobody becomes admin */
  readonly adminPassword?: string;
  /** unset: nobody becomes user */
  readonly userPassword?: string;
  /** written when a connection opens */
  readonly greeting: string;
  readonly handleLine: ControlLineHandler;
}

export interface ControlPort {
  readonly addr: Deno.NetAddr;
  /** Stops listening, closes every control connection and waits for their handlers. */
  close(): Promise<void>;
}

interface PasswordHashes {
  readonly admin?: Uint8Array;
  readonly user?: Uint8Array;
}

export function startControlPort(options: ControlPortOptions): ControlPort {
  const listener = listening(options.port, "[TRANSPORT] control_port", () =>
    Deno.listen({
      hostname: options.hostname ?? "127.0.0.1",
      port: options.port,
      transport: "tcp",
    }));
  const hash = (p: string | undefined) => (p === undefined ? undefined : sha256(utf8.encode(p)));
  const passwords = { admin: hash(options.adminPassword), user: hash(options.userPassword) };
  const connections = new Set<Deno.Conn>();
  const handlers = new Set<Promise<void>>();
  let closing: Promise<void> | undefined;
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        if (closing) {
          closeQuietly(conn);
          break;
        }
        connections.add(conn);
        const h = runSession(conn, options, passwords).finally(() => {
          connections.delete(conn);
          handlers.delete(h);
        });
        handlers.add(h);
      }
    } catch {
      // the listener was closed
    }
  })();
  return {
    addr: listener.addr,
    close() {
      closing ??= (async () => {
        try {
          listener.close();
        } catch {
          // already closed
        }
        for (const conn of connections) closeQuietly(conn);
        await accepting;
        await Promise.allSettled([...handlers]);
      })();
      return closing;
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

/** The role a password gives: both comparisons always run, so timing tells nothing about which matched. */
function controlRoleOf(password: string, passwords: PasswordHashes): ControlRole {
  const given = sha256(utf8.encode(password));
  const isAdmin = passwords.admin !== undefined && constantTimeEqual(given, passwords.admin);
  const isUser = passwords.user !== undefined && constantTimeEqual(given, passwords.user);
  return isAdmin ? "CPRAdmin" : isUser ? "CPRUser" : "CPRNone";
}

async function runSession(
  conn: Deno.Conn,
  options: ControlPortOptions,
  passwords: PasswordHashes,
): Promise<void> {
  let role: ControlRole = "CPRNone";
  const session: ControlSession = {
    get role() {
      return role;
    },
    auth(password) {
      const given = controlRoleOf(password, passwords);
      if (role === "CPRNone") {
        role = given;
        return `Current role is ${role}`;
      }
      return `Current role is ${role}${role === given ? "" : ", start new session to change."}`;
    },
    async write(lines) {
      if (lines.length === 0) return;
      const bytes = utf8.encode(lines.join("\n") + "\n");
      for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
    },
  };
  try {
    await session.write([options.greeting]);
    for await (const line of readLines(conn, MAX_CONTROL_LINE)) {
      if (line === TOO_LONG) {
        await session.write([`error: line longer than ${MAX_CONTROL_LINE} bytes`]);
        continue;
      }
      const answer = await options.handleLine(line, session);
      if (answer === "quit") break;
      await session.write(answer);
    }
  } catch {
    // the client went away, the port is closing, or the handler failed
  } finally {
    closeQuietly(conn);
  }
}

const TOO_LONG = Symbol("line too long");

/** Lines of at most `max` bytes; a longer line yields TOO_LONG once and is skipped. */
async function* readLines(conn: Deno.Conn, max: number): AsyncGenerator<string | typeof TOO_LONG> {
  const chunk = new Uint8Array(4096);
  const decoder = new TextDecoder();
  let line = new Uint8Array(0);
  let discarding = false;
  const append = (part: Uint8Array) => {
    const joined = new Uint8Array(line.length + part.length);
    joined.set(line);
    joined.set(part, line.length);
    line = joined;
  };
  while (true) {
    const n = await conn.read(chunk);
    if (n === null) return;
    let start = 0;
    for (let i = 0; i < n; i++) {
      if (chunk[i] !== 0x0a) continue;
      const part = chunk.subarray(start, i);
      start = i + 1;
      if (discarding) {
        discarding = false;
        continue;
      }
      append(part);
      const bytes = line;
      line = new Uint8Array(0);
      if (bytes.length > max) {
        yield TOO_LONG;
        continue;
      }
      const text = decoder.decode(bytes);
      yield text.endsWith("\r") ? text.slice(0, -1) : text;
    }
    if (discarding) continue;
    append(chunk.subarray(start, n));
    if (line.length > max) {
      line = new Uint8Array(0);
      discarding = true;
      yield TOO_LONG;
    }
  }
}

/** `show` of a UTCTime, as the reference's control ports print times: `2024-01-15 10:20:30.5 UTC`. */
export function showUtcTime(t: Date): string {
  const iso = t.toISOString();
  const frac = iso.slice(20, 23).replace(/0+$/, "");
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? "." + frac : ""} UTC`;
}
