/**
 * What `simplex relay` and `simplex xftp-server` do alike: read the INI file, rotate the online
 * certificate, delete the server's directories, and turn configuration and listening errors into a
 * message and exit code 1 (usage errors into exit code 2).
 */
import { IniError } from "../core/config/ini.ts";
import { CaKeyMissingError, rotateOnlineCertificate } from "../core/server/identity_files.ts";
import { removeTree } from "../core/server/files.ts";
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
