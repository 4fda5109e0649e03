/**
 * A client for the control port of a relay (SMP) or an XFTP server (smp.md §5.7, xftp.md §3.3):
 * connects over TCP, tells the server kind from the greeting, authenticates and runs commands,
 * returning typed values parsed from the servers' text output. Used by `simplex admin` and by the
 * admin panel's remote mode; it writes nothing to a terminal.
 *
 * The protocol has no end-of-response marker, and a server answers one line at a time in order.
 * So each command is sent followed by `help`, whose answer (`commands: …`) every role may ask for
 * and no other command prints: the response is the lines before it.
 */

import {
  liveValues,
  type PanelOverview,
  parseOverview,
  type ServerKind,
} from "../core/server/panel_source.ts";
import { parseHostPort } from "../core/encoding/host_port.ts";
import { parseServerInfo, type ServerInfo } from "./server_info.ts";
import { CommandError } from "../core/cli/command.ts";

export type { ServerInfo, ServerKind };
export type ControlRole = "CPRNone" | "CPRUser" | "CPRAdmin";

/**
 * Base of every error this module throws. `message` is meant for an operator: it names the control
 * port's address and says what to do, so `simplex admin` prints it as its one line (a CommandError).
 */
export class ControlError extends CommandError {
  override name = "ControlError";
}

/** The way to turn a control port on, for the messages that need it. */
const ENABLE_CONTROL_PORT =
  "start the server with its control port on ([TRANSPORT] control_port in its INI " +
  `file; "simplex relay control-port" turns it on for a relay set up without it, then restart the relay)`;

/** Nothing listens at the address. */
export class ConnectionRefusedError extends ControlError {
  override name = "ConnectionRefusedError";
  constructor(readonly address: string, cause?: unknown) {
    super(`the control port at ${address} refused the connection: ${ENABLE_CONTROL_PORT}`, { cause });
  }
}

/** `auth` left the session at CPRNone: the password matches neither the admin nor the user one. */
export class WrongPasswordError extends ControlError {
  override name = "WrongPasswordError";
  constructor(readonly address: string) {
    super(
      `the control port at ${address} refused the password: use [AUTH] control_port_admin_password ` +
        "or control_port_user_password from the server's INI file",
    );
  }
}

/** The server answered `AUTH`: the session's role lacks the right to run the command. */
export class RoleRefusedError extends ControlError {
  override name = "RoleRefusedError";
  constructor(readonly address: string, readonly command: string, readonly role: ControlRole) {
    super(
      `the control port at ${address} does not allow '${command}' for role ${role}` +
        (role === "CPRUser" ? ": it needs the admin password ([AUTH] control_port_admin_password)" : ""),
    );
  }
}

/** The server kind has no such command (e.g. `clients` on an XFTP server). */
export class UnsupportedCommandError extends ControlError {
  override name = "UnsupportedCommandError";
  constructor(readonly address: string, readonly command: string, readonly kind: ServerKind) {
    super(
      `${address} is ${kind === "smp" ? "an SMP relay" : "an XFTP server"}'s control port, which has no ` +
        `'${command}' command ("simplex admin --help" says which commands each server has)`,
    );
  }
}

/** The server ran the command and answered with an error (`error: …`), e.g. an unknown queue. */
export class CommandFailedError extends ControlError {
  override name = "CommandFailedError";
  constructor(
    readonly address: string,
    readonly kind: ServerKind,
    readonly command: string,
    readonly serverMessage: string,
  ) {
    super(describeServerError(address, kind, command, serverMessage));
  }
}

/** The peer is not a control port, answered something unexpected, timed out or closed. */
export class ControlProtocolError extends ControlError {
  override name = "ControlProtocolError";
}

function describeServerError(address: string, kind: ServerKind, command: string, line: string): string {
  const text = line.replace(/^error:?\s*/, "");
  if (text === "AUTH") {
    return kind === "smp"
      ? `the relay at ${address} has no queue with this ID (it answered AUTH to ${command}): give the ` +
        "queue's sender ID or short-link ID, base64url"
      : `the XFTP server at ${address} has no file with this ID (it answered AUTH to ${command}): give ` +
        "the file's recipient ID, base64url";
  }
  const quota = /^reached limit of (\d+) queues blocked daily$/.exec(text);
  if (quota) {
    return `the server at ${address} has blocked its ${quota[1]} queues for today: wait for 00:00 UTC or ` +
      "raise [AUTH] daily_block_queue_quota";
  }
  return `the server at ${address} answered ${command} with: ${text}`;
}

export interface ControlAddress {
  readonly hostname: string;
  readonly port: number;
}

/** `host:port`, `[v6]:port` or `:port` (127.0.0.1). */
export function parseControlAddress(text: string): ControlAddress | undefined {
  return parseHostPort(text);
}

/** `stats`: the numbers by the names the server prints them under (an XFTP server's `stats` is ours). */
export interface ServerStats {
  /** the start of the counting period, ISO 8601 */
  readonly fromTime: string;
  /**
   * Every `name: number` line (a relay's `qCreated`, `msgSent`, `qCount`, `daily active queues`, …,
   * an XFTP server's `filesCreated`, `filesSize`, `clients`…); a relay's
   * `other SUB/GET events` triples appear as `qSubAuth`, `qSubDuplicate`, `qSubProhibited`,
   * `msgGetAuth`, `msgGetDuplicate`, `msgGetProhibited`.
   */
  readonly counters: Readonly<Record<string, number>>;
  /** a relay's proxy groups (`pRelays`, `pRelaysOwn`, …) → `requests`, `successes`, `errorsConnect`, … */
  readonly proxy: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** What `simplex admin stats` prints: the web panel's live figures, then every counter. */
export interface StatsWithFigures extends ServerStats {
  /** by the keys of LIVE_FIGURES (core/server/panel_source.ts) */
  readonly figures: Readonly<Record<string, number>>;
}

/** One row of `clients` (relay, admin). Times are seconds since the epoch; `age` in seconds. */
export interface ControlClientRow {
  readonly clientId: number;
  /** base64 */
  readonly sessionId: string;
  readonly connected: boolean;
  readonly createdAt: number;
  readonly rcvActiveAt: number;
  readonly sndActiveAt: number;
  readonly age: number;
  readonly subscriptions: number;
}

/** `status` (relay) of a queue. */
export interface QueueStatusInfo {
  readonly status: "active" | "off" | "blocked";
  readonly blockReason?: "spam" | "content";
  /** the day the queue was last used, seconds since the epoch */
  readonly updatedAt?: number;
  readonly queueMode?: "messaging" | "contact";
}

/** The outcome of block, unblock or delete: the server's `ok…` line, and for a relay's delete the count. */
export interface ChangeResult {
  readonly message: string;
  readonly messagesDeleted?: number;
}

export type BlockReason = "spam" | "content";

export interface ConnectOptions {
  /** how long to wait for the greeting and for each answer; 10 s unless set */
  readonly timeoutMs?: number;
}

const HELP_PREFIX = "commands: ";
const UNKNOWN_COMMAND = "error: Failed reading: bad ControlProtocol command";

/** Which commands each server kind has (xftp/control.ts, relay/control.ts). */
const SUPPORTED: Record<ServerKind, ReadonlySet<string>> = {
  smp: new Set([
    "stats",
    "clients",
    "server-info",
    "status",
    "block",
    "unblock",
    "delete",
    "save",
    "overview",
  ]),
  xftp: new Set(["block", "delete", "stats", "overview"]),
};

export class ControlClient {
  #conn: Deno.Conn;
  #lines: LineReader;
  #timeoutMs: number;
  #role: ControlRole = "CPRNone";
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    conn: Deno.Conn,
    lines: LineReader,
    timeoutMs: number,
    readonly kind: ServerKind,
    readonly address: string,
  ) {
    this.#conn = conn;
    this.#lines = lines;
    this.#timeoutMs = timeoutMs;
  }

  /** Connects and reads the greeting; throws ConnectionRefusedError or ControlProtocolError. */
  static async connect(address: ControlAddress, options: ConnectOptions = {}): Promise<ControlClient> {
    const shown = `${
      address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname
    }:${address.port}`;
    const timeoutMs = options.timeoutMs ?? 10_000;
    let conn: Deno.Conn;
    try {
      conn = await Deno.connect({ hostname: address.hostname, port: address.port, transport: "tcp" });
    } catch (e) {
      if (e instanceof Deno.errors.ConnectionRefused || e instanceof Deno.errors.NotFound) {
        throw new ConnectionRefusedError(shown, e);
      }
      throw new ControlError(
        `cannot connect to the control port at ${shown}: ${(e as Error).message}; check HOST:PORT`,
        { cause: e },
      );
    }
    const lines = new LineReader(conn, shown);
    try {
      const first = await lines.next(timeoutMs);
      const kind = first === "SMP server control port"
        ? "smp"
        : first === "XFTP server control port"
        ? "xftp"
        : undefined;
      if (!kind) {
        throw new ControlProtocolError(
          `${shown} is not a SimpleX control port (it said ${JSON.stringify(first)})`,
        );
      }
      await lines.next(timeoutMs); // "'help' for supported commands"
      return new ControlClient(conn, lines, timeoutMs, kind, shown);
    } catch (e) {
      closeQuietly(conn);
      throw e;
    }
  }

  /** The session's role: CPRNone until `auth` succeeds. */
  get role(): ControlRole {
    return this.#role;
  }

  /** `auth <password>`; throws WrongPasswordError when the password gives no role. A role is fixed per session. */
  async auth(password: string): Promise<ControlRole> {
    if (!/^[\x21-\x7e]+$/.test(password) || /[@:/]/.test(password)) {
      throw new WrongPasswordError(this.address);
    }
    const lines = await this.command(`auth ${password}`);
    const m = /^Current role is (CPRNone|CPRUser|CPRAdmin)/.exec(lines[0] ?? "");
    if (!m) {
      throw new ControlProtocolError(`${this.address} answered auth with ${JSON.stringify(lines[0])}`);
    }
    this.#role = m[1] as ControlRole;
    if (this.#role === "CPRNone") throw new WrongPasswordError(this.address);
    return this.#role;
  }

  /**
   * Sends one line and returns the answer's lines, as printed. `AUTH` becomes RoleRefusedError and
   * an unknown command UnsupportedCommandError; other `error: …` lines are returned.
   */
  command(line: string): Promise<string[]> {
    if (/[\r\n]/.test(line)) return Promise.reject(new ControlError("a command is one line"));
    const run = this.#queue.then(() => this.#exchange(line));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #exchange(line: string): Promise<string[]> {
    const name = line.split(" ", 1)[0];
    await writeAll(this.#conn, new TextEncoder().encode(`${line}\nhelp\n`), this.address);
    const answer: string[] = [];
    while (true) {
      const l = await this.#lines.next(this.#timeoutMs);
      if (l.startsWith(HELP_PREFIX) && name !== "help") break;
      answer.push(l);
      if (name === "help") {
        await this.#lines.next(this.#timeoutMs); // the marker's own answer
        break;
      }
    }
    if (answer.length === 1 && answer[0] === "AUTH") {
      throw new RoleRefusedError(this.address, name, this.#role);
    }
    if (answer.length === 1 && answer[0] === UNKNOWN_COMMAND) {
      throw new UnsupportedCommandError(this.address, name, this.kind);
    }
    return answer;
  }

  #supports(command: string): void {
    if (!SUPPORTED[this.kind].has(command)) {
      throw new UnsupportedCommandError(this.address, command, this.kind);
    }
  }

  /** Runs a parser of an answer; what it cannot read is said with this control port's address. */
  #read<T>(parse: () => T): T {
    try {
      return parse();
    } catch (e) {
      throw new ControlProtocolError(`${this.address}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Runs a command whose answer is one line: `ok…` is returned, anything else is CommandFailedError. */
  async #change(command: string, line: string): Promise<string> {
    const answer = await this.command(line);
    const first = answer.at(-1) ?? "";
    if (!first.startsWith("ok")) throw new CommandFailedError(this.address, this.kind, command, first);
    return first;
  }

  async stats(): Promise<ServerStats> {
    this.#supports("stats");
    const lines = await this.command("stats");
    return this.#read(() => parseStats(lines));
  }

  /**
   * `stats` with the web panel's figures, computed as the panel computes them; a relay's connected
   * clients and subscribed queues come from `server-info`.
   */
  async statsWithFigures(): Promise<StatsWithFigures> {
    const stats = await this.stats();
    if (this.kind === "xftp") {
      const clients = stats.counters.clients ?? 0;
      return { ...stats, figures: liveValues("xftp", { counters: stats.counters, clients }) };
    }
    const info = await this.serverInfo();
    const figures = liveValues("smp", {
      counters: stats.counters,
      proxy: { pRelays: { requests: stats.proxy.pRelays?.requests ?? 0 } },
      clients: info.clients,
      subscriptions: info.smp.subscriptions,
    });
    return { ...stats, figures };
  }

  /** `overview` (ours): what the web panel's overview page shows. */
  async overview(): Promise<PanelOverview> {
    this.#supports("overview");
    const lines = await this.command("overview");
    if (lines[0]?.startsWith("error")) {
      throw new CommandFailedError(this.address, this.kind, "overview", lines[0]);
    }
    return parseOverview(this.kind, lines);
  }

  async clients(): Promise<ControlClientRow[]> {
    this.#supports("clients");
    const lines = await this.command("clients");
    return this.#read(() => parseClients(lines));
  }

  async serverInfo(): Promise<ServerInfo> {
    this.#supports("server-info");
    const lines = await this.command("server-info");
    return this.#read(() => parseServerInfo(lines));
  }

  /** A queue's status by its sender ID (or short-link ID), base64url. */
  async status(queueId: string): Promise<QueueStatusInfo> {
    this.#supports("status");
    const [line = ""] = await this.command(`status ${queueId}`);
    if (line.startsWith("error")) throw new CommandFailedError(this.address, this.kind, "status", line);
    return this.#read(() => parseQueueStatus(line));
  }

  /** Blocks a relay queue (sender ID) or an XFTP file (recipient ID). */
  async block(id: string, reason: BlockReason = "spam"): Promise<ChangeResult> {
    this.#supports("block");
    return { message: await this.#change("block", `block ${id} reason=${reason}`) };
  }

  async unblock(id: string): Promise<ChangeResult> {
    this.#supports("unblock");
    return { message: await this.#change("unblock", `unblock ${id}`) };
  }

  /** Deletes a relay queue with its messages, or an XFTP file. */
  async delete(id: string): Promise<ChangeResult> {
    this.#supports("delete");
    const message = await this.#change("delete", `delete ${id}`);
    const m = /^ok, (\d+) messages deleted$/.exec(message);
    return m ? { message, messagesDeleted: Number(m[1]) } : { message };
  }

  /** Saves the relay's messages, notifications and stats now. */
  async save(): Promise<void> {
    this.#supports("save");
    const answer = await this.command("save");
    if (answer.at(-1) !== "server state saved!") {
      throw new CommandFailedError(this.address, this.kind, "save", answer.at(-1) ?? "");
    }
  }

  /** Says `quit` and closes the connection. */
  async close(): Promise<void> {
    try {
      await this.#queue;
      await writeAll(this.#conn, new TextEncoder().encode("quit\n"), this.address);
    } catch {
      // already closed
    }
    closeQuietly(this.#conn);
  }
}

// ---------------------------------------------------------------------------------------------
// Parsers of the servers' output (relay/control.ts `format*`).

const EVENT_TRIPLES: Record<string, readonly string[]> = {
  "other SUB events (auth, duplicate, prohibited)": ["qSubAuth", "qSubDuplicate", "qSubProhibited"],
  "other GET events (auth, duplicate, prohibited)": ["msgGetAuth", "msgGetDuplicate", "msgGetProhibited"],
};

export function parseStats(lines: readonly string[]): ServerStats {
  let fromTime = "";
  const counters: Record<string, number> = {};
  const proxy: Record<string, Record<string, number>> = {};
  for (const line of lines) {
    const sep = line.indexOf(": ");
    if (sep < 0) throw new ControlProtocolError(`unexpected stats line: ${JSON.stringify(line)}`);
    const name = line.slice(0, sep);
    const value = line.slice(sep + 2);
    if (name === "fromTime") {
      fromTime = parseHaskellUtcTime(value);
    } else if (EVENT_TRIPLES[name]) {
      const xs = /^\((-?\d+),(-?\d+),(-?\d+)\)$/.exec(value);
      if (!xs) throw new ControlProtocolError(`unexpected stats line: ${JSON.stringify(line)}`);
      EVENT_TRIPLES[name].forEach((key, i) => counters[key] = Number(xs[i + 1]));
    } else if (/^-?\d+$/.test(value)) {
      counters[name] = Number(value);
    } else if (/^\w+=-?\d+(, \w+=-?\d+)*$/.test(value)) {
      proxy[name] = Object.fromEntries(
        value.split(", ").map((kv) => kv.split("=")).map(([k, v]) => [k, Number(v)]),
      );
    } else {
      throw new ControlProtocolError(`unexpected stats line: ${JSON.stringify(line)}`);
    }
  }
  return { fromTime, counters, proxy };
}

/** `2024-01-15 10:20:30.5 UTC` → `2024-01-15T10:20:30.500Z`. */
function parseHaskellUtcTime(text: string): string {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?) UTC$/.exec(text);
  const date = m ? new Date(`${m[1]}T${m[2]}Z`) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw new ControlProtocolError(`unexpected time: ${text}`);
  return date.toISOString();
}

const CLIENT_COLUMNS = "clientId,sessionId,connected,createdAt,rcvActiveAt,sndActiveAt,age,subscriptions";

export function parseClients(lines: readonly string[]): ControlClientRow[] {
  if (lines[0] !== CLIENT_COLUMNS) {
    throw new ControlProtocolError(`unexpected clients header: ${JSON.stringify(lines[0])}`);
  }
  return lines.slice(1).map((line) => {
    const f = line.split(",");
    if (f.length !== 8) throw new ControlProtocolError(`unexpected clients row: ${JSON.stringify(line)}`);
    const n = (i: number) => Number(f[i]);
    return {
      clientId: n(0),
      sessionId: f[1],
      connected: f[2] === "True",
      createdAt: n(3),
      rcvActiveAt: n(4),
      sndActiveAt: n(5),
      age: n(6),
      subscriptions: n(7),
    };
  });
}

/** `status: EntityBlocked (BlockingInfo {reason = BRSpam, …}), updatedAt: Just (…= N}), queueMode: Just QMMessaging` */
export function parseQueueStatus(line: string): QueueStatusInfo {
  const m = /^status: (EntityActive|EntityOff|EntityBlocked.*), updatedAt: (.*), queueMode: (.*)$/.exec(line);
  if (!m) throw new ControlProtocolError(`unexpected status: ${JSON.stringify(line)}`);
  const status = m[1] === "EntityActive" ? "active" : m[1] === "EntityOff" ? "off" : "blocked";
  const reason = /reason = BR(Spam|Content)/.exec(m[1])?.[1];
  const updatedAt = /roundedSeconds = (\d+)/.exec(m[2])?.[1];
  const mode = m[3] === "Just QMMessaging" ? "messaging" : m[3] === "Just QMContact" ? "contact" : undefined;
  return {
    status,
    ...(reason ? { blockReason: reason.toLowerCase() as BlockReason } : {}),
    ...(updatedAt ? { updatedAt: Number(updatedAt) } : {}),
    ...(mode ? { queueMode: mode } : {}),
  };
}

// ---------------------------------------------------------------------------------------------

/** Lines from a connection, LF or CRLF ended; a read left pending by a timeout is kept for the next call. */
class LineReader {
  #conn: Deno.Conn;
  #decoder = new TextDecoder();
  #buffer = "";
  #pending?: Promise<number | null>;
  #chunk = new Uint8Array(4096);

  constructor(conn: Deno.Conn, readonly address: string) {
    this.#conn = conn;
  }

  async next(timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#buffer.includes("\n")) {
      this.#pending ??= this.#conn.read(this.#chunk);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const n = await Promise.race([
        this.#pending,
        new Promise<"timeout">((res) => timer = setTimeout(() => res("timeout"), deadline - Date.now())),
      ]).catch((e) => {
        throw new ControlProtocolError(`the control port at ${this.address} failed: ${(e as Error).message}`);
      }).finally(() => clearTimeout(timer));
      if (n === "timeout") {
        throw new ControlProtocolError(
          `the control port at ${this.address} did not answer in ${
            timeoutMs / 1000
          } s: is the server overloaded?`,
        );
      }
      this.#pending = undefined;
      if (n === null) {
        throw new ControlProtocolError(`the control port at ${this.address} closed the connection`);
      }
      this.#buffer += this.#decoder.decode(this.#chunk.subarray(0, n), { stream: true });
    }
    const i = this.#buffer.indexOf("\n");
    const line = this.#buffer.slice(0, i);
    this.#buffer = this.#buffer.slice(i + 1);
    return line.endsWith("\r") ? line.slice(0, -1) : line;
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array, address: string): Promise<void> {
  try {
    for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
  } catch (e) {
    throw new ControlProtocolError(`the control port at ${address} failed: ${(e as Error).message}`);
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}
