/**
 * The test page's script: uploads one chunk of random bytes to the XFTP server named in the query
 * (`?server=https://localhost:PORT&keyHash=<b64url>&size=N`), downloads it back, and shows each step.
 * `#result` gets `data-status` ok or error and a JSON report for the test to read.
 */
import { decodeBase64Url } from "../../core/encoding/base64.ts";
import { toHex } from "../../core/encoding/bytes.ts";
import { sha256 } from "./_identity.ts";
import { randomBytes, XftpWebClient } from "./_web_client.ts";

/**
 * The few DOM calls the page makes. Deno's type library has no DOM, and `/// <reference lib="dom" />`
 * would retype every module that `deno check` checks together with this one.
 */
interface PageElement {
  textContent: string | null;
  className: string;
  readonly dataset: Record<string, string>;
  append(child: PageElement): void;
}
declare const document: {
  getElementById(id: string): PageElement | null;
  createElement(tag: string): PageElement;
};

export interface RoundTripReport {
  readonly size: number;
  readonly version: number;
  readonly uploadedSha256: string;
  readonly downloadedSha256: string;
}

function step(text: string, className = "ok"): void {
  const li = document.createElement("li");
  li.textContent = text;
  li.className = className;
  document.getElementById("steps")!.append(li);
}

async function roundTrip(server: string, keyHash: Uint8Array, size: number): Promise<RoundTripReport> {
  const c = await XftpWebClient.connect(server, keyHash);
  step(`web hello: identity ${toHex(keyHash).slice(0, 16)}… verified; handshake at v${c.version}`);
  const chunk = randomBytes(size);
  const digest = await sha256(chunk);
  const ed25519 = () =>
    crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]) as Promise<CryptoKeyPair>;
  const [sender, recipient] = [await ed25519(), await ed25519()];
  const ids = await c.create({ size, digest }, sender, recipient);
  step(`FNEW ${size} bytes → SIDS`);
  await c.upload(ids.senderId, sender, chunk);
  step(`FPUT → OK`);
  const downloaded = await c.download(ids.recipientId, recipient);
  step(`FGET → FILE, ${downloaded.length} bytes decrypted`);
  const report = {
    size,
    version: c.version,
    uploadedSha256: toHex(digest),
    downloadedSha256: toHex(await sha256(downloaded)),
  };
  if (report.uploadedSha256 !== report.downloadedSha256) throw new Error("downloaded chunk differs");
  step(`SHA-256 match: ${report.downloadedSha256}`);
  return report;
}

const params = new URLSearchParams(location.search);
const server = params.get("server") ?? "";
const result = document.getElementById("result")!;
document.getElementById("server")!.textContent = server;
try {
  const report = await roundTrip(
    server,
    decodeBase64Url(params.get("keyHash") ?? ""),
    Number(params.get("size")),
  );
  result.textContent = JSON.stringify(report, null, 2);
  result.dataset.status = "ok";
} catch (e) {
  step(String(e), "error");
  result.textContent = JSON.stringify({ error: String(e) });
  result.dataset.status = "error";
}
