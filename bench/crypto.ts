/**
 * Crypto throughput. Prints (a) the SimpleX box on 16 KB blocks and (b) the tail-tag stream on
 * 16 KB chunks beside Node's OpenSSL ChaCha20-Poly1305 on 16 KB, measured in a `node` subprocess
 * in the same run, and (c) the implementation comparisons behind each choice in core/crypto.
 *
 *   deno run --allow-all bench/crypto.ts
 */
import { xsalsa20poly1305 } from "@noble/ciphers/salsa.js";
import { poly1305 as noblePoly1305 } from "@noble/ciphers/_poly1305.js";
import { gcm } from "@noble/ciphers/aes.js";
import { sha256 as nobleSha256, sha512 as nobleSha512 } from "@noble/hashes/sha2.js";
import { sha3_256 as nobleSha3_256, sha3_384 as nobleSha3_384 } from "@noble/hashes/sha3.js";
import { hkdf as nobleHkdf } from "@noble/hashes/hkdf.js";
import { hmac as nobleHmac } from "@noble/hashes/hmac.js";
import { ed25519, x25519 } from "@noble/curves/ed25519.js";
import { ed448, x448 } from "@noble/curves/ed448.js";
import {
  aesGcmEncrypt,
  cryptoBox,
  cryptoBoxOpen,
  dh,
  generateKeyPair,
  hkdfSha512,
  hmacSha512,
  privateKey,
  publicKey,
  randomBytes,
  sbEncrypt,
  SecretStreamDecryptor,
  SecretStreamEncryptor,
  sha256,
  sha3_256,
  sha3_384,
  sha512,
  sign,
  verify,
} from "../core/crypto/mod.ts";
import { Poly1305 } from "../core/crypto/_poly1305.ts";
import {
  availableSalsaPolyBackends,
  type SalsaPolyBackend,
  salsaPolyBackend,
  withSalsaPolyBackend,
} from "../core/crypto/_backend.ts";
import { Poly1305 as Poly1305Js } from "../core/crypto/_poly1305_js.ts";
import { hsalsa20 } from "../core/crypto/_xsalsa20.ts";
import { type Libcrypto, loadLibcrypto, withLibcrypto } from "../core/crypto/_libcrypto.ts";
import { digestOffThread } from "../core/crypto/background_hash.ts";
import { CIPHER_SUITES, open, seal } from "../core/tls/_cipher_suite.ts";
import { XSalsa20Keystream as XSalsa20KeystreamJs } from "../core/crypto/_xsalsa20_js.ts";

const KB16 = 16384;
const MEASURE_MS = 150;
const ROUNDS = 3;

/**
 * Runs `op` for about `ms` after a warm-up, `ROUNDS` times, and keeps the best rate: on a shared
 * 2-core machine the best round is the stable figure, the others carry GC and scheduler noise.
 */
function opsPerSecond(op: () => unknown, ms = MEASURE_MS): number {
  for (let i = 0; i < 20; i++) op();
  let best = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let n = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < ms) {
      for (let i = 0; i < 5; i++) op();
      n += 5;
      elapsed = performance.now() - start;
    }
    best = Math.max(best, (n * 1000) / elapsed);
  }
  return best;
}

async function opsPerSecondAsync(op: () => Promise<unknown>, ms = MEASURE_MS): Promise<number> {
  for (let i = 0; i < 20; i++) await op();
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    await op();
    n++;
    elapsed = performance.now() - start;
  }
  return (n * 1000) / elapsed;
}

const mbps = (ops: number, bytes: number) => (ops * bytes) / 1e6;
const fmt = (x: number, unit: string) => `${x >= 100 ? x.toFixed(0) : x.toFixed(1)} ${unit}`.padStart(14);

/** Node's native AEAD on 16 KB inputs, the baseline a native stack would give. */
async function nodeChaChaBaseline(): Promise<number> {
  const script = `
    const c = require("node:crypto");
    const key = c.randomBytes(32), iv = c.randomBytes(12), m = c.randomBytes(${KB16});
    const op = () => { const x = c.createCipheriv("chacha20-poly1305", key, iv, { authTagLength: 16 });
      x.update(m); x.final(); x.getAuthTag(); };
    for (let i = 0; i < 200; i++) op();
    let n = 0; const t0 = process.hrtime.bigint(); let s = 0;
    while (s < 0.5) { for (let i = 0; i < 20; i++) op(); n += 20; s = Number(process.hrtime.bigint() - t0) / 1e9; }
    console.log(JSON.stringify({ mbps: n * ${KB16} / s / 1e6, version: process.version }));`;
  const out = await new Deno.Command("node", { args: ["-e", script], stdout: "piped", stderr: "inherit" })
    .output();
  if (!out.success) throw new Error("node baseline failed");
  const { mbps, version } = JSON.parse(new TextDecoder().decode(out.stdout));
  console.log(`baseline: node ${version} OpenSSL chacha20-poly1305, 16 KB: ${mbps.toFixed(0)} MB/s`);
  return mbps;
}

async function throughput(): Promise<void> {
  const baseline = await nodeChaChaBaseline();
  const key = randomBytes(32), nonce = randomBytes(24), block = randomBytes(KB16);
  const boxed = cryptoBox(key, nonce, block);
  const content = randomBytes(KB16 - 16 - 2);
  const rows: [string, number][] = [
    ["cryptoBox (cbEncryptNoPad) 16 KB", mbps(opsPerSecond(() => cryptoBox(key, nonce, block)), KB16)],
    ["cryptoBoxOpen 16 KB", mbps(opsPerSecond(() => cryptoBoxOpen(key, nonce, boxed)), KB16)],
    [
      "sbEncrypt transport block (16384 B)",
      mbps(opsPerSecond(() => sbEncrypt(key, nonce, content, 16368)), KB16),
    ],
  ];
  // one stream over many 16 KB chunks, as file encryption and FGET transit run it
  const enc = new SecretStreamEncryptor(key, nonce);
  rows.push(["SecretStreamEncryptor 16 KB chunks", mbps(opsPerSecond(() => enc.update(block)), KB16)]);
  const dec = new SecretStreamDecryptor(key, nonce);
  rows.push(["SecretStreamDecryptor 16 KB chunks", mbps(opsPerSecond(() => dec.update(block)), KB16)]);
  const odd = block.subarray(3, 3 + 16381);
  const encOdd = new SecretStreamEncryptor(key, nonce);
  rows.push([
    "SecretStreamEncryptor 16381 B, unaligned",
    mbps(opsPerSecond(() => encOdd.update(odd)), 16381),
  ]);
  console.log(`${"".padEnd(42)}${"ours".padStart(14)}${"baseline".padStart(14)}   ratio`);
  for (const [name, ours] of rows) {
    console.log(
      `${name.padEnd(42)}${fmt(ours, "MB/s")}${fmt(baseline, "MB/s")}   ${(ours / baseline).toFixed(2)}`,
    );
  }
}

type Candidate = [name: string, ops: number];

/** Prints the candidates for one job; the first is the one core/crypto uses. */
function compare(title: string, unitBytes: number, candidates: Candidate[], note?: string): void {
  const best = Math.max(...candidates.map(([, ops]) => ops));
  candidates.forEach(([name, ops], i) => {
    const figure = unitBytes > 0 ? fmt(mbps(ops, unitBytes), "MB/s") : fmt(ops / 1000, "kop/s");
    const mark = ops === best ? "  fastest" : `  ${(best / ops).toFixed(1)}x slower`;
    console.log(`${title.padEnd(27)}${(i === 0 ? "* " : "  ") + name.padEnd(38)}${figure}${mark}`);
  });
  if (note) console.log(`${"".padEnd(29)}(${note})`);
}

/** `cryptoBox` on the pure-JS keystream and Poly1305 that the WebAssembly ones replaced. */
function jsCryptoBox(key: Uint8Array, nonce: Uint8Array, msg: Uint8Array): Uint8Array {
  const keystream = new XSalsa20KeystreamJs(key, nonce);
  const mac = new Poly1305Js(keystream.take(32));
  const out = new Uint8Array(16 + msg.length);
  const body = out.subarray(16);
  body.set(msg);
  keystream.xorInPlace(body);
  out.set(mac.update(body).digest());
  return out;
}

async function choices(): Promise<void> {
  const key = randomBytes(32), nonce = randomBytes(24), block = randomBytes(KB16);
  const short = randomBytes(64), info = new TextEncoder().encode("SimpleXSbChain");
  const subkey = hsalsa20(key, new Uint8Array(16));
  const backends = availableSalsaPolyBackends();
  const label = (b: SalsaPolyBackend) => b.name === "wasm" ? "WebAssembly" : "libsodium (FFI)";
  // Poly1305 runs in libcrypto where it loads, whatever the backend; each backend's own is measured without it
  const lib = loadLibcrypto();
  const alone = (b: SalsaPolyBackend, op: () => unknown) =>
    withLibcrypto(null, () => withSalsaPolyBackend(b, () => opsPerSecond(op)));
  const withLib = (op: () => unknown): Candidate[] =>
    lib
      ? [[`ours: ${label(backends[0])}, libcrypto Poly1305`, withLibcrypto(lib, () => opsPerSecond(op))]]
      : [];
  const box = () => cryptoBox(key, nonce, block);
  compare("secret box 16 KB", KB16, [
    ...withLib(box),
    ...backends.map((b): Candidate => [`ours: ${label(b)}`, alone(b, box)]),
    ["previous JS: noble salsa20 + 2^22 Poly", opsPerSecond(() => jsCryptoBox(key, nonce, block))],
    ["@noble/ciphers xsalsa20poly1305", opsPerSecond(() => xsalsa20poly1305(subkey, nonce).encrypt(block))],
  ]);
  const mac = () => new Poly1305(key).update(block).digest();
  compare("Poly1305 16 KB", KB16, [
    ...(lib ? [["ours: libcrypto (FFI)", withLibcrypto(lib, () => opsPerSecond(mac))] as Candidate] : []),
    ...backends.map((b): Candidate => [`ours: ${label(b)}`, alone(b, mac)]),
    ["previous JS (_poly1305_js.ts)", opsPerSecond(() => new Poly1305Js(key).update(block).digest())],
    ["@noble/ciphers poly1305", opsPerSecond(() => noblePoly1305(block, key))],
  ]);
  await tlsRecords();
  compare("SHA-256 16 KB", KB16, [
    ["node:crypto", opsPerSecond(() => sha256(block))],
    ["@noble/hashes", opsPerSecond(() => nobleSha256(block))],
  ]);
  compare("SHA-256 64 B", 64, [
    ["node:crypto", opsPerSecond(() => sha256(short))],
    ["@noble/hashes", opsPerSecond(() => nobleSha256(short))],
  ]);
  compare("SHA-512 16 KB", KB16, [
    ["node:crypto", opsPerSecond(() => sha512(block))],
    ["@noble/hashes", opsPerSecond(() => nobleSha512(block))],
  ]);
  compare("SHA3-256 16 KB", KB16, [
    ["node:crypto", opsPerSecond(() => sha3_256(block))],
    ["@noble/hashes", opsPerSecond(() => nobleSha3_256(block))],
  ]);
  compare("SHA3-384 24 B (senderId)", 0, [
    ["node:crypto", opsPerSecond(() => sha3_384(nonce))],
    ["@noble/hashes", opsPerSecond(() => nobleSha3_384(nonce))],
  ]);
  compare("HMAC-SHA512 64 B", 0, [
    ["node:crypto", opsPerSecond(() => hmacSha512(key, short))],
    ["@noble/hashes", opsPerSecond(() => nobleHmac(nobleSha512, key, short))],
  ]);
  compare("HKDF-SHA512 88 B (block)", 0, [
    ["node:crypto hkdfSync", opsPerSecond(() => hkdfSha512(new Uint8Array(0), key, info, 88))],
    ["@noble/hashes", opsPerSecond(() => nobleHkdf(nobleSha512, key, new Uint8Array(0), info, 88))],
  ]);
  const iv = randomBytes(16), aad = randomBytes(112);
  const webKey = await crypto.subtle.importKey("raw", new Uint8Array(key), "AES-GCM", false, ["encrypt"]);
  const webParams = { name: "AES-GCM", iv: new Uint8Array(iv), additionalData: new Uint8Array(aad) };
  const webBlock = new Uint8Array(block);
  compare("AES-256-GCM 16 KB, 16B IV", KB16, [
    ["node:crypto", opsPerSecond(() => aesGcmEncrypt(key, iv, aad, block))],
    ["WebCrypto (async)", await opsPerSecondAsync(() => crypto.subtle.encrypt(webParams, webKey, webBlock))],
    ["@noble/ciphers gcm", opsPerSecond(() => gcm(key, iv, aad).encrypt(block))],
  ], "node:crypto kept: the ratchet needs a synchronous AEAD; WebCrypto is async only");
  curves();
}

/**
 * A TLS record of 16 KiB sealed and opened by core/tls/_cipher_suite.ts on each AEAD backend
 * (opening in place on libcrypto, as the record layer does), and SHA-512 over 1 MiB, the file
 * digest's batch, in libcrypto off the calling thread and in node:crypto on it.
 */
async function tlsRecords(): Promise<void> {
  const lib = loadLibcrypto();
  const suite = CIPHER_SUITES.TLS_CHACHA20_POLY1305_SHA256;
  const key = randomBytes(32), nonce = randomBytes(12), header = randomBytes(5);
  const content = [randomBytes(KB16), Uint8Array.of(23)];
  const sealed = new Uint8Array(KB16 + 1 + 16);
  const work = new Uint8Array(sealed.length);
  const backends: [string, Libcrypto | null][] = lib ? [[`libcrypto (FFI)`, lib]] : [];
  backends.push(["node:crypto", null]);
  const on = (l: Libcrypto | null, op: () => unknown) => withLibcrypto(l, () => opsPerSecond(op));
  compare(
    "TLS record seal 16 KB",
    KB16,
    backends.map((
      [name, l],
    ) => [`ours: ${name}`, on(l, () => seal(suite, key, nonce, header, content, sealed))]),
  );
  compare(
    "TLS record open 16 KB",
    KB16,
    backends.map(([name, l]): Candidate => [
      `ours: ${name}`,
      on(l, () => (work.set(sealed), open(suite, key, nonce, header, work))),
    ]),
  );
  if (!lib) return;
  const batch = randomBytes(1 << 20);
  compare("SHA-512 1 MB", 1 << 20, [
    ["libcrypto (FFI, off the thread)", await opsPerSecondAsync(() => digestOffThread("sha512", batch))],
    ["node:crypto", opsPerSecond(() => sha512(batch))],
  ], "the XFTP file digest runs in libcrypto, beside the encryption");
}

/**
 * keys.ts uses node:crypto. Signing and verifying reuse the key object (a signer's key and a stored
 * queue key are long-lived); DH converts a fresh peer key each time, as a new session or download does.
 */
function curves(): void {
  const msg = randomBytes(100);
  const a = generateKeyPair("X25519"), b = generateKeyPair("X25519");
  compare("X25519 DH, fresh peer key", 0, [
    ["node:crypto (keys.ts)", opsPerSecond(() => dh(publicKey("X25519", b.publicKey.raw), a.privateKey))],
    ["@noble/curves", opsPerSecond(() => x25519.getSharedSecret(a.privateKey.raw, b.publicKey.raw))],
  ]);
  const c = generateKeyPair("X448"), d = generateKeyPair("X448");
  compare("X448 DH, fresh peer key", 0, [
    ["node:crypto (keys.ts)", opsPerSecond(() => dh(publicKey("X448", d.publicKey.raw), c.privateKey))],
    ["@noble/curves", opsPerSecond(() => x448.getSharedSecret(c.privateKey.raw, d.publicKey.raw))],
  ]);
  const e = generateKeyPair("Ed25519");
  const sig = sign(e.privateKey, msg);
  compare("Ed25519 sign", 0, [
    ["node:crypto (keys.ts)", opsPerSecond(() => sign(e.privateKey, msg))],
    ["@noble/curves", opsPerSecond(() => ed25519.sign(msg, e.privateKey.raw))],
  ]);
  compare("Ed25519 verify", 0, [
    ["node:crypto (keys.ts)", opsPerSecond(() => verify(e.publicKey, msg, sig))],
    ["@noble/curves", opsPerSecond(() => ed25519.verify(sig, msg, e.publicKey.raw))],
  ]);
  const f = generateKeyPair("Ed448");
  compare("Ed448 sign", 0, [
    ["node:crypto (keys.ts)", opsPerSecond(() => sign(f.privateKey, msg))],
    ["node:crypto, fresh key object", opsPerSecond(() => sign(privateKey("Ed448", f.privateKey.raw), msg))],
    ["@noble/curves", opsPerSecond(() => ed448.sign(msg, f.privateKey.raw))],
  ]);
}

export async function run(): Promise<void> {
  console.log("== crypto: SimpleX box and tail-tag stream vs native ChaCha20-Poly1305 ==");
  console.log(`secret box backend: ${salsaPolyBackend().name} (SIMPLEX_CRYPTO=builtin to compare)`);
  await throughput();
  console.log("\n== crypto: implementation choices (same run) ==");
  await choices();
}

if (import.meta.main) await run();
