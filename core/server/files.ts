/**
 * The file operations both servers perform on their config and data directories: testing for a
 * file, removing a directory on `delete`, and replacing state files (stats backups, metrics)
 * so that a crash or a concurrent reader never sees half a file.
 */

export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Removes `dir` with everything in it; a directory that is already gone is not an error. */
export async function removeTree(dir: string): Promise<void> {
  await Deno.remove(dir, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
}

let tmpSeq = 0;

/**
 * Writes through a temporary file in the same directory (so the rename stays on one file system)
 * and renames it over `path`: readers see the old file or the whole new one. `mode` applies when
 * the file is created, as for Deno.writeTextFile.
 */
export async function writeFileAtomic(
  path: string,
  text: string,
  options: { mode?: number } = {},
): Promise<void> {
  // a name per write: two overlapping writes must not share a temporary file
  const tmp = `${path}.${Deno.pid}.${++tmpSeq}.tmp`;
  try {
    await Deno.writeTextFile(tmp, text, options);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}
