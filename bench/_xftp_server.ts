/**
 * The XFTP server under bench/xftp.ts: `simplex xftp-server init` and `start` in a process of its
 * own (so that its resident memory is the server's alone), and the peak resident memory of a
 * process while something runs.
 */
import { parseXftpServer, type XftpServer } from "../core/xftp/server.ts";
import { serverEnv, simplex } from "../tests/xftp_cli/_process.ts";
import { Child, resident } from "./_relay_proc.ts";

const MAIN = new URL("../cli/main.ts", import.meta.url).pathname;
const SAMPLE_MS = 100;

export interface XftpServerProcess {
  readonly child: Child;
  readonly server: XftpServer;
}

/** `init` with a quota of `quota` (e.g. "2gb") on 127.0.0.1:`port`, then `start`. */
export async function startXftpServerProcess(
  dir: string,
  port: number,
  quota: string,
): Promise<XftpServerProcess> {
  const env = serverEnv(dir);
  const init = await simplex(
    ["xftp-server", "init", "-p", `${dir}/files`, "-q", quota, "--port", `${port}`],
    env,
  );
  if (init.code !== 0) throw new Error(`xftp-server init failed: ${init.stderr}`);
  const child = new Child(Deno.execPath(), ["run", "--allow-all", MAIN, "xftp-server", "start"], env);
  try {
    const server = parseXftpServer((await child.lines.next(/^Server address: (\S+)/))[1]);
    await child.lines.next(/^Listening on port/);
    return { child, server };
  } catch (e) {
    await child.stop();
    throw e;
  }
}

export interface Peak {
  /** VmRSS just before the action */
  readonly before: number;
  /** the highest of the 100 ms VmRSS samples */
  readonly sampled: number;
  /** VmHWM, the kernel's own high-water mark, reset before the action */
  readonly hwm: number;
}

function highWaterMark(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN) * 1024;
}

/**
 * The peak resident memory of each of `pids` while `action` runs: VmRSS sampled every 100 ms, and
 * VmHWM after resetting it (`clear_refs` 5), which also catches a peak between two samples or
 * inside a long synchronous step of this process.
 */
export async function peakResident<T>(
  pids: readonly number[],
  action: () => Promise<T>,
): Promise<{ result: T; peaks: Peak[] }> {
  const sampled = pids.map(() => 0);
  const sample = () => pids.forEach((pid, i) => (sampled[i] = Math.max(sampled[i], resident(pid).rss)));
  for (const pid of pids) Deno.writeTextFileSync(`/proc/${pid}/clear_refs`, "5");
  const before = pids.map((pid) => resident(pid).rss);
  const timer = setInterval(sample, SAMPLE_MS);
  try {
    const result = await action();
    sample();
    return {
      result,
      peaks: pids.map((pid, i) => ({ before: before[i], sampled: sampled[i], hwm: highWaterMark(pid) })),
    };
  } finally {
    clearInterval(timer);
  }
}
