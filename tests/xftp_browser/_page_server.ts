/**
 * Serves the test page over plain HTTP on its own 127.0.0.1 port, so that the page's requests to
 * the XFTP server are cross-origin. page.ts is bundled for the browser with `deno bundle` on start.
 */
const HERE = new URL(".", import.meta.url);
const ROOT = new URL("../../", import.meta.url);

export interface PageServer {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  close(): Promise<void>;
}

async function bundlePage(): Promise<Uint8Array<ArrayBuffer>> {
  const dir = await Deno.makeTempDir({ prefix: "xftp-browser-page-" });
  try {
    const out = `${dir}/page.js`;
    const bundle = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--quiet",
        "--platform",
        "browser",
        "--output",
        out,
        new URL("page.ts", HERE).pathname,
      ],
      cwd: ROOT.pathname, // deno.json's import map resolves @noble/ciphers
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!bundle.success) throw new Error(`deno bundle page.ts: ${new TextDecoder().decode(bundle.stderr)}`);
    return await Deno.readFile(out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

export async function startPageServer(): Promise<PageServer> {
  const script = await bundlePage();
  const html = await Deno.readFile(new URL("page.html", HERE));
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/") return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
    if (path === "/page.js") return new Response(script, { headers: { "content-type": "text/javascript" } });
    return new Response("not found", { status: 404 });
  });
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    close: () => server.shutdown(),
  };
}
