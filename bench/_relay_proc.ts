/**
 * The processes bench/relay.ts measures: the relay under test (bench/_relay_process.ts), the Node
 * echo baseline (bench/_relay_echo.mjs), and what /proc says about each.
 */
import { parseServerAddress, type SmpServerAddress } from "../core/smp/address.ts";
import { relayEnv, runRelayCli } from "../tests/relay/_process.ts";

const RELAY_PROCESS = new URL("./_relay_process.ts", import.meta.url).pathname;
export const ECHO_SCRIPT = new URL("./_relay_echo.mjs", import.meta.url).pathname;
const CLOCK_TICKS = 100;

export interface Resident {
  /** VmRSS: what `ps` and the goals mean by resident memory */
  readonly rss: number;
  /** RssAnon: the heap, stacks and buffers, without the mapped executable */
  readonly anon: number;
}

export function resident(pid: number): Resident {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb("VmRSS"), anon: kb("RssAnon") };
}

/** CPU seconds (user + system, all threads) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** CPU seconds all the machine's cores have been busy so far (/proc/stat: all but idle and iowait). */
export function machineCpuSeconds(): number {
  const [, ...ticks] = Deno.readTextFileSync("/proc/stat").split("\n")[0].trim().split(/\s+/).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = ticks;
  return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS;
}

/** CPU seconds of this process, of its children that ended, and of the `running` ones. */
export function ownCpuSeconds(running: readonly number[]): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const self = fields.slice(11, 15).reduce((sum, f) => sum + Number(f), 0) / CLOCK_TICKS;
  return running.reduce((sum, pid) => sum + cpuSeconds(pid), self);
}

/** Lines a child prints, readable as they come; the pipe is drained so the child never blocks. */
class Lines {
  readonly #lines: string[] = [];
  #waiter?: () => void;
  #ended = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    (async () => {
      let buffer = "";
      for await (const text of stream.pipeThrough(new TextDecoderStream())) {
        buffer += text;
        const lines = buffer.split("\n");
        buffer = lines.pop() ?? "";
        this.#lines.push(...lines);
        this.#waiter?.();
      }
    })().catch(() => {}).finally(() => {
      this.#ended = true;
      this.#waiter?.();
    });
  }

  /** The next line matching `pattern` (earlier lines are skipped); throws after `timeoutMs`. */
  async next(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.#lines.length > 0) {
        const m = pattern.exec(this.#lines.shift()!);
        if (m) return m;
      }
      if (this.#ended) throw new Error(`the process ended before printing ${pattern}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no line matching ${pattern} in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

/** A child process this bench started and must stop. */
export class Child {
  readonly process: Deno.ChildProcess;
  readonly lines: Lines;

  constructor(command: string, args: string[], env?: Record<string, string>) {
    this.process = new Deno.Command(command, {
      args,
      env,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    })
      .spawn();
    this.lines = new Lines(this.process.stdout);
  }

  get pid(): number {
    return this.process.pid;
  }

  /** Ends the child: SIGTERM, then SIGKILL if it has not exited within a few seconds. */
  async stop(): Promise<void> {
    await this.process.stdin.close().catch(() => {});
    try {
      this.process.kill("SIGTERM");
    } catch {
      return; // already exited
    }
    const timer = setTimeout(() => {
      try {
        this.process.kill("SIGKILL");
      } catch { /* exited meanwhile */ }
    }, 5000);
    await this.process.status;
    clearTimeout(timer);
  }
}

/** `Deno.memoryUsage()` of the relay: the V8 heap, and memory outside it that V8 knows of (ArrayBuffers). */
export interface HeapUsage {
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
}

export interface RelayUnderTest {
  readonly child: Child;
  readonly address: SmpServerAddress;
  /** the relay's own certificate and key (PEM), which the Node baseline serves too */
  readonly certFile: string;
  readonly keyFile: string;
  /** a full garbage collection in the relay process; resolves to its heap figures after it */
  gc(): Promise<HeapUsage>;
}

/** `simplex relay init` (SQLite store, no password) in `dir`, then `start` with --expose-gc and the servers' V8 flag. */
export async function startRelay(dir: string, port: number): Promise<RelayUnderTest> {
  const init = await runRelayCli(dir, ["init", "-y", "--no-password", "--port", String(port)]);
  if (init.code !== 0) throw new Error(`relay init failed: ${init.stderr}`);
  const child = new Child(
    Deno.execPath(),
    // the V8 flag of `deno task start` and `deno task compile`
    ["run", "--allow-all", "--v8-flags=--expose-gc,--max-semi-space-size=1", RELAY_PROCESS],
    relayEnv(dir),
  );
  const address = parseServerAddress((await child.lines.next(/^Server address: (\S+)/))[1]);
  await child.lines.next(/^Listening on port/);
  return {
    child,
    address,
    certFile: `${dir}/etc/server.crt`,
    keyFile: `${dir}/etc/server.key`,
    async gc() {
      child.process.kill("SIGUSR2");
      return JSON.parse((await child.lines.next(/^gc (.*)$/))[1]);
    },
  };
}

/** The Node echo server of the baseline. */
export async function startEcho(certFile: string, keyFile: string): Promise<{ child: Child; port: number }> {
  const child = new Child("node", ["--expose-gc", ECHO_SCRIPT, "server", certFile, keyFile]);
  const port = Number((await child.lines.next(/^(\d+)$/))[1]);
  return { child, port };
}
