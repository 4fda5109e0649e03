/**
 * Golden files for what `simplex` prints when a command fails: each case's exit code and stderr,
 * with the test's temporary directory written as $DIR and its ports as $PORT, is compared with
 * `tests/cli/golden/<name>.txt`. `UPDATE_GOLDEN=1 deno task test tests/cli/` rewrites the files
 * from what the commands print now (review the diff before committing it).
 */
import assert from "node:assert/strict";
import type { ProcessResult } from "../_util/simplex_process.ts";

const GOLDEN_DIR = new URL("./golden/", import.meta.url);

export interface Placeholders {
  readonly dir?: string;
  readonly ports?: readonly number[];
}

/** The text a golden file holds: the command line, the exit code, then stderr. */
export function goldenText(args: readonly string[], r: ProcessResult, p: Placeholders = {}): string {
  const replace = (s: string) => {
    let t = s;
    if (p.dir) t = t.replaceAll(p.dir, "$DIR");
    for (const port of p.ports ?? []) t = t.replace(new RegExp(`\\b${port}\\b`, "g"), "$PORT");
    return t;
  };
  return `$ simplex ${replace(args.join(" "))}\nexit ${r.code}\n${replace(r.stderr)}`;
}

export async function assertGolden(name: string, actual: string): Promise<void> {
  const file = new URL(`${name}.txt`, GOLDEN_DIR);
  if (Deno.env.get("UPDATE_GOLDEN") === "1") {
    await Deno.mkdir(GOLDEN_DIR, { recursive: true });
    await Deno.writeTextFile(file, actual);
    return;
  }
  let expected: string;
  try {
    expected = await Deno.readTextFile(file);
  } catch {
    throw new Error(`no golden file ${file.pathname}; UPDATE_GOLDEN=1 writes it from:\n${actual}`);
  }
  assert.equal(actual, expected, `${name}: the output differs from ${file.pathname}`);
}
