import assert from "node:assert/strict";
import { concatBytes, toHex } from "../encoding/bytes.ts";
import { cryptoBox } from "./box.ts";
import { randomBytes } from "./keys.ts";
import { SeededRandom } from "../../tests/_util/random.ts";
import { availableSalsaPolyBackends, withSalsaPolyBackend } from "./_backend.ts";
import {
  decryptStreamTailTag,
  encryptStreamTailTag,
  SecretStreamDecryptor,
  SecretStreamEncryptor,
} from "./secret_stream.ts";

const run = (first: number, last: number) =>
  Uint8Array.from({ length: last - first + 1 }, (_, i) => first + i);

/** Splits `data` at random points, including empty pieces and odd, unaligned offsets. */
function randomSplit(rnd: SeededRandom, data: Uint8Array, maxPiece: number): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  for (let i = 0; i < data.length;) {
    const n = Math.min(data.length - i, rnd.int(maxPiece + 1));
    pieces.push(data.subarray(i, i + n));
    i += n;
  }
  return pieces;
}

Deno.test('tail-tag stream of "abc" is ciphertext ‖ tag as in xftp.md §6', () => {
  const packet = encryptStreamTailTag(run(1, 32), run(1, 24), new TextEncoder().encode("abc"));
  assert.equal(toHex(packet), "b9e69d" + "f6bd8a2dd5b69126f695fd72260b0c71");
});

Deno.test("the tail-tag stream is cryptoBox with the tag moved to the end", () => {
  for (const len of [0, 1, 32, 64, 1000, 65520]) {
    const key = randomBytes(32), nonce = randomBytes(24), msg = randomBytes(len);
    const box = cryptoBox(key, nonce, msg);
    assert.deepEqual(
      encryptStreamTailTag(key, nonce, msg),
      concatBytes(box.subarray(16), box.subarray(0, 16)),
    );
  }
});

Deno.test("encrypting in random chunks equals the one-shot encryption", () => {
  const rnd = new SeededRandom();
  for (let trial = 0; trial < 40; trial++) {
    const key = rnd.bytes(32), nonce = rnd.bytes(24), msg = rnd.bytes(rnd.int(5000));
    const enc = new SecretStreamEncryptor(key, nonce);
    const pieces = randomSplit(rnd, msg, trial % 2 ? 70 : 1500).map((p) => enc.update(p));
    const expected = encryptStreamTailTag(key, nonce, msg);
    assert.deepEqual(concatBytes(...pieces, enc.final()), expected, `seed ${rnd.seed}`);
  }
});

Deno.test("decrypting in random chunks recovers the message and verifies the tag", () => {
  const rnd = new SeededRandom();
  for (let trial = 0; trial < 40; trial++) {
    const key = rnd.bytes(32), nonce = rnd.bytes(24), msg = rnd.bytes(rnd.int(5000));
    const packet = encryptStreamTailTag(key, nonce, msg);
    const dec = new SecretStreamDecryptor(key, nonce);
    const ciphertext = packet.subarray(0, msg.length);
    const pieces = randomSplit(rnd, ciphertext, trial % 2 ? 70 : 1500).map((p) => dec.update(p));
    assert.deepEqual(concatBytes(...pieces), msg, `seed ${rnd.seed}`);
    assert.ok(dec.verify(packet.subarray(msg.length)), `seed ${rnd.seed}`);
  }
});

Deno.test("chunks of 16 KB reads over a 1 MB stream equal the one-shot encryption", () => {
  const key = randomBytes(32), nonce = randomBytes(24), msg = randomBytes(1 << 20);
  const enc = new SecretStreamEncryptor(key, nonce);
  const pieces: Uint8Array[] = [enc.update(msg.subarray(0, 7))];
  for (let i = 7; i < msg.length; i += 16384) pieces.push(enc.update(msg.subarray(i, i + 16384)));
  assert.deepEqual(concatBytes(...pieces, enc.final()), encryptStreamTailTag(key, nonce, msg));
});

Deno.test("update does not modify its input", () => {
  const key = randomBytes(32), nonce = randomBytes(24), msg = randomBytes(300);
  const copy = msg.slice();
  new SecretStreamEncryptor(key, nonce).update(msg.subarray(3));
  new SecretStreamDecryptor(key, nonce).update(msg.subarray(5));
  assert.deepEqual(msg, copy);
});

Deno.test("decryptStreamTailTag rejects any flipped bit as DECRYPT", () => {
  const key = randomBytes(32), nonce = randomBytes(24);
  const packet = encryptStreamTailTag(key, nonce, randomBytes(70));
  for (let i = 0; i < packet.length; i++) {
    const bad = packet.slice();
    bad[i] ^= 0x80 >> (i % 8);
    assert.deepEqual(decryptStreamTailTag(key, nonce, bad), { ok: false, error: "DECRYPT" }, `byte ${i}`);
  }
});

Deno.test("decryptStreamTailTag rejects truncated and short packets as DECRYPT", () => {
  const key = randomBytes(32), nonce = randomBytes(24), msg = randomBytes(100);
  const packet = encryptStreamTailTag(key, nonce, msg);
  assert.deepEqual(decryptStreamTailTag(key, nonce, packet), { ok: true, value: msg });
  for (const n of [packet.length - 1, 17, 16, 15, 0]) {
    assert.deepEqual(decryptStreamTailTag(key, nonce, packet.subarray(0, n)), {
      ok: false,
      error: "DECRYPT",
    });
  }
});

Deno.test("verify rejects a wrong, short or long tag", () => {
  const key = randomBytes(32), nonce = randomBytes(24), msg = randomBytes(33);
  const packet = encryptStreamTailTag(key, nonce, msg);
  const tag = packet.subarray(33);
  const check = (t: Uint8Array) => {
    const dec = new SecretStreamDecryptor(key, nonce);
    dec.update(packet.subarray(0, 33));
    return dec.verify(t);
  };
  assert.ok(check(tag));
  assert.ok(!check(tag.subarray(0, 15)));
  assert.ok(!check(concatBytes(tag, new Uint8Array(1))));
  const bad = tag.slice();
  bad[15] ^= 1;
  assert.ok(!check(bad));
});

Deno.test("a finished stream refuses further use", () => {
  const enc = new SecretStreamEncryptor(randomBytes(32), randomBytes(24));
  enc.update(new Uint8Array(10));
  enc.final();
  assert.throws(() => enc.update(new Uint8Array(1)), /finished/);
  assert.throws(() => enc.final(), /finished/);
  const dec = new SecretStreamDecryptor(randomBytes(32), randomBytes(24));
  dec.verify(new Uint8Array(16));
  assert.throws(() => dec.update(new Uint8Array(1)), /finished/);
});

Deno.test("update into the caller's buffer, or in place, gives the same stream as fresh arrays", () => {
  const rnd = new SeededRandom(7);
  const key = randomBytes(32), nonce = randomBytes(24), msg = randomBytes(200_000);
  const pieces = randomSplit(rnd, msg, 70_000);
  const fresh = new SecretStreamEncryptor(key, nonce);
  const expected = concatBytes(...pieces.map((p) => fresh.update(p)), fresh.final());
  const into = new SecretStreamEncryptor(key, nonce);
  const scratch = new Uint8Array(70_000);
  const parts = pieces.map((p) => into.update(p, scratch).slice());
  assert.deepEqual(concatBytes(...parts, into.final()), expected);
  const copy = msg.slice();
  const inPlace = new SecretStreamDecryptor(key, nonce);
  for (let i = 0, j = 0; i < pieces.length; j += pieces[i++].length) {
    const view = copy.subarray(j, j + pieces[i].length);
    inPlace.update(concatBytes(...parts).subarray(j, j + pieces[i].length), view);
  }
  assert.ok(inPlace.verify(expected.subarray(msg.length)));
  assert.deepEqual(copy, msg);
  assert.throws(() => new SecretStreamEncryptor(key, nonce).update(msg, scratch), RangeError);
});

Deno.test("update into an output that overlaps its input at another offset gives the same stream", () => {
  const rnd = new SeededRandom(11);
  const key = randomBytes(32), nonce = randomBytes(24), msg = randomBytes(100_000);
  const expected = new SecretStreamEncryptor(key, nonce).update(msg);
  for (const shift of [-3, -64, 1, 65]) {
    const enc = new SecretStreamEncryptor(key, nonce);
    const buffer = new Uint8Array(msg.length + 200);
    const parts: Uint8Array[] = [];
    for (const piece of randomSplit(rnd, msg, 20_000)) {
      const input = buffer.subarray(100, 100 + piece.length);
      input.set(piece);
      parts.push(enc.update(input, buffer.subarray(100 + shift)).slice());
    }
    assert.deepEqual(concatBytes(...parts), expected, `shift ${shift}`);
  }
});

for (const backend of availableSalsaPolyBackends()) {
  // streams keep the backend they were made with
  const encryptor = (key: Uint8Array, nonce: Uint8Array) =>
    withSalsaPolyBackend(backend, () => new SecretStreamEncryptor(key, nonce));
  const decryptor = (key: Uint8Array, nonce: Uint8Array) =>
    withSalsaPolyBackend(backend, () => new SecretStreamDecryptor(key, nonce));

  Deno.test(
    `updateOffThread in random pieces equals update, both ways, apart and in place (${backend.name})`,
    async () => {
      const rnd = new SeededRandom(23);
      const key = randomBytes(32), nonce = randomBytes(24), msg = randomBytes(700_001);
      const sync = encryptor(key, nonce);
      const expected = concatBytes(sync.update(msg), sync.final());
      const enc = encryptor(key, nonce);
      const parts: Uint8Array[] = [];
      for (const piece of randomSplit(rnd, msg, 150_000)) parts.push(await enc.updateOffThread(piece));
      assert.deepEqual(concatBytes(...parts, enc.final()), expected);

      const ciphertext = expected.subarray(0, msg.length), tag = expected.subarray(msg.length);
      const apart = decryptor(key, nonce);
      const out = new Uint8Array(msg.length);
      for (let off = 0; off < msg.length;) {
        const n = Math.min(msg.length - off, 1 + rnd.int(150_000));
        await apart.updateOffThread(ciphertext.subarray(off, off + n), out.subarray(off));
        off += n;
      }
      assert.deepEqual(out, msg);
      assert.ok(apart.verify(tag));

      const buffer = ciphertext.slice();
      const inPlace = decryptor(key, nonce);
      for (let off = 0; off < msg.length;) {
        const n = Math.min(msg.length - off, 1 + rnd.int(150_000));
        const view = buffer.subarray(off, off + n);
        await inPlace.updateOffThread(view, view);
        off += n;
      }
      assert.deepEqual(buffer, msg);
      assert.ok(inPlace.verify(tag));
      assert.equal(ciphertext[0], expected[0]); // the input of the apart pass was not touched
    },
  );

  Deno.test(
    `updateOffThread and update interleave in one stream, and overlapping outputs work (${backend.name})`,
    async () => {
      const key = randomBytes(32), nonce = randomBytes(24), msg = randomBytes(300_000);
      const expected = encryptor(key, nonce).update(msg);
      const enc = encryptor(key, nonce);
      const a = enc.update(msg.subarray(0, 1000));
      const b = await enc.updateOffThread(msg.subarray(1000, 200_001));
      const c = enc.update(msg.subarray(200_001));
      assert.deepEqual(concatBytes(a, b, c), expected);

      const buffer = new Uint8Array(msg.length + 64);
      buffer.set(msg, 64);
      const shifted = encryptor(key, nonce);
      const out = await shifted.updateOffThread(buffer.subarray(64), buffer.subarray(0, msg.length));
      assert.deepEqual(out.slice(), expected);
    },
  );

  Deno.test(
    `a second call or the tag while an off-thread update runs is refused (${backend.name})`,
    async () => {
      const dec = decryptor(randomBytes(32), randomBytes(24));
      const running = dec.updateOffThread(randomBytes(1 << 20));
      await assert.rejects(() => dec.updateOffThread(new Uint8Array(10)), /already running/);
      assert.throws(() => dec.update(new Uint8Array(10)), /still running/);
      assert.throws(() => dec.verify(new Uint8Array(16)), /still running/);
      await running;
      assert.equal(dec.verify(new Uint8Array(16)), false);
      await assert.rejects(() => dec.updateOffThread(new Uint8Array(1)), /finished/);
    },
  );
}
