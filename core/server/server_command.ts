/**
 * What `simplex relay` and `simplex xftp-server` do alike: read the INI file, make the identity,
 * rotate the online certificate, delete the server's directories, and the quick start. Their
 * failures are CommandErrors that name the file or directory and say what to do.
 */
import { IniError } from "../config/ini.ts";
import { CaKeyMissingError, createServerIdentity, rotateOnlineCertificate } from "./identity_files.ts";
import { generateControlPasswords } from "./control_port.ts";
import { parseArgs } from "node:util";
import { exists, removeTree } from "./files.ts";
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
  const fp = await rotateOnlineCertificate(cfgDir, host).catch((e) => {
    throw e instanceof CaKeyMissingError ? new CommandError(e.message) : e;
  });
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
