/**
 * Cross-checks each available Salsa20/HSalsa20/Poly1305 backend (libsodium through FFI, WebAssembly
 * of wasm/salsa_poly.ts), and libcrypto's Poly1305 beside each, against the pure-JS path (_xsalsa20_js.ts, _poly1305_js.ts) and against
 * @noble/ciphers' secretbox.
 */
import assert from "node:assert/strict";
import { xsalsa20poly1305 } from "@noble/ciphers/salsa.js";
import { hsalsa20, XSalsa20Keystream } from "./_xsalsa20.ts";
import { hsalsa20 as hsalsa20Js, XSalsa20Keystream as XSalsa20KeystreamJs } from "./_xsalsa20_js.ts";
import { Poly1305 } from "./_poly1305.ts";
import { availableSalsaPolyBackends, type SalsaPolyBackend, withSalsaPolyBackend } from "./_backend.ts";
import { Poly1305 as Poly1305Js } from "./_poly1305_js.ts";
import { loadLibcrypto, withLibcrypto } from "./_libcrypto.ts";
import { cryptoBox, cryptoBoxOpen } from "./box.ts";
import { SecretStreamDecryptor, SecretStreamEncryptor } from "./secret_stream.ts";
import { SeededRandom } from "../../tests/_util/random.ts";

// around the 64-byte block, the 256-byte SIMD group, the 16 KB transport block and the 64 KB scratch buffer
const LENGTHS = [
  0,
  1,
  15,
  16,
  17,
  31,
  32,
  33,
  63,
  64,
  65,
  255,
  256,
  257,
  16383,
  16384,
  65535,
  65536,
  65600,
  100000,
];

/** `len` random bytes starting `offset` bytes into a larger buffer, so views are unaligned. */
function unaligned(rnd: SeededRandom, len: number, offset: number): Uint8Array {
  return rnd.bytes(len + offset).subarray(offset);
}

/**
 * Registers `body` once per backend, with that backend active for everything it creates: with its
 * own Poly1305, and again with libcrypto's (which Poly1305 prefers where it loads).
 */
function testEachBackend(name: string, body: (backend: SalsaPolyBackend) => void): void {
  const lib = loadLibcrypto();
  for (const backend of availableSalsaPolyBackends()) {
    const run = () => withSalsaPolyBackend(backend, () => body(backend));
    Deno.test(`${name} (${backend.name})`, () => withLibcrypto(null, run));
    if (lib) Deno.test(`${name} (${backend.name}, libcrypto Poly1305)`, () => withLibcrypto(lib, run));
  }
}

testEachBackend("HSalsa20 equals the JS HSalsa20", () => {
  const rnd = new SeededRandom();
  for (let trial = 0; trial < 200; trial++) {
    const key = trial === 0 ? new Uint8Array(32).fill(0xff) : rnd.bytes(32);
    const input = rnd.bytes(16);
    assert.deepEqual(hsalsa20(key, input), hsalsa20Js(key, input), `seed ${rnd.seed}`);
  }
});

testEachBackend("the XSalsa20 keystream equals the JS one at every length and offset", () => {
  const rnd = new SeededRandom();
  for (const len of LENGTHS) {
    for (const offset of [0, 1, 3]) {
      const key = rnd.bytes(32), nonce = rnd.bytes(24), data = unaligned(rnd, len, offset);
      const theirs = data.slice();
      new XSalsa20Keystream(key, nonce).xorInPlace(data);
      new XSalsa20KeystreamJs(key, nonce).xorInPlace(theirs);
      assert.deepEqual(data, theirs, `seed ${rnd.seed}, length ${len}, offset ${offset}`);
    }
  }
});

testEachBackend("the keystream XORed into a separate output equals the in-place XOR, input untouched", () => {
  const rnd = new SeededRandom();
  for (const len of LENGTHS) {
    const key = rnd.bytes(32), nonce = rnd.bytes(24), data = unaligned(rnd, len, len % 3);
    const original = data.slice();
    const expected = data.slice();
    new XSalsa20KeystreamJs(key, nonce).xorInPlace(expected);
    const ks = new XSalsa20Keystream(key, nonce);
    const output = unaligned(rnd, len, 1 + (len % 2));
    // uneven pieces, so the carried-over partial block is used on both sides of the backend call
    for (let off = 0; off < len;) {
      const n = Math.min(len - off, 1 + rnd.int(300));
      ks.xor(data.subarray(off, off + n), output.subarray(off, off + n));
      off += n;
    }
    assert.deepEqual(output, expected, `seed ${rnd.seed}, length ${len}`);
    assert.deepEqual(data, original);
  }
});

testEachBackend("the keystream fed in random pieces equals the JS one, streams interleaved", () => {
  const rnd = new SeededRandom();
  for (let trial = 0; trial < 30; trial++) {
    const len = rnd.int(70000);
    const streams = [0, 1, 2].map(() => {
      const key = rnd.bytes(32), nonce = rnd.bytes(24), data = rnd.bytes(len);
      const expected = data.slice();
      new XSalsa20KeystreamJs(key, nonce).xorInPlace(expected);
      return { ks: new XSalsa20Keystream(key, nonce), data, expected, pos: 0 };
    });
    while (streams.some((s) => s.pos < len)) {
      const s = streams[rnd.int(streams.length)];
      const n = rnd.int(5) === 0 ? rnd.int(20000) : rnd.int(200);
      s.ks.xorInPlace(s.data.subarray(s.pos, s.pos + n));
      s.pos = Math.min(len, s.pos + n);
    }
    for (const s of streams) assert.deepEqual(s.data, s.expected, `seed ${rnd.seed}, trial ${trial}`);
  }
});

testEachBackend(
  "Salsa20 carries the block counter into its high word as block by block",
  ({ salsa20Xor }) => {
    const rnd = new SeededRandom();
    const key = rnd.bytes(32), nonce = rnd.bytes(8), start = 2 ** 32 - 2;
    const fourLanes = new Uint8Array(256), oneByOne = new Uint8Array(256);
    salsa20Xor(key, nonce, fourLanes, fourLanes, start);
    for (let block = 0; block < 4; block++) {
      const block64 = oneByOne.subarray(block * 64, block * 64 + 64);
      salsa20Xor(key, nonce, block64, block64, start + block);
    }
    assert.deepEqual(fourLanes, oneByOne);
    assert.notDeepEqual(fourLanes.subarray(64, 128), fourLanes.subarray(128, 192));
  },
);

testEachBackend("Poly1305 equals the JS Poly1305 in random pieces, instances interleaved", () => {
  const rnd = new SeededRandom();
  for (let trial = 0; trial < 100; trial++) {
    const saturated = trial % 5 === 0;
    const len = LENGTHS[trial % LENGTHS.length];
    const macs = [0, 1].map(() => {
      const key = saturated ? new Uint8Array(32).fill(0xff) : rnd.bytes(32);
      const msg = saturated ? new Uint8Array(len).fill(0xff) : unaligned(rnd, len, trial % 4);
      return { ours: new Poly1305(key), expected: new Poly1305Js(key).update(msg).digest(), msg, pos: 0 };
    });
    while (macs.some((m) => m.pos < len)) {
      const m = macs[rnd.int(2)];
      const n = rnd.int(3) === 0 ? rnd.int(70000) : rnd.int(40);
      m.ours.update(m.msg.subarray(m.pos, m.pos + n));
      m.pos = Math.min(len, m.pos + n);
    }
    for (const m of macs) assert.deepEqual(m.ours.digest(), m.expected, `seed ${rnd.seed}, trial ${trial}`);
  }
});

testEachBackend("cryptoBox equals noble's xsalsa20poly1305 and opens at every length", () => {
  const rnd = new SeededRandom();
  for (const len of LENGTHS) {
    const key = rnd.bytes(32), nonce = rnd.bytes(24), msg = unaligned(rnd, len, len % 3);
    const packet = cryptoBox(key, nonce, msg);
    assert.deepEqual(packet, xsalsa20poly1305(hsalsa20Js(key, new Uint8Array(16)), nonce).encrypt(msg));
    const opened = cryptoBoxOpen(key, nonce, packet);
    assert.ok(opened.ok && opened.value.length === len && opened.value.every((x, i) => x === msg[i]));
  }
});

testEachBackend("the tail-tag stream in random pieces equals one noble secretbox", () => {
  const rnd = new SeededRandom();
  for (let trial = 0; trial < 20; trial++) {
    const key = rnd.bytes(32), nonce = rnd.bytes(24), msg = rnd.bytes(rnd.int(100000));
    const expected = xsalsa20poly1305(hsalsa20Js(key, new Uint8Array(16)), nonce).encrypt(msg);
    const enc = new SecretStreamEncryptor(key, nonce), dec = new SecretStreamDecryptor(key, nonce);
    const ciphertext = new Uint8Array(msg.length), plaintext = new Uint8Array(msg.length);
    for (let i = 0; i < msg.length;) {
      const n = rnd.int(3) === 0 ? rnd.int(40000) : rnd.int(100);
      const c = enc.update(msg.subarray(i, i + n));
      ciphertext.set(c, i);
      plaintext.set(dec.update(c), i);
      i += c.length;
    }
    const tag = enc.final();
    assert.deepEqual(tag, expected.subarray(0, 16), `seed ${rnd.seed}, trial ${trial}`);
    assert.deepEqual(ciphertext, expected.subarray(16), `seed ${rnd.seed}, trial ${trial}`);
    assert.ok(dec.verify(tag));
    assert.deepEqual(plaintext, msg);
  }
});
