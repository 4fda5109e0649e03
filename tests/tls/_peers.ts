/**
 * Reference peers run as subprocesses: `openssl s_server`/`s_client` and a node:tls script
 * (tests/tls/_node_peer.mjs). Each is killed by the test that started it.
 */
import { TextLineStream } from "./_lines.ts";

export interface Peer {
  readonly process: Deno.ChildProcess;
  /** The next stdout line that satisfies `match` (waits up to `ms`). */
  waitFor(match: (line: string) => boolean, ms?: number): Promise<string>;
  /** Everything printed so far (stdout and stderr). */
  readonly output: string[];
  write(text: string): Promise<void>;
  stop(): Promise<void>;
}

function spawn(command: string, args: string[]): Peer {
  const process = new Deno.Command(command, { args, stdin: "piped", stdout: "piped", stderr: "piped" })
    .spawn();
  const output: string[] = [];
  let notify: (() => void) | undefined;
  let ended = false;
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const line of stream.pipeThrough(new TextDecoderStream()).pipeThrough(new TextLineStream())) {
      output.push(line);
      notify?.();
    }
  };
  const done = Promise.all([collect(process.stdout), collect(process.stderr)]).finally(() => {
    ended = true;
    notify?.();
  });
  const writer = process.stdin.getWriter();
  return {
    process,
    output,
    async waitFor(match, ms = 10_000) {
      const deadline = Date.now() + ms;
      let seen = 0;
      while (true) {
        for (; seen < output.length; seen++) if (match(output[seen])) return output[seen];
        if (ended) throw new Error(`${command} ended without the expected output:\n${output.join("\n")}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`${command}: timed out waiting; output:\n${output.join("\n")}`);
        let timer: ReturnType<typeof setTimeout> | undefined;
        await new Promise<void>((resolve) => {
          notify = resolve;
          timer = setTimeout(resolve, left);
        });
        clearTimeout(timer);
      }
    },
    async write(text) {
      await writer.write(new TextEncoder().encode(text));
    },
    async stop() {
      try {
        process.kill("SIGKILL");
      } catch {
        // already exited
      }
      await writer.close().catch(() => {});
      await process.status;
      await done;
    },
  };
}

export interface OpenSslServerOptions {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile?: string;
  readonly groups?: string;
  readonly ciphersuites?: string;
  readonly alpn?: string;
  readonly extra?: string[];
}

/** `openssl s_server -rev` (echoes each line reversed) on an ephemeral port. */
export async function openSslServer(o: OpenSslServerOptions): Promise<{ peer: Peer; port: number }> {
  const args = [
    "s_server",
    "-accept",
    "127.0.0.1:0",
    "-cert",
    o.certFile,
    "-key",
    o.keyFile,
    "-rev",
    "-naccept",
    "1",
  ];
  if (o.caFile) args.push("-cert_chain", o.caFile);
  if (o.groups) args.push("-groups", o.groups);
  if (o.ciphersuites) args.push("-ciphersuites", o.ciphersuites);
  if (o.alpn) args.push("-alpn", o.alpn);
  args.push(...(o.extra ?? ["-tls1_3"]));
  const peer = spawn("openssl", args);
  const line = await peer.waitFor((l) => l.startsWith("ACCEPT"));
  return { peer, port: Number(line.slice(line.lastIndexOf(":") + 1)) };
}

/**
 * `openssl s_client` against 127.0.0.1:port; it prints the session summary and what it receives.
 * `interactive` keeps its single-letter commands (k/K send KeyUpdate) instead of -ign_eof.
 */
export function openSslClient(port: number, extra: string[], interactive = false): Peer {
  const mode = interactive ? [] : ["-ign_eof"];
  return spawn("openssl", ["s_client", "-connect", `127.0.0.1:${port}`, ...mode, ...extra]);
}

export interface NodePeerOptions {
  readonly mode: "server" | "client";
  readonly cert?: string;
  readonly key?: string;
  readonly port?: number;
  readonly groups?: string;
  readonly ciphers?: string;
  readonly alpn?: string[];
  readonly sigalgs?: string;
  readonly requestCert?: boolean;
  readonly servername?: string;
  readonly maxVersion?: string;
  /** client: bytes to send (then it half-closes and reads the echo) */
  readonly bytes?: number;
}

export interface NodeEvent {
  event: "listening" | "secure" | "sent" | "end" | "error";
  port?: number;
  finished?: string;
  peerFinished?: string;
  alpn?: string | null;
  cipher?: string;
  group?: string | null;
  peerChain?: string[];
  bytes?: number;
  sha256?: string;
  message?: string;
}

export interface NodePeer extends Peer {
  next(event: NodeEvent["event"], ms?: number): Promise<NodeEvent>;
}

export function nodePeer(o: NodePeerOptions): NodePeer {
  const script = new URL("./_node_peer.mjs", import.meta.url).pathname;
  const peer = spawn("node", [script, JSON.stringify(o)]);
  return {
    ...peer,
    next: async (event, ms) => JSON.parse(await peer.waitFor((l) => l.startsWith(`{"event":"${event}"`), ms)),
  };
}

/** Bytes in a recognisable pattern, as the node peer generates them. */
export function pattern(n: number): Uint8Array {
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) data[i] = (i * 31 + (i >>> 8)) & 0xff;
  return data;
}
