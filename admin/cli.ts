/**
 * `simplex admin`: runs one control-port command against a relay or an XFTP server and prints the
 * answer as aligned tables, or as JSON with `--json`; `serve` runs the web panel over control ports.
 * A failure is thrown to the dispatcher (core/cli/dispatch.ts): a UsageError for a wrong command
 * line (exit 2), a CommandError (the control client's errors are ones) naming the control port and
 * what to do (exit 1).
 */
import { type Command, UsageError } from "../core/cli/command.ts";
import type { Output } from "../core/cli/dispatch.ts";
import { type BlockReason, ControlClient, type ControlRole, parseControlAddress } from "./control_client.ts";
import { type AdminResult, renderResult } from "./render.ts";

/** The port `simplex admin serve` listens on unless told otherwise. */
export const DEFAULT_SERVE_PORT = 5228;

export const PASSWORD_ENV = "SIMPLEX_ADMIN_PASSWORD";

const CONNECTION_OPTIONS =
  `  --server HOST:PORT  the control port ([TRANSPORT] control_port in the server's INI file)
  --password P        the control port password; otherwise $${PASSWORD_ENV}, otherwise
                      asked for without echo when stdin is a terminal
  --json              print JSON for scripts instead of a table
  -h, --help          show this help`;

const EXIT_CODES = `Exit codes: 0 ok, 1 the server or the connection failed (refused, wrong password, role
lacks the right, server error), 2 usage error.`;

const ID_NOTE = `IDs are base64url, as the servers print them: a relay queue's sender ID (or short-link ID),
an XFTP file's recipient ID. Put -- before an ID that starts with "--".`;

export const ADMIN_USAGE = `simplex admin: run a command on a relay's or an XFTP server's control port

Usage: simplex admin <command> --server HOST:PORT [--password P] [--json]
       simplex admin serve [--relay HOST:PORT]... [--xftp HOST:PORT]... [--port N] [--bind ADDR]
       simplex admin <command> --help

Commands (the role each needs: user = user or admin password, admin = admin password):
  stats                  the figures the web panel shows, then every counter (user)
  clients                the relay's client connections (admin)
  server-info            the relay's client and subscription counts (user)
  status ID              a relay queue's status (user)
  block ID [--reason R]  block a relay queue or an XFTP file (user); R: spam (default), content
  unblock ID             unblock a relay queue (user)
  delete ID              delete a relay queue (admin) or an XFTP file (user)
  save                   save the relay's messages, notifications and stats now (admin)
  serve                  the web panel over one or more control ports

An XFTP server's control port has block, delete and stats. ${ID_NOTE}

Options:
${CONNECTION_OPTIONS}

${EXIT_CODES}`;

/** The `--help` of a command that runs on one control port. */
const onePort = (synopsis: string, what: string, extra = "") =>
  `Usage: simplex admin ${synopsis} --server HOST:PORT [--password P] [--json]

${what}

Options:
${extra}${CONNECTION_OPTIONS}

${EXIT_CODES}`;

const SERVE_USAGE =
  `Usage: simplex admin serve [--relay HOST:PORT]... [--xftp HOST:PORT]... [--port N] [--bind ADDR]

The web panel over the control ports of one or more servers, until Ctrl-C.

Options:
  --relay HOST:PORT   a relay's control port (repeatable)
  --xftp HOST:PORT    an XFTP server's control port (repeatable)
  --port N            the panel's port (default ${DEFAULT_SERVE_PORT})
  --bind ADDR         the panel's address (default 127.0.0.1; reach it over SSH or a proxy)
  --metrics-token T   lets Prometheus read /metrics with "Authorization: Bearer T"
  --password P        the control ports' password; otherwise $${PASSWORD_ENV}, otherwise
                      asked for without echo when stdin is a terminal
  -h, --help          show this help

The password opens every control port and is the panel's login password; the panel's role is
the lowest the control ports gave it. The daily history before today, the configuration and
/metrics are only shown by a panel that a server runs itself ([ADMIN] in its INI file).

${EXIT_CODES}`;

/** Each subcommand's `--help`, as the dispatcher prints it for `simplex admin <command> --help`. */
export const ADMIN_SUBCOMMANDS: Readonly<Record<string, string>> = {
  stats: onePort(
    "stats",
    "The figures the web panel shows (computed by the same code), then every counter the server\n" +
      "prints, and a relay's proxy statistics. Needs the user or the admin password.",
  ),
  clients: onePort(
    "clients",
    "A relay's client connections: ID, TLS session ID, times and subscriptions (never an address).\n" +
      "Needs the admin password.",
  ),
  "server-info": onePort(
    "server-info",
    "A relay's connected clients and subscription counts; with the admin password also the totals\n" +
      "counted over the connections. --json prints the fields the table names.",
  ),
  status: onePort(
    "status ID",
    `A relay queue's status, the day it was last used and its mode.\n\n${ID_NOTE}`,
  ),
  block: onePort(
    "block ID [--reason spam|content]",
    "Block a relay queue (its subscriber gets ERR BLOCKED; at most [AUTH] daily_block_queue_quota a\n" +
      `day) or an XFTP file. Needs the user or the admin password.\n\n${ID_NOTE}`,
    "  --reason R          why: spam (default) or content\n",
  ),
  unblock: onePort("unblock ID", `Unblock a relay queue (an XFTP server cannot unblock).\n\n${ID_NOTE}`),
  delete: onePort(
    "delete ID",
    "Delete a relay queue with its messages (admin password) or an XFTP file (user password).\n\n" +
      ID_NOTE,
  ),
  save: onePort("save", "Save the relay's messages, notifications and stats now. Needs the admin password."),
  serve: SERVE_USAGE,
};

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
  if (help) return { command: positional[0] ?? "", reason: "spam", server: "", json, help };
  const [command, id, ...extra] = positional;
  if (command === undefined) {
    throw new UsageError(`no command given: ${Object.keys(ADMIN_SUBCOMMANDS).join(", ")}`);
  }
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

/** The dispatcher's output, and what `simplex admin` asks of its environment. */
export interface AdminIo extends Output {
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

/**
 * Runs `simplex admin …` and resolves to 0; throws UsageError or a CommandError (a ControlError)
 * for the dispatcher to print.
 */
export async function runAdminCommand(args: string[], io: AdminIo = processIo): Promise<number> {
  if (args[0] === "serve" && !args.includes("--help") && !args.includes("-h")) {
    return await serve(args.slice(1), io);
  }
  const inv = parseAdminArgs(args);
  if (inv.help) {
    io.out(ADMIN_SUBCOMMANDS[inv.command] ?? ADMIN_USAGE);
    return 0;
  }
  const password = await controlPassword(inv.password, io);
  const client = await ControlClient.connect(parseControlAddress(inv.server)!);
  try {
    const role = await client.auth(password);
    const result = await execute(client, inv, role);
    io.out(inv.json ? JSON.stringify(result.json, null, 2) : renderResult(result));
    return 0;
  } finally {
    await client.close();
  }
}

/** The flag, else the environment, else a prompt; a UsageError when there is none. */
async function controlPassword(flag: string | undefined, io: AdminIo): Promise<string> {
  const password = flag ?? io.env(PASSWORD_ENV) ?? await io.promptPassword();
  if (password !== undefined && password !== "") return password;
  throw new UsageError(`no password: give --password, set $${PASSWORD_ENV} or run in a terminal`);
}

async function serve(args: string[], io: AdminIo): Promise<number> {
  // the panel (Hono and its views) is loaded only for `serve`
  const { parseServeArgs, runServe } = await import("./serve_command.ts");
  const inv = parseServeArgs(args, DEFAULT_SERVE_PORT);
  return await runServe(inv, await controlPassword(inv.password, io), io.out);
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

/** `simplex admin` for the dispatcher, with its terminal (tests give their own `io`). */
export function adminCommandWith(io: AdminIo): Command {
  return {
    name: "admin",
    summary: "run a command on a relay's or an XFTP server's control port, or its web panel",
    usage: ADMIN_USAGE,
    subcommands: ADMIN_SUBCOMMANDS,
    run: (args) => runAdminCommand(args, io),
  };
}

export const adminCommand: Command = adminCommandWith(processIo);
