/**
 * OpenSSL's libcrypto through FFI (_libcrypto.ts) against node:crypto: the TLS record AEADs at
 * every length around the block sizes, from parts and in place, refusing any tampering; and the
 * background digests, queued without waiting, against node:crypto's; Poly1305 against noble's.
 */
import assert from "node:assert/strict";
import { createCipheriv, createHash } from "node:crypto";
import { type AeadName, loadLibcrypto } from "./_libcrypto.ts";
import { poly1305 as noblePoly1305 } from "@noble/ciphers/_poly1305.js";
import { SeededRandom } from "../../tests/_util/random.ts";

const lib = loadLibcrypto();
const ignore = lib === null;
const AEADS: AeadName[] = ["chacha20-poly1305", "aes-128-gcm"];
const LENGTHS = [0, 1, 15, 16, 17, 63, 64, 65, 1000, 16383, 16384, 16385];

function nodeSeal(aead: AeadName, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array) {
  const cipher = createCipheriv(aead as "chacha20-poly1305", key, nonce, { authTagLength: 16 });
  cipher.setAAD(aad, { plaintextLength: plain.length });
  return new Uint8Array([...cipher.update(plain), ...cipher.final(), ...cipher.getAuthTag()]);
}

function material(rnd: SeededRandom, aead: AeadName, length: number) {
  return {
    key: rnd.bytes(aead === "aes-128-gcm" ? 16 : 32),
    nonce: rnd.bytes(12),
    aad: rnd.bytes(5),
    plain: rnd.bytes(length),
  };
}

Deno.test({
  name: "libcrypto seals as node:crypto does, from any split into parts, and opens into fresh memory",
  ignore,
  fn() {
    const rnd = new SeededRandom();
    for (const aead of AEADS) {
      for (const length of LENGTHS) {
        const { key, nonce, aad, plain } = material(rnd, aead, length);
        const expected = nodeSeal(aead, key, nonce, aad, plain);
        const cut = rnd.int(length + 1);
        const out = new Uint8Array(length + 16);
        lib!.seal(aead, key, nonce, aad, [plain.subarray(0, cut), plain.subarray(cut)], out);
        assert.deepEqual(out, expected, `${aead}, ${length} bytes cut at ${cut}, seed ${rnd.seed}`);
        assert.deepEqual(lib!.open(aead, key, nonce, aad, out), plain);
      }
    }
  },
});

Deno.test({
  name: "libcrypto opens in place, and refuses a changed ciphertext, tag or header, zeroing the output",
  ignore,
  fn() {
    const rnd = new SeededRandom();
    for (const aead of AEADS) {
      const { key, nonce, aad, plain } = material(rnd, aead, 3000);
      const sealed = nodeSeal(aead, key, nonce, aad, plain);
      const work = sealed.slice();
      const opened = lib!.open(aead, key, nonce, aad, work, work);
      assert.deepEqual(opened, plain);
      assert.equal(opened!.buffer, work.buffer);
      for (const at of [0, 2999, 3000, 3015]) {
        const bad = sealed.slice();
        bad[at] ^= 0x40;
        assert.equal(lib!.open(aead, key, nonce, aad, bad, bad), null, `${aead}, byte ${at} flipped`);
        assert.ok(bad.subarray(0, 3000).every((b) => b === 0), "unauthenticated plaintext was left");
      }
      const otherHeader = aad.slice();
      otherHeader[4] ^= 1;
      assert.equal(lib!.open(aead, key, nonce, otherHeader, sealed.slice()), null);
      assert.equal(lib!.open(aead, key, nonce, aad, sealed.subarray(0, 15)), null);
    }
  },
});

Deno.test({
  name: "libcrypto rejects keys and nonces of the wrong length",
  ignore,
  fn() {
    const out = new Uint8Array(32);
    assert.throws(() => lib!.seal("chacha20-poly1305", new Uint8Array(16), new Uint8Array(12), out, [], out));
    assert.throws(() => lib!.seal("aes-128-gcm", new Uint8Array(16), new Uint8Array(8), out, [], out));
  },
});

Deno.test({
  name: "background digests equal node:crypto's, with updates queued without waiting",
  ignore,
  async fn() {
    const rnd = new SeededRandom();
    for (const name of ["sha256", "sha512"] as const) {
      const data = rnd.bytes(3_000_000);
      const digest = lib!.backgroundDigest(name);
      const updates: Promise<void>[] = [];
      for (let off = 0; off < data.length;) {
        const n = Math.min(data.length - off, rnd.int(400_000));
        updates.push(digest.update(data.subarray(off, off + n)));
        off += n;
      }
      const result = await digest.digest();
      await Promise.all(updates);
      assert.deepEqual(
        result,
        new Uint8Array(createHash(name).update(data).digest()),
        `${name}, seed ${rnd.seed}`,
      );
      await assert.rejects(digest.update(data), /already ended/);
    }
  },
});

Deno.test({
  name: "a background digest closed without a result refuses further use",
  ignore,
  async fn() {
    const digest = lib!.backgroundDigest("sha512");
    const pending = digest.update(new Uint8Array(1 << 20));
    digest.close();
    digest.close();
    await pending;
    await assert.rejects(digest.digest(), /already ended/);
  },
});

Deno.test({
  name:
    "libcrypto Poly1305 gives the RFC 8439 §2.5.2 tag, and noble's over any pieces, off the thread or not",
  ignore,
  async fn() {
    const hex = (s: string) => new Uint8Array(s.match(/../g)!.map((b) => parseInt(b, 16)));
    const rfc = lib!.poly1305(hex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b"))!;
    rfc.update(new TextEncoder().encode("Cryptographic Forum Research Group"));
    assert.deepEqual(rfc.digest(), hex("a8061dc1305136c6c22b8baf0c0127a9"));
    const rnd = new SeededRandom();
    for (const length of [...LENGTHS, 65536, 1_000_003]) {
      const key = rnd.bytes(32);
      const data = rnd.bytes(length + 3).subarray(3); // unaligned
      const state = lib!.poly1305(key)!;
      for (let off = 0; off < data.length;) {
        const n = Math.min(data.length - off, rnd.int(70_000));
        const piece = data.subarray(off, off + n);
        if (rnd.int(2) === 0) state.update(piece);
        else await state.updateOffThread!(piece);
        off += n;
      }
      assert.deepEqual(state.digest(), noblePoly1305(data, key), `length ${length}, seed ${rnd.seed}`);
    }
  },
});

Deno.test({
  name: "a finished libcrypto Poly1305 refuses further use; a wrong key length is refused",
  ignore,
  async fn() {
    const state = lib!.poly1305(new Uint8Array(32))!;
    state.digest();
    assert.throws(() => state.update(new Uint8Array(1)), /already finished/);
    await assert.rejects(state.updateOffThread!(new Uint8Array(1)), /already finished/);
    assert.throws(() => state.digest(), /already finished/);
    assert.throws(() => lib!.poly1305(new Uint8Array(16)), /32 bytes/);
  },
});
