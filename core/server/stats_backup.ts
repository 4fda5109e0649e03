/**
 * The stats backup both servers keep, as the reference servers do (`saveServerStats` and
 * `restoreServerStats`): counters written as `key=value` lines at shutdown and read back at
 * start. A restored backup is renamed to `.bak`, so that a crash before the next save cannot count
 * the same events twice; a malformed one stays in place for the operator to look at.
 */

export class StatsBackupError extends Error {
  override name = "StatsBackupError";
}

/**
 * Hands the backup's text to `restore` and renames the file to `.bak`; false when there is no
 * backup. When `restore` throws (a StatsBackupError for bad contents), the file is left as it is.
 */
export async function restoreStatsFile(path: string, restore: (text: string) => void): Promise<boolean> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
  restore(text);
  await Deno.rename(path, `${path}.bak`);
  return true;
}
