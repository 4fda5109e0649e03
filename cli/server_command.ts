/**
 * What `simplex relay` and `simplex xftp-server` do alike: read the INI file, rotate the online
 * certificate, delete the server's directories, and turn configuration and listening errors into a
 * message and exit code 1 (usage errors into exit code 2).
 */
import { IniError } from "../core/config/ini.ts";
import {
  CaKeyMissingError,
  createServerIdentity,
  rotateOnlineCertificate,
} from "../core/server/identity_files.ts";
import { generateControlPasswords } from "../core/server/control_port.ts";
import { parseArgs } from "node:util";
import { exists, removeTree } from "../core/server/files.ts";
import { UsageError } from "./command.ts";

type Out = (line: string) => void;

/** The INI file's text; a missing file is a usage error that says to run `init`. */
export async function readServerIni(iniPath: string, command: string): Promise<string> {
  try {
    return await Deno.readTextFile(iniPath);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new UsageError(`no configuration at ${iniPath}: run "simplex ${command} init" first`);
    }
    throw e;
  }
}

/** `cert`: a new online certificate under the same offline CA, so the fingerprint stays. */
export async function rotateCertificate(cfgDir: string, host: string, out: Out): Promise<void> {
  const fp = await rotateOnlineCertificate(cfgDir, host).catch((e) => {
    throw e instanceof CaKeyMissingError ? new UsageError(e.message) : e;
  });
  out(`Generated new server credentials; the fingerprint is unchanged: ${fp}`);
  out("Restart the server to use them.");
}

/** `delete -y`: both directories; without `-y` a usage error that says what would be lost. */
export async function deleteServer(
  dirs: { readonly cfgDir: string; readonly logDir: string },
  yes: boolean,
  loss: string,
  out: Out,
): Promise<void> {
  if (!yes) throw new UsageError(`this deletes ${dirs.cfgDir} and ${dirs.logDir}${loss}: add -y to confirm`);
  for (const dir of [dirs.cfgDir, dirs.logDir]) {
    await removeTree(dir);
    out(`Deleted ${dir}`);
  }
}

/**
 * The exit code for an error a server command ended with: 1 after a message for a bad INI file or a
 * port it cannot listen on; a bad option becomes a UsageError; anything else is rethrown.
 */
export function serverCommandError(e: unknown, command: string): number {
  if (e instanceof IniError) {
    console.error(`simplex ${command}: ${e.message}`);
    return 1;
  }
  if (e instanceof Deno.errors.AddrInUse || e instanceof Deno.errors.PermissionDenied) {
    console.error(`simplex ${command}: cannot listen: ${e.message} (is another server running?)`);
    return 1;
  }
  if (e instanceof TypeError && (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
    throw new UsageError(e.message);
  }
  throw e;
}

/** `delete [-y]`, its options parsed here. */
export async function deleteServerCommand(
  args: string[],
  dirs: { readonly cfgDir: string; readonly logDir: string },
  loss: string,
  out: Out,
): Promise<void> {
  const { values } = parseArgs({ args, options: { yes: { type: "boolean", short: "y" } }, strict: true });
  await deleteServer(dirs, values.yes ?? false, loss, out);
}

/**
 * The command without a subcommand: `init` with the given options on the first run (no INI file
 * yet), then `start`; once initialized, options are refused.
 */
export async function quickStart(o: {
  readonly command: string;
  readonly args: string[];
  readonly iniPath: string;
  init(): Promise<unknown>;
  start(): Promise<void>;
}): Promise<void> {
  const sub = o.args[0];
  if (sub !== undefined && !sub.startsWith("-")) {
    throw new UsageError(`unknown ${o.command} command '${sub}'`);
  }
  if (!(await exists(o.iniPath))) await o.init();
  else if (o.args.length > 0) {
    throw new UsageError("options are for the first start only: the server is already initialized");
  }
  await o.start();
}

/**
 * The start of `init`: refuses a second one, makes the directories (the log directory the server's
 * alone) and the identity, and the control port's passwords when it is asked for. Resolves to the
 * fingerprint and those passwords.
 */
export async function initServerIdentity(
  dirs: { readonly cfgDir: string; readonly logDir: string },
  iniPath: string,
  o: { readonly host: string; readonly algorithm: "Ed25519" | "Ed448"; readonly controlPort?: number },
): Promise<{ fp: string; control?: { admin: string; user: string } }> {
  if (await exists(iniPath)) {
    throw new UsageError(
      `the server is already initialized (${iniPath} exists); delete it first or use start`,
    );
  }
  await Deno.mkdir(dirs.cfgDir, { recursive: true, mode: 0o755 });
  await Deno.mkdir(dirs.logDir, { recursive: true, mode: 0o700 });
  const fp = await createServerIdentity(dirs.cfgDir, { commonName: o.host, algorithm: o.algorithm });
  return { fp, control: o.controlPort !== undefined ? generateControlPasswords() : undefined };
}
