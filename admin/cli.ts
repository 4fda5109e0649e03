/**
 * `simplex admin`: runs one control-port command against a relay or an XFTP server and prints the
 * answer as aligned tables, or as JSON with `--json`; `serve` runs the web panel over control ports.
 * Exit codes: 0 ok, 1 a server or connection error, 2 a usage error.
 */
import { type Command, UsageError } from "../core/cli/command.ts";
import {
  type BlockReason,
  ControlClient,
  ControlError,
  type ControlRole,
  parseControlAddress,
} from "./control_client.ts";
import { type AdminResult, renderResult } from "./render.ts";
import type { ServeInvocation } from "./serve_command.ts";

/** The port `simplex admin serve` listens on unless told otherwise. */
export const DEFAULT_SERVE_PORT = 5228;

export const PASSWORD_ENV = "SIMPLEX_ADMIN_PASSWORD";

export const ADMIN_USAGE = `simplex admin: run a command on a relay's or an XFTP server's control port

Usage: simplex admin <command> --server HOST:PORT [--password P] [--json]
       simplex admin serve [--relay HOST:PORT]... [--xftp HOST:PORT]... [--port N] [--bind ADDR]

Commands (the role each needs: user = user or admin password, admin = admin password):
  stats                  the figures the web panel shows, then every counter (user)
  clients                the relay's client connections (admin)
  server-info            the relay's client and subscription counts (user)
  status ID              a relay queue's status (user)
  block ID [--reason R]  block a relay queue or an XFTP file (user); R: spam (default), content
  unblock ID             unblock a relay queue (user)
  delete ID              delete a relay queue (admin) or an XFTP file (user)
  save                   save the relay's messages, notifications and stats now (admin)

An XFTP server's control port has block, delete and stats. IDs are base64url, as the
servers print them: a relay queue's sender ID (or short-link ID), an XFTP file's
recipient ID. Put -- before an ID that starts with "--".

Options:
  --server HOST:PORT  the control port ([TRANSPORT] control_port in the server's INI file)
  --password P        the control port password; otherwise $${PASSWORD_ENV}, otherwise
                      asked for without echo when stdin is a terminal
  --json              print JSON for scripts instead of tables
  -h, --help          show this help

serve: the web panel over the control ports of one or more servers, until Ctrl-C
  --relay HOST:PORT   a relay's control port (repeatable)
  --xftp HOST:PORT    an XFTP server's control port (repeatable)
  --port N            the panel's port (default ${DEFAULT_SERVE_PORT})
  --bind ADDR         the panel's address (default 127.0.0.1; reach it over SSH or a proxy)
  --metrics-token T   lets Prometheus read /metrics with "Authorization: Bearer T"
  The password opens every control port and is the panel's login password; the panel's
  role is the lowest the control ports gave it. The daily history and the configuration
  are only shown by a panel that a server runs itself ([ADMIN] in its INI file).

Exit codes: 0 ok, 1 server or connection error (refused, wrong password, role lacks the
right, server error), 2 usage error.`;

const COMMANDS_WITH_ID = new Set(["status", "block", "unblock", "delete"]);
const COMMANDS = new Set(["stats", "clients", "server-info", "save", ...COMMANDS_WITH_ID]);

export interface AdminInvocation {
  readonly command: string;
  readonly id?: string;
  readonly reason: BlockReason;
  readonly server: string;
  readonly password?: string;
  readonly json: boolean;
  readonly help: boolean;
}

/** Parses the arguments after `admin`; throws UsageError. */
export function parseAdminArgs(args: readonly string[]): AdminInvocation {
  const positional: string[] = [];
  let server: string | undefined, password: string | undefined, reason: string | undefined;
  let json = false, help = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.startsWith("--") ? a.indexOf("=") : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const value = () => {
      if (eq > 0) return a.slice(eq + 1);
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--server":
        server = value();
        break;
      case "--password":
        password = value();
        break;
      case "--reason":
        reason = value();
        break;
      case "--json":
        json = true;
        break;
      case "-h":
      case "--help":
        help = true;
        break;
      case "--":
        positional.push(...args.slice(i + 1));
        i = args.length;
        break;
      default:
        // base64url IDs may start with a single '-', so only '--' marks an option
        if (a.startsWith("--")) throw new UsageError(`unknown option '${a}'`);
        positional.push(a);
    }
  }
  if (help) return { command: "", reason: "spam", server: "", json, help };
  const [command, id, ...extra] = positional;
  if (command === undefined) throw new UsageError("no command given");
  if (!COMMANDS.has(command)) throw new UsageError(`unknown command '${command}'`);
  if (COMMANDS_WITH_ID.has(command) && id === undefined) throw new UsageError(`${command} needs an ID`);
  if (!COMMANDS_WITH_ID.has(command) && id !== undefined) throw new UsageError(`${command} takes no ID`);
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  if (reason !== undefined && command !== "block") throw new UsageError("--reason is for block only");
  if (reason !== undefined && reason !== "spam" && reason !== "content") {
    throw new UsageError(`--reason is spam or content, not '${reason}'`);
  }
  if (server === undefined) throw new UsageError("--server HOST:PORT is required");
  if (!parseControlAddress(server)) throw new UsageError(`--server: '${server}' is not HOST:PORT`);
  return { command, id, reason: (reason ?? "spam") as BlockReason, server, password, json, help };
}

export interface AdminIo {
  out(text: string): void;
  err(text: string): void;
  /** an environment variable */
  env(name: string): string | undefined;
  /** asks for the password without echo; undefined when there is no terminal to ask at */
  promptPassword(): Promise<string | undefined>;
}

const processIo: AdminIo = {
  out: (t) => console.log(t),
  err: (t) => console.error(t),
  env: (name) => Deno.env.get(name),
  promptPassword: () => Deno.stdin.isTerminal() ? readPasswordFromTerminal() : Promise.resolve(undefined),
};

/** Runs `simplex admin …` and resolves to the exit code; usage errors are printed here (exit 2). */
export async function runAdminCommand(args: string[], io: AdminIo = processIo): Promise<number> {
  if (args[0] === "serve" && !args.includes("--help") && !args.includes("-h")) {
    return await serve(args.slice(1), io);
  }
  let inv: AdminInvocation;
  try {
    inv = parseAdminArgs(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`simplex admin: ${e.message}\n`);
    io.err(ADMIN_USAGE);
    return 2;
  }
  if (inv.help) {
    io.out(ADMIN_USAGE);
    return 0;
  }
  const password = await controlPassword(inv.password, io);
  if (password === undefined) return 2;
  let client: ControlClient | undefined;
  try {
    client = await ControlClient.connect(parseControlAddress(inv.server)!);
    const role = await client.auth(password);
    const result = await execute(client, inv, role);
    io.out(inv.json ? JSON.stringify(result.json, null, 2) : renderResult(result));
    return 0;
  } catch (e) {
    if (!(e instanceof ControlError)) throw e;
    io.err(`simplex admin: ${e.message}`);
    return 1;
  } finally {
    await client?.close();
  }
}

/** The flag, else the environment, else a prompt; undefined (said on stderr) when there is none. */
async function controlPassword(flag: string | undefined, io: AdminIo): Promise<string | undefined> {
  const password = flag ?? io.env(PASSWORD_ENV) ?? await io.promptPassword();
  if (password !== undefined && password !== "") return password;
  io.err(`simplex admin: no password: give --password, set ${PASSWORD_ENV} or run in a terminal`);
  return undefined;
}

async function serve(args: string[], io: AdminIo): Promise<number> {
  // the panel (Hono and its views) is loaded only for `serve`
  const { parseServeArgs, runServe } = await import("./serve_command.ts");
  let inv: ServeInvocation;
  try {
    inv = parseServeArgs(args, DEFAULT_SERVE_PORT);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`simplex admin serve: ${e.message}\n`);
    io.err(ADMIN_USAGE);
    return 2;
  }
  const password = await controlPassword(inv.password, io);
  if (password === undefined) return 2;
  try {
    return await runServe(inv, password, io.out);
  } catch (e) {
    if (
      e instanceof ControlError || e instanceof Deno.errors.AddrInUse ||
      e instanceof Deno.errors.PermissionDenied
    ) {
      io.err(`simplex admin serve: ${(e as Error).message}`);
      return 1;
    }
    throw e;
  }
}

async function execute(c: ControlClient, inv: AdminInvocation, role: ControlRole): Promise<AdminResult> {
  const id = inv.id!;
  const server = c.kind;
  switch (inv.command) {
    case "stats":
      return { type: "stats", json: { server, role, ...await c.statsWithFigures() } };
    case "clients":
      return { type: "clients", json: { server, clients: await c.clients() } };
    case "server-info":
      return { type: "info", json: { server, ...await c.serverInfo() } };
    case "status":
      return { type: "status", json: { server, id, ...await c.status(id) } };
    case "block":
      return { type: "change", json: { server, id, ...await c.block(id, inv.reason) } };
    case "unblock":
      return { type: "change", json: { server, id, ...await c.unblock(id) } };
    case "delete":
      return { type: "change", json: { server, id, ...await c.delete(id) } };
    case "save":
      await c.save();
      return { type: "change", json: { server, message: "server state saved" } };
    default:
      throw new UsageError(`unknown command '${inv.command}'`);
  }
}

/** Reads one line from the terminal in raw mode, echoing nothing. */
async function readPasswordFromTerminal(): Promise<string | undefined> {
  const prompt = new TextEncoder().encode("Control port password: ");
  await Deno.stderr.write(prompt);
  Deno.stdin.setRaw(true);
  const bytes: number[] = [];
  const buf = new Uint8Array(64);
  try {
    read: while (true) {
      const n = await Deno.stdin.read(buf);
      if (n === null) break;
      for (const b of buf.subarray(0, n)) {
        if (b === 0x0d || b === 0x0a) break read;
        if (b === 0x03 || b === 0x04) return undefined; // Ctrl-C, Ctrl-D
        if (b === 0x7f || b === 0x08) bytes.pop();
        else bytes.push(b);
      }
    }
  } finally {
    Deno.stdin.setRaw(false);
    await Deno.stderr.write(new TextEncoder().encode("\n"));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

export const admin: Command = {
  name: "admin",
  summary: "run a command on a relay's or an XFTP server's control port",
  usage: ADMIN_USAGE,
  run: (args) => runAdminCommand(args),
};

/** The same command under the name the other applications use (`relayCommand`, `xftpCommand`). */
export const adminCommand = admin;
