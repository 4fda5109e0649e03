/**
 * Issue #5: Debian's Chromium, driven by playwright-core, opens a page served from another origin,
 * which uploads a chunk to the XFTP server and downloads it back over the web handshake and CORS
 * (xftp.md §1.2-§1.4). The server is reached as `localhost` so that Chromium sends SNI; Chromium
 * trusts the web certificate by its SPKI pin only.
 */
import assert from "node:assert/strict";
import { BROWSER_TIMEOUT_MS, launchChromium, type Response } from "../_util/chromium.ts";
import { encodeBase64, encodeBase64Url } from "../../core/encoding/base64.ts";
import { toHex } from "../../core/encoding/bytes.ts";
import { sha256 } from "../../core/crypto/hash.ts";
import { makeChain } from "../tls/_certs.ts";
import { listFiles, startServer, xftpIdentity } from "../xftp_server/_harness.ts";
import { startPageServer } from "./_page_server.ts";
import type { RoundTripReport } from "./page.ts";

const CHUNK_SIZE = 256 * 1024;
const SCREENSHOT = new URL("../../.test-output/xftp-browser.png", import.meta.url);

/** base64(SHA-256(SubjectPublicKeyInfo)), the form `--ignore-certificate-errors-spki-list` takes. */
async function spkiPin(certFile: string): Promise<string> {
  const out = await new Deno.Command("openssl", {
    args: ["x509", "-in", certFile, "-noout", "-pubkey"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`openssl x509 -pubkey: ${new TextDecoder().decode(out.stderr)}`);
  const pem = new TextDecoder().decode(out.stdout).replace(/-----[A-Z ]+-----|\s/g, "");
  return encodeBase64(sha256(Uint8Array.from(atob(pem), (c) => c.charCodeAt(0))));
}

interface XftpExchange {
  readonly method: string;
  readonly headers: Record<string, string>;
}

Deno.test("Chromium uploads and downloads a chunk cross-origin via the web handshake and CORS", async () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const web = await makeChain("P-256", "localhost");
    cleanups.push(() => Deno.remove(web.dir, { recursive: true }));
    const xftp = await startServer({ webCredential: { chain: web.chain, privateKey: web.privateKey } });
    cleanups.push(() => Deno.remove(xftp.dir, { recursive: true }), () => xftp.close());
    const pageServer = await startPageServer();
    cleanups.push(() => pageServer.close());
    const browser = await launchChromium([
      `--ignore-certificate-errors-spki-list=${await spkiPin(web.certFile)}`,
    ]);
    cleanups.push(() => browser.close());

    const page = await browser.newPage({ viewport: { width: 800, height: 420 } });
    page.setDefaultTimeout(BROWSER_TIMEOUT_MS);
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    const xftpOrigin = `https://localhost:${xftp.server.port}`;
    const exchanges: XftpExchange[] = [];
    page.on("response", (r: Response) => {
      if (r.url().startsWith(xftpOrigin)) {
        exchanges.push({ method: r.request().method(), headers: r.headers() });
      }
    });
    // Playwright does not report CORS preflights; the DevTools protocol does, and the HTTP version.
    const preflights: XftpExchange[] = [];
    const protocols = new Set<string | undefined>();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Network.enable");
    cdp.on("Network.responseReceived", ({ type, response }) => {
      if (!response.url.startsWith(xftpOrigin)) return;
      protocols.add(response.protocol);
      if (type === "Preflight") preflights.push({ method: "OPTIONS", headers: response.headers });
    });

    const query = new URLSearchParams({
      server: xftpOrigin,
      keyHash: encodeBase64Url(xftpIdentity.keyHash),
      size: String(CHUNK_SIZE),
    });
    await page.goto(`${pageServer.origin}/?${query}`);
    const result = page.locator("#result[data-status]");
    try {
      await result.waitFor();
    } catch (e) {
      throw new Error(`the page did not finish; its errors: ${JSON.stringify(pageErrors)}`, { cause: e });
    } finally {
      await Deno.mkdir(new URL(".", SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT.pathname, fullPage: true });
    }

    const text = await result.textContent() ?? "";
    assert.equal(await result.getAttribute("data-status"), "ok", `page reported: ${text}`);
    const report: RoundTripReport = JSON.parse(text);
    assert.equal(report.size, CHUNK_SIZE);
    assert.equal(report.downloadedSha256, report.uploadedSha256);
    const stored = await listFiles(xftp.filesPath);
    assert.equal(stored.length, 1);
    assert.equal(toHex(sha256(await Deno.readFile(`${xftp.filesPath}/${stored[0]}`))), report.uploadedSha256);
    // web hello, client handshake, FNEW, FPUT, FGET, all over HTTP/2 and answered with CORS headers
    assert.deepEqual(exchanges.map((e) => e.method), ["POST", "POST", "POST", "POST", "POST"]);
    for (const e of exchanges) assert.equal(e.headers["access-control-allow-origin"], "*");
    assert.deepEqual([...protocols], ["h2"]);
    // the xftp-web-hello header makes the first POST preflighted; max-age lets the rest reuse it
    assert.ok(preflights.length >= 1, "no CORS preflight");
    for (const p of preflights) {
      assert.equal(p.headers["access-control-allow-origin"], "*");
      assert.equal(p.headers["access-control-allow-methods"], "POST, OPTIONS");
      assert.equal(p.headers["access-control-allow-headers"], "*");
    }
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
});
