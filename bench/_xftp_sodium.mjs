// The file-encryption baseline of bench/xftp.ts: libsodium (sodium-native) in Node over the same
// bytes in memory. The SimpleX secret box is NaCl's crypto_secretbox (XSalsa20, the first 32
// keystream bytes as the Poly1305 key, the tag over the ciphertext) under the key HSalsa20(key, 0^16),
// which bench/xftp.ts derives and passes as KEY_HEX; so `secretbox` is
// crypto_secretbox_detached over the whole file; `withDigests` adds what encryptFile also computes,
// SHA-512 of the file and SHA-256 of each chunk, with node:crypto (OpenSSL, as core/crypto/hash.ts
// uses; libsodium's portable SHA-256 is several times slower than OpenSSL's SHA-NI one). Prints best-of-ROUNDS MB/s and the tag as JSON.
//
//   node _xftp_sodium.mjs NODE_MODULES_PREFIX FILE CHUNK_SIZE KEY_HEX NONCE_HEX ROUNDS
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { createRequire } from "node:module";

const [prefix, file, chunkArg, keyHex, nonceHex, roundsArg] = process.argv.slice(2);
const sodium = createRequire(`${prefix}/`)("sodium-native");
const version = createRequire(`${prefix}/`)("sodium-native/package.json").version;
const chunkSize = Number(chunkArg);
const message = fs.readFileSync(file);
const key = Buffer.from(keyHex, "hex");
const nonce = Buffer.from(nonceHex, "hex");
const ciphertext = Buffer.alloc(message.length);
const tag = Buffer.alloc(sodium.crypto_secretbox_MACBYTES);

function secretbox() {
  sodium.crypto_secretbox_detached(ciphertext, tag, message, nonce, key);
}

function withDigests() {
  secretbox();
  const file = createHash("sha512");
  for (let i = 0; i < ciphertext.length; i += chunkSize) {
    const chunk = ciphertext.subarray(i, i + chunkSize);
    file.update(chunk);
    createHash("sha256").update(chunk).digest();
  }
  file.digest();
}

function bestMBps(op) {
  let best = 0;
  for (let i = 0; i < Number(roundsArg); i++) {
    const t0 = performance.now();
    op();
    best = Math.max(best, message.length / 1e6 / ((performance.now() - t0) / 1000));
  }
  return best;
}

console.log(JSON.stringify({
  version,
  secretboxMBps: bestMBps(secretbox),
  withDigestsMBps: bestMBps(withDigests),
  tag: tag.toString("hex"),
}));
