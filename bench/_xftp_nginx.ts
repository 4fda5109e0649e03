/**
 * The baseline of bench/xftp.ts: Debian's nginx serving HTTP/2 over TLS 1.3 from a configuration
 * of our own in a temporary directory, storing PUT bodies (the DAV module) and serving them back,
 * and the Node client (bench/_xftp_h2_client.mjs) that moves a file through it.
 */
import { Child } from "./_relay_proc.ts";

const CLIENT_SCRIPT = new URL("./_xftp_h2_client.mjs", import.meta.url).pathname;

export interface Nginx {
  readonly child: Child;
  readonly port: number;
  readonly version: string;
}

/** `apt-get install nginx` if there is no nginx on the PATH; nginx-light has HTTP/2, SSL and DAV. */
export async function ensureNginx(): Promise<void> {
  const found = await new Deno.Command("sh", { args: ["-c", "command -v nginx"], stdout: "null" }).output();
  if (found.success) return;
  console.log("installing nginx (apt-get)...");
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update", "-qq"], ["install", "-y", "-qq", "nginx-light"]]) {
    const out = await new Deno.Command("apt-get", { args, env, stdout: "null", stderr: "piped" }).output();
    if (!out.success) throw new Error(`apt-get ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

async function run(command: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${command} ${args.join(" ")} failed: ${text}`);
  return text;
}

/**
 * One nginx process (`master_process off`, so that its resident memory is all of nginx) on
 * `port`, with a self-signed ECDSA P-256 certificate and the TLS parameters our XFTP connections
 * negotiate: TLS 1.3, ChaCha20-Poly1305, X25519.
 */
export async function startNginx(dir: string, port: number): Promise<Nginx> {
  await ensureNginx();
  const version = (await run("nginx", ["-v"])).trim().replace(/^nginx version: /, "");
  await run("openssl", [
    ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
    ...["-keyout", `${dir}/key.pem`, "-out", `${dir}/cert.pem`, "-days", "2", "-subj", "/CN=localhost"],
  ]);
  await Deno.mkdir(`${dir}/www/chunks`, { recursive: true });
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
    .map((t) => `  ${t}_temp_path ${dir}/${t}_temp;`).join("\n");
  await Deno.writeTextFile(
    `${dir}/nginx.conf`,
    `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
${temp}
  server {
    listen 127.0.0.1:${port} ssl http2;
    ssl_certificate ${dir}/cert.pem;
    ssl_certificate_key ${dir}/key.pem;
    ssl_protocols TLSv1.3;
    ssl_ecdh_curve X25519;
    ssl_conf_command Ciphersuites TLS_CHACHA20_POLY1305_SHA256;
    client_max_body_size 8m;
    location /chunks/ {
      root ${dir}/www;
      dav_methods PUT;
    }
  }
}
`,
  );
  const child = new Child("nginx", ["-p", dir, "-c", `${dir}/nginx.conf`, "-e", `${dir}/error.log`]);
  for (const deadline = Date.now() + 10_000;;) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return { child, port, version };
    } catch (e) {
      if (Date.now() > deadline) {
        await child.stop();
        const log = await Deno.readTextFile(`${dir}/error.log`).catch(() => "");
        throw new Error(`nginx did not start: ${log}`, { cause: e });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export interface H2Figures {
  readonly uploadMBps: number;
  readonly downloadMBps: number;
  /** what the Node client negotiated, e.g. `TLSv1.3 TLS_CHACHA20_POLY1305_SHA256` */
  readonly tls: string;
  /** the client's peak resident memory */
  readonly peakRss: number;
}

/** Uploads `file` in `chunkSize` PUTs and downloads it back to `downloadTo`, with node:http2. */
export async function moveThroughNginx(
  port: number,
  file: string,
  chunkSize: number,
  downloadTo: string,
): Promise<H2Figures> {
  const args = [CLIENT_SCRIPT, String(port), file, String(chunkSize), downloadTo];
  const out = await new Deno.Command("node", { args, stdout: "piped", stderr: "inherit" }).output();
  if (!out.success) throw new Error("the node:http2 client failed");
  return JSON.parse(new TextDecoder().decode(out.stdout));
}
