/**
 * The XFTP golden vectors of xftp.md §6 that exercise core/crypto (from xftp-web's dist, which
 * simplexmq's XFTPWebTests check byte-for-byte against Haskell): the encrypted "hello" file and the
 * FNEW signature, plus the FGET transit encryption of xftp.md §2.4.
 */
import assert from "node:assert/strict";
import { concatBytes, fromHex, toHex } from "../../core/encoding/bytes.ts";
import { encodeBase64UrlUnpadded } from "../../core/encoding/base64.ts";
import {
  createHasher,
  decryptStreamTailTag,
  dh,
  encryptStreamTailTag,
  generateKeyPair,
  privateKey,
  publicKeyOf,
  randomBytes,
  SecretStreamDecryptor,
  SecretStreamEncryptor,
  sha256,
  sha512,
  sign,
  verify,
} from "../../core/crypto/mod.ts";
import { SeededRandom } from "../_util/random.ts";

const run = (first: number, last: number) =>
  Uint8Array.from({ length: last - first + 1 }, (_, i) => first + i);

/** xftp.md §4.1 step 4 for "hello" named a.txt in one 64 KiB chunk: I64 fileSize' ‖ header ‖ file ‖ '#'… */
function helloFilePlaintext(): Uint8Array {
  const header = fromHex("05612e74787430"); // short("a.txt") ‖ Maybe Nothing ('0')
  const file = new TextEncoder().encode("hello");
  const size = header.length + file.length;
  const plaintext = new Uint8Array(65536 - 16).fill(0x23);
  plaintext.set(fromHex(size.toString(16).padStart(16, "0")));
  plaintext.set(header, 8);
  plaintext.set(file, 8 + header.length);
  return plaintext;
}

Deno.test('the encrypted "hello" file matches xftp.md §6 (tail-tag stream, key 01..20, nonce 01..18)', () => {
  const encrypted = encryptStreamTailTag(run(1, 32), run(1, 24), helloFilePlaintext());
  assert.equal(encrypted.length, 65536);
  assert.equal(
    toHex(encrypted.subarray(0, 32)),
    "d884fe6f44aa3835d0b2fbcd043185d46a9a5ca2dc4fc6e672553847694f734f",
  );
  assert.equal(toHex(encrypted.subarray(-16)), "802c28d8316140696970079fef2daeca");
  assert.equal(
    encodeBase64UrlUnpadded(sha512(encrypted)),
    "zMyq7STL2zEZu4H-p40AJFStG1wkGE2n6hnGdBNvDc80j56Cz61fQEV18-zch-NLybg_PxPuviA3xX924IHAwA",
  );
  assert.equal(encodeBase64UrlUnpadded(sha256(encrypted)), "BxgaJG8o5-K1c6NCP4qCtkJh4_NkTkhFUKdDXf8BRgQ");
});

Deno.test('the "hello" file streamed in uneven reads gives the same bytes and decrypts back', () => {
  const rnd = new SeededRandom();
  const plaintext = helloFilePlaintext();
  const enc = new SecretStreamEncryptor(run(1, 32), run(1, 24));
  const digest = createHasher("sha512");
  for (let i = 0; i < plaintext.length;) {
    const n = 1 + rnd.int(20000);
    digest.update(enc.update(plaintext.subarray(i, i + n)));
    i += n;
  }
  const tag = enc.final();
  assert.equal(toHex(tag), "802c28d8316140696970079fef2daeca", `seed ${rnd.seed}`);
  digest.update(tag);
  assert.equal(
    encodeBase64UrlUnpadded(digest.digest()),
    "zMyq7STL2zEZu4H-p40AJFStG1wkGE2n6hnGdBNvDc80j56Cz61fQEV18-zch-NLybg_PxPuviA3xX924IHAwA",
  );
  const opened = decryptStreamTailTag(
    run(1, 32),
    run(1, 24),
    encryptStreamTailTag(run(1, 32), run(1, 24), plaintext),
  );
  assert.deepEqual(opened, { ok: true, value: plaintext });
});

Deno.test("the FNEW signature over the transmission matches xftp.md §6", () => {
  const key = privateKey("Ed25519", run(1, 32));
  const fnew = fromHex(
    "464e4557202c302a300506032b657003210079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664" +
      "0001000020a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf" +
      "012c302a300506032b657003210079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad04966430",
  );
  assert.equal(fnew.length, 134);
  // signed = short(sessionId 40..5f) ‖ short(corrId "") ‖ short(entityId "") ‖ command
  const signed = concatBytes(Uint8Array.of(32), run(0x40, 0x5f), Uint8Array.of(0, 0), fnew);
  assert.equal(
    toHex(signed.subarray(0, 40)),
    "20404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f0000464e455720",
  );
  const signature = sign(key, signed);
  assert.equal(
    toHex(signature),
    "ae8ebcec833f3a79fd6e2fa1ecd4838d062bd3caf32dc6057433ec158e98069d" +
      "6b39ed76a41937d1dca1638c3bcd17238629b29e6d57b698521323fefab47003",
  );
  assert.ok(verify(publicKeyOf(key), signed, signature));
});

Deno.test("FGET transit: a chunk streamed under the per-download DH secret decrypts on the other side", () => {
  const server = generateKeyPair("X25519"), client = generateKeyPair("X25519");
  const nonce = randomBytes(24), chunk = randomBytes(256 * 1024);
  // server: body = XSalsa-stream(dh, nonce) ⊕ chunk ‖ tag, written in 16 KB reads
  const enc = new SecretStreamEncryptor(dh(client.publicKey, server.privateKey), nonce);
  const body: Uint8Array[] = [];
  for (let i = 0; i < chunk.length; i += 16384) body.push(enc.update(chunk.subarray(i, i + 16384)));
  body.push(enc.final());
  const wire = concatBytes(...body);
  // client: decrypt as the HTTP body arrives in arbitrary pieces, then check the tail tag
  const dec = new SecretStreamDecryptor(dh(server.publicKey, client.privateKey), nonce);
  const plain = concatBytes(
    dec.update(wire.subarray(0, 5000)),
    dec.update(wire.subarray(5000, chunk.length)),
  );
  assert.ok(dec.verify(wire.subarray(chunk.length)));
  assert.deepEqual(plain, chunk);
});
