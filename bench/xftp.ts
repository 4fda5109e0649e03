/**
 * XFTP end to end (issue #5): `simplex xftp-server start` in a process of its own, a 100 MiB file
 * sent with core/xftp `sendFile` (4 MiB chunks, 1 recipient) and received with `receiveFile` from
 * this process over loopback. Prints, beside baselines measured in the same run:
 *
 * - upload and download MB/s of plaintext beside Debian's nginx over HTTP/2 and TLS 1.3 storing
 *   and serving the same bytes in 4 MiB PUTs and GETs from Node's node:http2;
 * - file encryption MB/s in memory beside libsodium's crypto_secretbox (sodium-native in Node),
 *   which is the SimpleX secret box under the key HSalsa20(key, 0^16): the secret stream of the
 *   file format beside secretbox alone, and `encryptFile` (which also computes the description's
 *   SHA-512 and the chunks' SHA-256) beside secretbox followed by the same digests;
 * - the peak resident memory of the server and of this process during the transfers, and during
 *   the encryption and upload of a 1 GiB file (or of 300 MiB when 1 GiB does not fit in the time
 *   budget), to show that memory does not grow with the file.
 *
 * The server process is bench/_xftp_server.ts, nginx and its client bench/_xftp_nginx.ts and
 * bench/_xftp_h2_client.mjs, the libsodium side bench/_xftp_sodium.mjs.
 *
 *   deno run --allow-all bench/xftp.ts
 */
import { deleteFile, receiveFile, sendFile, type SentFile } from "../core/xftp/agent.ts";
import { encryptFile } from "../core/xftp/file.ts";
import { SecretStreamEncryptor } from "../core/crypto/secret_stream.ts";
import { createHasher, type HashAlgorithm } from "../core/crypto/hash.ts";
import { randomBytes } from "../core/crypto/keys.ts";
import { hsalsa20 } from "../core/crypto/_xsalsa20.ts";
import { freePort } from "../tests/xftp_cli/_process.ts";
import { type Child, cpuSeconds, machineCpuSeconds, ownCpuSeconds } from "./_relay_proc.ts";
import { type Peak, peakResident, startXftpServerProcess, type XftpServerProcess } from "./_xftp_server.ts";
import { type H2Figures, moveThroughNginx, type Nginx, startNginx } from "./_xftp_nginx.ts";

const MiB = 1 << 20;
const FILE_SIZE = 100 * MiB;
const CHUNK_SIZE = 4 * MiB;
/** The memory-bound file: 1 GiB, the CLI's limit, when the budget allows; 300 MiB otherwise. */
const LARGE_FILE_SIZE = 1024 * MiB;
const FALLBACK_FILE_SIZE = 300 * MiB;
/** What the whole run may take; the 1 GiB upload runs only if it is expected to fit. */
const BUDGET_SECONDS = 180;
/** Transfer rounds, ours and nginx's alternating; the best of each is kept (the 2 cores are shared). */
const TRANSFER_ROUNDS = 3;
const ENCRYPTION_ROUNDS = 3;
/** In-memory pieces, as encryptFile cuts its input. */
const PIECE = 65536;
const SODIUM_NATIVE = "sodium-native@5.1.0";
const SODIUM_SCRIPT = new URL("./_xftp_sodium.mjs", import.meta.url).pathname;
/** Goals: at least half of each baseline; memory does not grow with the file size. */
const RATIO_GOAL = 0.5;
const MEMORY_GROWTH_GOAL = 64 * MiB;

const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);
const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** A file of `size` random bytes, written 1 MiB at a time. */
async function writeRandomFile(path: string, size: number): Promise<void> {
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  const buffer = new Uint8Array(MiB);
  for (let written = 0; written < size; written += buffer.length) {
    for (let i = 0; i < buffer.length; i += PIECE) crypto.getRandomValues(buffer.subarray(i, i + PIECE));
    const piece = buffer.subarray(0, Math.min(buffer.length, size - written));
    for (let off = 0; off < piece.length;) off += await file.write(piece.subarray(off));
  }
}

async function fileDigest(path: string): Promise<string> {
  const hash = createHasher("sha256");
  const file = await Deno.open(path); // its readable closes it at the end
  for await (const piece of file.readable) hash.update(piece);
  return Array.from(hash.digest(), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Wall time of one phase, and the CPU seconds the server and this process spent in it. */
interface Phase {
  readonly ms: number;
  readonly serverCpu: number;
  readonly clientCpu: number;
}

function phaseTimer(serverPid: number): () => Phase {
  const [t0, s0, c0] = [performance.now(), cpuSeconds(serverPid), cpuSeconds(Deno.pid)];
  return () => ({
    ms: performance.now() - t0,
    serverCpu: cpuSeconds(serverPid) - s0,
    clientCpu: cpuSeconds(Deno.pid) - c0,
  });
}

interface Upload {
  readonly total: Phase;
  /** until the last chunk was encrypted (chunks are sent while the next ones are encrypted) */
  readonly encryption: Phase;
  readonly sent: SentFile;
  readonly serverPeak: Peak;
  readonly clientPeak: Peak;
}

async function upload(x: XftpServerProcess, path: string, tmpDir: string): Promise<Upload> {
  const serverPid = x.child.pid;
  let encryption: Phase | undefined;
  const { result, peaks } = await peakResident([serverPid, Deno.pid], async () => {
    const total = phaseTimer(serverPid);
    const sent = await sendFile(path, {
      servers: [{ server: x.server }],
      recipients: 1,
      retries: 1,
      tmpDir,
      onEncrypted: () => (encryption = total()),
    });
    return { total: total(), sent };
  });
  return { ...result, encryption: encryption!, serverPeak: peaks[0], clientPeak: peaks[1] };
}

interface Download {
  readonly total: Phase;
  /** until the last chunk was fetched and verified (the decryption runs behind, and ends after it) */
  readonly transfer: Phase;
  readonly path: string;
  readonly serverPeak: Peak;
  readonly clientPeak: Peak;
}

async function download(x: XftpServerProcess, sent: SentFile, dir: string): Promise<Download> {
  const serverPid = x.child.pid;
  let transfer: Phase | undefined;
  const { result, peaks } = await peakResident([serverPid, Deno.pid], async () => {
    const total = phaseTimer(serverPid);
    const path = await receiveFile(sent.recipients[0], {
      retries: 1,
      tmpDir: dir,
      outputDir: `${dir}/received`,
      onProgress: (done, size) => {
        if (done === size) transfer = total();
      },
    });
    return { total: total(), path };
  });
  return { ...result, transfer: transfer!, serverPeak: peaks[0], clientPeak: peaks[1] };
}

interface NginxRound extends H2Figures {
  readonly serverPeak: Peak;
}

async function nginxRound(nginx: Nginx, path: string, dir: string): Promise<NginxRound> {
  const { result, peaks } = await peakResident(
    [nginx.child.pid],
    () => moveThroughNginx(nginx.port, path, CHUNK_SIZE, `${dir}/nginx-download`),
  );
  await Deno.remove(`${dir}/nginx/www/chunks`, { recursive: true });
  await Deno.mkdir(`${dir}/nginx/www/chunks`);
  return { ...result, serverPeak: peaks[0] };
}

interface Transfers {
  readonly upload: Upload;
  readonly download: Download;
  readonly nginx: NginxRound;
  /** every received file had the source's SHA-256 */
  readonly verified: boolean;
}

const fastest = <T>(rounds: T[], rate: (r: T) => number) =>
  rounds.reduce((best, r) => (rate(r) > rate(best) ? r : best));

async function measureTransfers(
  x: XftpServerProcess,
  nginx: Nginx,
  source: string,
  dir: string,
): Promise<Transfers> {
  const expected = await fileDigest(source);
  const ours: { upload: Upload; download: Download }[] = [];
  const theirs: NginxRound[] = [];
  let verified = true;
  for (let round = 1; round <= TRANSFER_ROUNDS; round++) {
    const up = await upload(x, source, dir);
    const down = await download(x, up.sent, dir);
    verified &&= (await fileDigest(down.path)) === expected;
    await Deno.remove(down.path);
    await deleteFile(up.sent.sender, 1);
    ours.push({ upload: up, download: down });
    const n = await nginxRound(nginx, source, dir);
    theirs.push(n);
    console.log(
      `round ${round}/${TRANSFER_ROUNDS}: xftp up ${mbps(FILE_SIZE, up.total.ms).toFixed(1)} MB/s, ` +
        `down ${mbps(FILE_SIZE, down.total.ms).toFixed(1)} MB/s; nginx up ${n.uploadMBps.toFixed(1)}, ` +
        `down ${n.downloadMBps.toFixed(1)} MB/s`,
    );
  }
  const nginxUp = fastest(theirs, (r) => r.uploadMBps);
  return {
    upload: fastest(ours, (r) => -r.upload.total.ms).upload,
    download: fastest(ours, (r) => -r.download.total.ms).download,
    nginx: { ...nginxUp, downloadMBps: fastest(theirs, (r) => r.downloadMBps).downloadMBps },
    verified,
  };
}

interface LargeUpload {
  readonly size: number;
  readonly upload: Upload;
}

/**
 * The memory bound: encryption and upload of a large sparse file (it reads as zeros, which cost
 * the same to encrypt), 1 GiB if the 100 MiB upload's pace says it fits in what is left of the
 * budget, else 300 MiB.
 */
async function measureLargeUpload(
  x: XftpServerProcess,
  dir: string,
  pace: Upload,
  started: number,
): Promise<LargeUpload> {
  const left = BUDGET_SECONDS - (performance.now() - started) / 1000 - 30; // the encryption part still to come
  const expected = (pace.total.ms / 1000) * (LARGE_FILE_SIZE / FILE_SIZE);
  const size = expected < left ? LARGE_FILE_SIZE : FALLBACK_FILE_SIZE;
  console.log(
    `memory run: ${mib(size)} (1 GiB expected to take ${expected.toFixed(0)} s, ${
      left.toFixed(0)
    } s left)...`,
  );
  const path = `${dir}/large.bin`;
  await Deno.writeFile(path, new Uint8Array(0));
  await Deno.truncate(path, size);
  try {
    const up = await upload(x, path, dir);
    await deleteFile(up.sent.sender, 1);
    return { size, upload: up };
  } finally {
    await Deno.remove(path);
  }
}

interface Encryption {
  /** encryptFile over the file in memory, output discarded */
  readonly encryptFileMBps: number;
  /** its parts alone, over the same bytes in the same pieces */
  readonly secretStreamMBps: number;
  readonly sha512MBps: number;
  readonly sha256MBps: number;
  readonly sodium: { version: string; secretboxMBps: number; withDigestsMBps: number };
  /** our secret stream's tag equals crypto_secretbox's over the same bytes and nonce (its key derived) */
  readonly tagsAgree: boolean;
}

function bestMBps(bytes: number, op: () => unknown): number {
  let best = 0;
  for (let round = 0; round < ENCRYPTION_ROUNDS; round++) {
    const t0 = performance.now();
    op();
    best = Math.max(best, mbps(bytes, performance.now() - t0));
  }
  return best;
}

async function bestMBpsAsync(bytes: number, op: () => Promise<unknown>): Promise<number> {
  let best = 0;
  for (let round = 0; round < ENCRYPTION_ROUNDS; round++) {
    const t0 = performance.now();
    await op();
    best = Math.max(best, mbps(bytes, performance.now() - t0));
  }
  return best;
}

async function installSodium(prefix: string): Promise<void> {
  const out = await new Deno.Command("npm", {
    args: ["install", "--silent", "--no-audit", "--no-fund", "--prefix", prefix, SODIUM_NATIVE],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`npm install ${SODIUM_NATIVE} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

async function measureEncryption(source: string, sodiumPrefix: string): Promise<Encryption> {
  const data = await Deno.readFile(source);
  const key = randomBytes(32);
  const nonce = randomBytes(24);
  const pieces = function* () {
    for (let i = 0; i < data.length; i += PIECE) yield data.subarray(i, i + PIECE);
  };
  const params = { key, nonce, fileSize: data.length, header: { fileName: "file.bin" } };
  const encryptFileMBps = await bestMBpsAsync(data.length, () => encryptFile(pieces(), params, () => {}));
  let tag: Uint8Array = new Uint8Array(0);
  const secretStreamMBps = bestMBps(data.length, () => {
    const enc = new SecretStreamEncryptor(key, nonce);
    for (const piece of pieces()) enc.update(piece);
    tag = enc.final();
  });
  const hashMBps = (algorithm: HashAlgorithm) =>
    bestMBps(data.length, () => {
      const hash = createHasher(algorithm);
      for (const piece of pieces()) hash.update(piece);
      hash.digest();
    });
  const [sha512MBps, sha256MBps] = [hashMBps("sha512"), hashMBps("sha256")];
  const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  // the SimpleX secret box is crypto_secretbox under HSalsa20(key, 0^16) (core/crypto/_xsalsa20.ts)
  const boxKey = hsalsa20(key, new Uint8Array(16));
  const args = [SODIUM_SCRIPT, sodiumPrefix, source, CHUNK_SIZE, hex(boxKey), hex(nonce), ENCRYPTION_ROUNDS];
  const out = await new Deno.Command("node", { args: args.map(String), stdout: "piped", stderr: "inherit" })
    .output();
  if (!out.success) throw new Error("the sodium-native baseline failed");
  const sodium = JSON.parse(new TextDecoder().decode(out.stdout));
  return {
    encryptFileMBps,
    secretStreamMBps,
    sha512MBps,
    sha256MBps,
    sodium,
    tagsAgree: sodium.tag === hex(tag),
  };
}

interface Row {
  readonly figure: string;
  readonly ours: string;
  readonly baseline: string;
  readonly ratio?: number;
  readonly goal?: { readonly text: string; readonly pass: boolean };
}

function printTable(rows: readonly Row[]): void {
  // each column as wide as its longest cell, so no figure runs into the next one
  const width = (cell: (r: Row) => string) => Math.max(...rows.map((r) => cell(r).length)) + 2;
  const [w0, w1, w2] = [width((r) => r.figure), width((r) => r.ours), width((r) => r.baseline)];
  const line = (cells: string[]) =>
    console.log(
      cells[0].padEnd(w0) + cells[1].padEnd(w1) + cells[2].padEnd(w2) + cells[3].padStart(5) + "  " +
        cells[4],
    );
  line(["", "ours", "baseline", "ratio", "goal"]);
  for (const r of rows) {
    const goal = r.goal ? `${r.goal.text}: ${r.goal.pass ? "PASS" : "FAIL"}` : "";
    line([r.figure, r.ours, r.baseline, r.ratio === undefined ? "" : r.ratio.toFixed(2), goal]);
  }
}

const atLeastHalf = (ratio: number) => ({ text: `>= ${RATIO_GOAL.toFixed(2)}`, pass: ratio >= RATIO_GOAL });
const cpu = (p: Phase) => `server ${p.serverCpu.toFixed(1)} s, client ${p.clientCpu.toFixed(1)} s CPU`;
const peak = (p: Peak) => `${mib(p.hwm)} (${mib(p.before)})`;

/** Cores the rest of the machine kept busy, on average, since `since` was taken. */
function othersSince(since: { machine: number; own: number; at: number }, running: number[]): number {
  const busy = machineCpuSeconds() - since.machine - (ownCpuSeconds(running) - since.own);
  return Math.max(0, busy) / ((performance.now() - since.at) / 1000);
}

function report(t: Transfers, large: LargeUpload, e: Encryption, nginx: Nginx, others: number): void {
  const up = mbps(FILE_SIZE, t.upload.total.ms);
  const down = mbps(FILE_SIZE, t.download.total.ms);
  const sodium = e.sodium.secretboxMBps;
  const u = t.upload, d = t.download;
  // the large upload beside the highest peak of the 100 MiB steps (a download leaves a bigger heap behind)
  const serverAt100 = Math.max(u.serverPeak.hwm, d.serverPeak.hwm);
  const clientAt100 = Math.max(u.clientPeak.hwm, d.clientPeak.hwm);
  const serverGrowth = large.upload.serverPeak.hwm - serverAt100;
  const clientGrowth = large.upload.clientPeak.hwm - clientAt100;
  console.log(
    `\nxftp: simplex xftp-server start in its own process; sendFile / receiveFile of a ${
      mib(FILE_SIZE)
    } random file` +
      `\n  from this process (4 MiB chunks, 1 recipient, one connection), plaintext MB/s, best of ${TRANSFER_ROUNDS}` +
      `\nbaseline: ${nginx.version} (one process, HTTP/2, TLS 1.3 ${t.nginx.tls.split(" ")[1]}, X25519, ` +
      `ECDSA P-256),\n  node:http2 client: the same file in 4 MiB PUTs (stored by DAV) ` +
      `and GETs into a file` +
      `\nencryption: over ${mib(FILE_SIZE)} in memory in 64 KiB pieces, output discarded, best of ` +
      `${ENCRYPTION_ROUNDS}:\n  the secret stream encryptFile runs (the file format's encryption) beside ` +
      `sodium-native ${e.sodium.version}\n  crypto_secretbox_detached over the same bytes (tags agree: ${
        e.tagsAgree ? "yes" : "NO"
      });\n  encryptFile whole, which also computes the description's SHA-512 and each chunk's SHA-256,\n` +
      `  beside that secretbox followed by the same digests (node:crypto, OpenSSL)\ndownloaded file identical to the source: ${
        t.verified ? "yes" : "NO"
      }\nthe rest of the machine kept ${
        others.toFixed(2)
      } of its ${navigator.hardwareConcurrency} cores busy meanwhile, on average\n`,
  );
  printTable([
    {
      figure: `upload MB/s (encrypt + FNEW/FPUT)`,
      ours: `${up.toFixed(1)} MB/s`,
      baseline: `${t.nginx.uploadMBps.toFixed(1)} MB/s nginx PUT`,
      ratio: up / t.nginx.uploadMBps,
      goal: atLeastHalf(up / t.nginx.uploadMBps),
    },
    {
      figure: `  all encrypted ${seconds(u.encryption.ms)}, last FPUT ${
        seconds(u.total.ms - u.encryption.ms)
      } later`,
      ours: `${mbps(FILE_SIZE, u.encryption.ms).toFixed(1)} MB/s encrypted`,
      baseline: cpu(u.total),
    },
    {
      figure: `download MB/s (FGET + verify + decrypt)`,
      ours: `${down.toFixed(1)} MB/s`,
      baseline: `${t.nginx.downloadMBps.toFixed(1)} MB/s nginx GET`,
      ratio: down / t.nginx.downloadMBps,
      goal: atLeastHalf(down / t.nginx.downloadMBps),
    },
    {
      figure: `  all fetched ${seconds(d.transfer.ms)}, decrypted + FACK ${
        seconds(d.total.ms - d.transfer.ms)
      } later`,
      ours: `${mbps(FILE_SIZE, d.transfer.ms).toFixed(1)} MB/s FGET`,
      baseline: cpu(d.total),
    },
    {
      figure: "file encryption MB/s (its secret stream)",
      ours: `${e.secretStreamMBps.toFixed(1)} MB/s`,
      baseline: `${sodium.toFixed(0)} MB/s secretbox`,
      ratio: e.secretStreamMBps / sodium,
      goal: atLeastHalf(e.secretStreamMBps / sodium),
    },
    {
      figure: "encryptFile MB/s (+ SHA-512, SHA-256/chunk)",
      ours: `${e.encryptFileMBps.toFixed(1)} MB/s`,
      baseline: `${e.sodium.withDigestsMBps.toFixed(0)} MB/s + the same SHA`,
      ratio: e.encryptFileMBps / e.sodium.withDigestsMBps,
      goal: atLeastHalf(e.encryptFileMBps / e.sodium.withDigestsMBps),
    },
    {
      figure: "  encryptFile beside bare secretbox",
      ours: `${e.encryptFileMBps.toFixed(1)} MB/s`,
      baseline: `${sodium.toFixed(0)} MB/s (no digests)`,
      ratio: e.encryptFileMBps / sodium,
    },
    {
      figure: "  SHA-512, SHA-256 alone, in those pieces",
      ours: `${e.sha512MBps.toFixed(0)}, ${e.sha256MBps.toFixed(0)} MB/s`,
      baseline: "node:crypto, this thread",
    },
    {
      figure: `peak RSS server, ${mib(FILE_SIZE)} up / down`,
      ours: `${mib(u.serverPeak.hwm)} / ${mib(d.serverPeak.hwm)}`,
      baseline: `${mib(t.nginx.serverPeak.hwm)} nginx`,
    },
    {
      figure: `peak RSS client, ${mib(FILE_SIZE)} up / down`,
      ours: `${mib(u.clientPeak.hwm)} / ${mib(d.clientPeak.hwm)}`,
      baseline: `${mib(t.nginx.peakRss)} node:http2 client`,
    },
    {
      figure: `peak RSS server, ${mib(large.size)} upload (before)`,
      ours: peak(large.upload.serverPeak),
      baseline: `${mib(serverAt100)} at ${mib(FILE_SIZE)}`,
      goal: { text: `< +${mib(MEMORY_GROWTH_GOAL)}`, pass: serverGrowth < MEMORY_GROWTH_GOAL },
    },
    {
      figure: `peak RSS client, ${mib(large.size)} upload (before)`,
      ours: peak(large.upload.clientPeak),
      baseline: `${mib(clientAt100)} at ${mib(FILE_SIZE)}`,
      goal: { text: `< +${mib(MEMORY_GROWTH_GOAL)}`, pass: clientGrowth < MEMORY_GROWTH_GOAL },
    },
    {
      figure: `  ${mib(large.size)} upload MB/s`,
      ours: `${mbps(large.size, large.upload.total.ms).toFixed(1)} MB/s`,
      baseline: cpu(large.upload.total),
    },
  ]);
  const sampled = Math.max(
    ...[u, d, large.upload].flatMap((x) => [x.serverPeak, x.clientPeak]).map((p) => p.hwm - p.sampled),
  );
  console.log(
    `\nPeak RSS is VmHWM over the step (reset before it); the 100 ms VmRSS samples came within ${
      mib(sampled)
    } of it.` +
      `\nThe memory goal: the ${mib(large.size)} upload's peak exceeds the highest of the ${
        mib(FILE_SIZE)
      } upload and download by less than ${mib(MEMORY_GROWTH_GOAL)}.` +
      `\nCPU seconds are of the whole step (a process at 1 core for the step spends as many CPU seconds as it took).`,
  );
}

export async function run(): Promise<void> {
  const t0 = performance.now();
  const dir = await Deno.makeTempDir({ prefix: "bench-xftp-" });
  const children: Child[] = [];
  const cleanUp = async () => {
    for (const c of children.splice(0)) await c.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  // an interrupted run still stops the server and nginx and removes the files
  const interrupted = () => cleanUp().finally(() => Deno.exit(130));
  Deno.addSignalListener("SIGINT", interrupted);
  Deno.addSignalListener("SIGTERM", interrupted);
  try {
    const source = `${dir}/file.bin`;
    await Deno.mkdir(`${dir}/nginx`);
    // each child is stopped on the way out even when another fails to start
    const tracked = <T extends { child: Child }>(p: Promise<T>) => p.then((c) => (children.push(c.child), c));
    const [, , x, nginx] = await Promise.all([
      writeRandomFile(source, FILE_SIZE),
      installSodium(`${dir}/sodium`),
      tracked(startXftpServerProcess(`${dir}/server`, freePort(), "3gb")),
      tracked(startNginx(`${dir}/nginx`, freePort())),
    ]);
    console.log(`xftp-server (pid ${x.child.pid}) and nginx (pid ${nginx.child.pid}) started`);
    const running = [x.child.pid, nginx.child.pid];
    const since = { machine: machineCpuSeconds(), own: ownCpuSeconds(running), at: performance.now() };
    const transfers = await measureTransfers(x, nginx, source, dir);
    const large = await measureLargeUpload(x, dir, transfers.upload, t0);
    console.log("encryption...");
    const encryption = await measureEncryption(source, `${dir}/sodium`);
    report(transfers, large, encryption, nginx, othersSince(since, running));
    console.log(`(run took ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  } finally {
    Deno.removeSignalListener("SIGINT", interrupted);
    Deno.removeSignalListener("SIGTERM", interrupted);
    await cleanUp();
  }
}

if (import.meta.main) await run();
