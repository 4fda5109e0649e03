/** `simplex xftp-server` and `simplex xftp` as real processes. */
import { freePort, runSimplex, SIMPLEX_MAIN as MAIN } from "../_util/simplex_process.ts";

export { freePort };

export function serverEnv(dir: string): Record<string, string> {
  return { XFTP_SERVER_CFG_PATH: `${dir}/etc`, XFTP_SERVER_LOG_PATH: `${dir}/var`, NO_COLOR: "1" };
}

export function simplex(args: string[], env: Record<string, string> = {}, cwd?: string) {
  return runSimplex(args, { env, cwd });
}

export interface XftpServerProcess {
  readonly address: string;
  readonly filesPath: string;
  kill(signal?: Deno.Signal): Promise<void>;
}

/** `xftp-server init` (once) and `start`; resolves when the port accepts connections. */
export async function spawnXftpServer(dir: string, port: number): Promise<XftpServerProcess> {
  const filesPath = `${dir}/files`;
  try {
    await Deno.stat(`${dir}/etc/file-server.ini`);
  } catch {
    const init = await simplex(
      ["xftp-server", "init", "-p", filesPath, "-q", "1gb", "--port", String(port)],
      serverEnv(dir),
    );
    if (init.code !== 0) throw new Error(`xftp-server init failed: ${init.stderr}`);
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, "xftp-server", "start"],
    env: serverEnv(dir),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  (async () => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      lines.push(...chunk.split("\n"));
    }
  })().catch(() => {});
  child.stderr.pipeTo(new WritableStream()).catch(() => {});
  const deadline = Date.now() + 20_000;
  for (;;) {
    const address = lines.map((l) => /^Server address: (\S+)/.exec(l)?.[1]).find((a) => a);
    if (address && lines.some((l) => l.startsWith("Listening on port"))) {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        return {
          address: address.replace("@127.0.0.1", "@127.0.0.1"),
          filesPath,
          kill: async (signal: Deno.Signal = "SIGTERM") => {
            try {
              child.kill(signal);
            } catch { /* gone */ }
            await child.status;
          },
        };
      } catch { /* not yet */ }
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`xftp-server did not start:\n${lines.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function filesIn(dir: string): Promise<number> {
  let n = 0;
  try {
    for await (const e of Deno.readDir(dir)) if (e.isFile && !e.name.startsWith(".")) n++;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return n;
}
