/** `simplex` run as a real process from source, for the tests of its command line. */
export const SIMPLEX_MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;

export interface ProcessResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Runs `simplex ARGS` to its end, with stdin closed (so nothing can prompt) and NO_COLOR set. */
export async function runSimplex(
  args: readonly string[],
  o: { readonly env?: Record<string, string>; readonly cwd?: string } = {},
): Promise<ProcessResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", SIMPLEX_MAIN, ...args],
    env: { NO_COLOR: "1", ...o.env },
    cwd: o.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
