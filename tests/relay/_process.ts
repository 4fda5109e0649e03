/** Runs `simplex relay` as a real process, for tests of the command line and of crashes. */
import { parseServerAddress, type SmpServerAddress } from "../../core/smp/address.ts";

import { freePort, runSimplex, SIMPLEX_MAIN as MAIN } from "../_util/simplex_process.ts";

export { freePort };

export interface RelayProcess {
  readonly child: Deno.ChildProcess;
  readonly address: SmpServerAddress;
  readonly output: string[];
  kill(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

export function relayEnv(dir: string): Record<string, string> {
  return { SMP_SERVER_CFG_PATH: `${dir}/etc`, SMP_SERVER_LOG_PATH: `${dir}/var`, NO_COLOR: "1" };
}

export async function runRelayCli(
  dir: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return await runSimplex(["relay", ...args], { env: relayEnv(dir) });
}

/** Starts `simplex relay start` and waits for it to listen. */
export async function spawnRelay(dir: string): Promise<RelayProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, "relay", "start"],
    env: relayEnv(dir),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output: string[] = [];
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let address: SmpServerAddress | undefined;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines) {
      output.push(line);
      const m = /^Server address: (\S+)/.exec(line);
      if (m) address = parseServerAddress(m[1]);
      if (line.startsWith("Listening on port") && address) {
        // keep draining so the child never blocks on a full pipe
        (async () => {
          for (;;) {
            const r = await reader.read().catch(() => ({ done: true, value: "" }));
            if (r.done) break;
            output.push(...String(r.value).split("\n").filter((l) => l));
          }
        })();
        child.stderr.pipeTo(new WritableStream()).catch(() => {});
        return {
          child,
          address,
          output,
          kill: async (signal: Deno.Signal = "SIGTERM") => {
            try {
              child.kill(signal);
            } catch { /* already gone */ }
            return await child.status;
          },
        };
      }
    }
  }
  child.kill("SIGKILL");
  throw new Error(`relay did not start:\n${output.join("\n")}`);
}
