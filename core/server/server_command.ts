/**
 * What `simplex relay` and `simplex xftp-server` do alike: read the INI file, make the identity,
 * rotate the online certificate, delete the server's directories, and the quick start. Their
 * failures are CommandErrors that name the file or directory and say what to do.
 */
import { IniError } from "../config/ini.ts";
import { createServerIdentity, rotateOnlineCertificate } from "./identity_files.ts";
import { generateControlPasswords } from "./control_port.ts";
import { parseArgs } from "node:util";
import { exists, removeTree, writeFileAtomic } from "./files.ts";
import { setIniValue } from "../config/ini.ts";
import { CommandError, UsageError } from "../cli/command.ts";

type Out = (line: string) => void;

/** Where a server keeps its files, and the environment variables that move them. */
export interface ServerDirs {
  readonly cfgDir: string;
  readonly logDir: string;
}

/** The server's name on the command line and its environment variables, for messages. */
export interface ServerNames {
  /** `relay` or `xftp-server` */
  readonly command: string;
  readonly cfgEnv: string;
  readonly logEnv: string;
}

/** The INI file's text; a missing file says to run `init`. */
export async function readServerIni(iniPath: string, names: ServerNames): Promise<string> {
  try {
    return await Deno.readTextFile(iniPath);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new CommandError(
        `no configuration at ${iniPath}: run "simplex ${names.command} init" first, or set $${names.cfgEnv} to the directory that has it`,
      );
    }
    if (e instanceof Deno.errors.PermissionDenied) {
      throw new CommandError(`cannot read ${iniPath}: permission denied; run as the user that owns it`);
    }
    throw e;
  }
}

/** A bad INI file as a CommandError (its message already says where); anything else as it is. */
export function iniFailure(e: unknown): unknown {
  return e instanceof IniError ? new CommandError(e.message) : e;
}

/** `cert`: a new online certificate under the same offline CA, so the fingerprint stays. */
export async function rotateCertificate(cfgDir: string, host: string, out: Out): Promise<void> {
  const fp = await rotateOnlineCertificate(cfgDir, host);
  out(`Generated new server credentials; the fingerprint is unchanged: ${fp}`);
  out("Restart the server to use them.");
}

/**
 * `delete [-y]`: both directories. Without `-y` it asks on a terminal, as the reference does, and
 * elsewhere refuses, saying what would be lost.
 */
export async function deleteServerCommand(
  args: string[],
  dirs: ServerDirs,
  names: ServerNames,
  loss: string,
  out: Out,
): Promise<void> {
  const { values } = parseArgs({ args, options: { yes: { type: "boolean", short: "y" } }, strict: true });
  const what = `${dirs.cfgDir} and ${dirs.logDir}${loss}`;
  if (!values.yes) {
    if (!Deno.stdin.isTerminal()) {
      throw new CommandError(`this deletes ${what}; run "simplex ${names.command} delete -y" to confirm`);
    }
    const answer = prompt(`This deletes ${what}. Continue (y/N)?`);
    if (answer === null || !/^y(es)?$/i.test(answer.trim())) {
      out("Nothing deleted.");
      return;
    }
  }
  for (const dir of [dirs.cfgDir, dirs.logDir]) {
    await removeTree(dir);
    out(`Deleted ${dir}`);
  }
}

/**
 * The command without a subcommand: `init` with the given options on the first run (no INI file
 * yet), then `start`; once initialized, options are refused.
 */
export async function quickStart(o: {
  readonly names: ServerNames;
  readonly args: string[];
  readonly iniPath: string;
  init(): Promise<unknown>;
  start(): Promise<void>;
}): Promise<void> {
  const sub = o.args[0];
  if (sub !== undefined && !sub.startsWith("-")) {
    throw new UsageError(`unknown ${o.names.command} command '${sub}'`);
  }
  if (!(await exists(o.iniPath))) await o.init();
  else if (o.args.length > 0) {
    throw new CommandError(
      `the server is already set up (${o.iniPath} exists), so options for a first start do not apply; change ${o.iniPath} instead, then run "simplex ${o.names.command} start"`,
    );
  }
  await o.start();
}

/**
 * The start of `init`: refuses a second one, makes the directories (the log directory the server's
 * alone) and the identity, and the control port's passwords when it is asked for. Resolves to the
 * fingerprint and those passwords.
 */
export async function initServerIdentity(
  dirs: ServerDirs,
  names: ServerNames,
  iniPath: string,
  o: { readonly host: string; readonly algorithm: "Ed25519" | "Ed448"; readonly controlPort?: number },
): Promise<{ fp: string; control?: { admin: string; user: string } }> {
  if (await exists(iniPath)) {
    throw new CommandError(
      `the server is already set up (${iniPath} exists); run "simplex ${names.command} start", or "simplex ${names.command} delete" to start over`,
    );
  }
  await makeDirectory(dirs.cfgDir, 0o755, names.cfgEnv);
  await makeDirectory(dirs.logDir, 0o700, names.logEnv);
  const fp = await createServerIdentity(dirs.cfgDir, { commonName: o.host, algorithm: o.algorithm });
  return { fp, control: o.controlPort !== undefined ? generateControlPasswords() : undefined };
}

async function makeDirectory(dir: string, mode: number, env: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true, mode });
  } catch (e) {
    if (!(e instanceof Deno.errors.PermissionDenied)) throw e;
    throw new CommandError(
      `cannot create ${dir}: permission denied; run as a user who may write there (e.g. with sudo), or set $${env} to another directory`,
    );
  }
}

/** What a server's INI file says of its control port now. */
export interface ControlPortSettings {
  readonly controlPort?: number;
  readonly controlAdminPassword?: string;
  readonly controlUserPassword?: string;
}

/**
 * `control-port [--port N]`: turns the control port on in the INI file of a server set up without
 * it, with random passwords unless it has some, keeping every other line. `current` reads the file
 * as the server does, so a bad file is refused before anything is written.
 */
export async function enableControlPort(
  args: string[],
  iniPath: string,
  names: ServerNames,
  defaultPort: number,
  current: (text: string) => ControlPortSettings,
  out: Out,
): Promise<void> {
  const { values } = parseArgs({ args, options: { port: { type: "string" } }, strict: true });
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port < 1 || port > 65535) {
      throw new UsageError(`--port: bad port "${values.port}"`);
    }
  }
  let text = await readServerIni(iniPath, names);
  const now = current(text);
  port ??= now.controlPort ?? defaultPort;
  text = setIniValue(text, "TRANSPORT", "control_port", String(port));
  const generated = !now.controlAdminPassword && !now.controlUserPassword;
  if (generated) {
    const passwords = generateControlPasswords();
    text = setIniValue(text, "AUTH", "control_port_admin_password", passwords.admin);
    text = setIniValue(text, "AUTH", "control_port_user_password", passwords.user);
  }
  // the file holds the passwords: it stays the operator's alone
  await writeFileAtomic(iniPath, text, { mode: 0o600 });
  out(`Control port 127.0.0.1:${port} is on in ${iniPath}.`);
  out(
    generated
      ? "Random passwords are in [AUTH] control_port_admin_password and control_port_user_password."
      : "The passwords already in [AUTH] stay.",
  );
  out(`Restart the server to open it; then: simplex admin stats --server 127.0.0.1:${port}`);
}
