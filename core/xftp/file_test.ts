import assert from "node:assert/strict";
import {
  type DecryptedFile,
  decryptFile,
  encodeFileHeader,
  type EncryptedFile,
  encryptFile,
  type FileHeader,
  FileSizeError,
  parseFileHeader,
  planFile,
} from "./file.ts";
import { concatBytes, toHex } from "../encoding/bytes.ts";
import { encodeBase64UrlUnpadded } from "../encoding/base64.ts";
import { randomBytes } from "../crypto/keys.ts";
import { sha256, sha512 } from "../crypto/hash.ts";
import { SecretStreamEncryptor } from "../crypto/secret_stream.ts";
import { SeededRandom } from "../../tests/_util/random.ts";

const run = (first: number, n: number) => Uint8Array.from({ length: n }, (_, i) => first + i);
const key = run(1, 32);
const nonce = run(1, 24);

async function encrypt(content: Uint8Array, header: FileHeader = { fileName: "a.txt" }, split = [content]) {
  const out: Uint8Array[] = [];
  const info = await encryptFile(split, { key, nonce, header, fileSize: content.length }, (p) => {
    out.push(p.slice());
  });
  return { bytes: concatBytes(...out), pieces: out, info };
}

async function decrypt(encrypted: Uint8Array | Uint8Array[], info: Pick<EncryptedFile, "size" | "digest">) {
  const out: Uint8Array[] = [];
  const source = Array.isArray(encrypted) ? encrypted : [encrypted];
  const result = await decryptFile(source, { key, nonce, ...info }, (p) => {
    out.push(p.slice());
  });
  return { result, content: concatBytes(...out) };
}

/** Splits into random pieces, to exercise every boundary case of the streaming code. */
function randomSplit(bytes: Uint8Array, rnd: SeededRandom, max = 100000): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < bytes.length;) {
    const n = 1 + rnd.int(max);
    parts.push(bytes.subarray(i, i + n));
    i += n;
  }
  return parts;
}

Deno.test("file header: short(name) ‖ Maybe(short(extra)); 'a.txt' is 05612e74787430", () => {
  assert.equal(toHex(encodeFileHeader({ fileName: "a.txt" })), "05612e74787430");
  const h = { fileName: "файл.bin", fileExtra: "x" };
  assert.deepEqual(parseFileHeader(encodeFileHeader(h)), { ok: true, value: h });
  assert.throws(() => encodeFileHeader({ fileName: "x".repeat(256) }));
});

Deno.test('xftp.md §6: "hello" as a.txt encrypts byte-exact into one 64 KiB chunk', async () => {
  const { bytes, info } = await encrypt(new TextEncoder().encode("hello"));
  assert.equal(bytes.length, 65536);
  assert.deepEqual(info.chunkSizes, [65536]);
  assert.equal(
    toHex(bytes.subarray(0, 32)),
    "d884fe6f44aa3835d0b2fbcd043185d46a9a5ca2dc4fc6e672553847694f734f",
  );
  assert.equal(toHex(bytes.subarray(-16)), "802c28d8316140696970079fef2daeca");
  const sha512b64 = "zMyq7STL2zEZu4H-p40AJFStG1wkGE2n6hnGdBNvDc80j56Cz61fQEV18-zch-NLybg_PxPuviA3xX924IHAwA";
  assert.equal(encodeBase64UrlUnpadded(info.digest), sha512b64);
  assert.equal(encodeBase64UrlUnpadded(info.chunkDigests[0]), "BxgaJG8o5-K1c6NCP4qCtkJh4_NkTkhFUKdDXf8BRgQ");
  const { result, content } = await decrypt(bytes, info);
  assert.deepEqual(result, { ok: true, header: { fileName: "a.txt" }, fileSize: 5 });
  assert.equal(new TextDecoder().decode(content), "hello");
});

Deno.test("encryption round-trips for sizes around chunk boundaries, in random pieces", async () => {
  const rnd = new SeededRandom();
  const header = { fileName: "data.bin" };
  const h = encodeFileHeader(header).length + 8 + 16; // overhead inside the chunks
  const sizes = [0, 1, 65536 - h, 65536 - h + 1, 786432 - h, 786432 - h + 1, 1048576 * 3 - h + 1];
  for (let i = 0; i < 3; i++) sizes.push(rnd.int(5 * 1048576));
  for (const size of sizes) {
    const content = randomBytes(size);
    const { bytes, pieces, info } = await encrypt(content, header, randomSplit(content, rnd));
    const plan = planFile(header, size);
    assert.equal(bytes.length, plan.encSize, `seed ${rnd.seed} size ${size}`);
    assert.deepEqual(info.chunkSizes, plan.chunkSizes);
    assert.deepEqual(info.digest, sha512(bytes));
    let off = 0;
    info.chunkSizes.forEach((chunkSize, i) => {
      assert.deepEqual(info.chunkDigests[i], sha256(bytes.subarray(off, off + chunkSize)));
      off += chunkSize;
    });
    // no output piece crosses a chunk boundary
    const bounds = info.chunkSizes.map((_, i) => info.chunkSizes.slice(0, i + 1).reduce((a, b) => a + b));
    let start = 0;
    for (const p of pieces) {
      const end = start + p.length;
      assert.ok(!bounds.some((b) => b > start && b < end), `piece [${start}, ${end}) crosses a chunk`);
      start = end;
    }
    const { result, content: back } = await decrypt(randomSplit(bytes, rnd), info);
    assert.deepEqual(result, { ok: true, header, fileSize: size }, `seed ${rnd.seed} size ${size}`);
    assert.deepEqual(back, content, `seed ${rnd.seed} size ${size}`);
  }
});

Deno.test("encryption refuses a source shorter or longer than the declared size", async () => {
  const content = randomBytes(1000);
  const params = { key, nonce, header: { fileName: "f" } };
  await assert.rejects(() => encryptFile([content], { ...params, fileSize: 1001 }, () => {}), FileSizeError);
  await assert.rejects(() => encryptFile([content], { ...params, fileSize: 999 }, () => {}), FileSizeError);
});

Deno.test("decryption fails on wrong size, digest, tag or header, in that order", async () => {
  const content = randomBytes(70000);
  const { bytes, info } = await encrypt(content);
  const check = async (input: Uint8Array, expected: DecryptedFile, meta = info) =>
    assert.deepEqual((await decrypt(input, meta)).result, expected);
  await check(bytes.subarray(0, bytes.length - 1), { ok: false, error: "SIZE" });
  await check(concatBytes(bytes, Uint8Array.of(0)), { ok: false, error: "SIZE" });
  await check(bytes, { ok: false, error: "SIZE" }, { ...info, size: info.size + 1 });
  const flipped = bytes.slice();
  flipped[100] ^= 1;
  await check(flipped, { ok: false, error: "DIGEST" });
  // a consistent digest over tampered bytes still fails the tag
  await check(flipped, { ok: false, error: "CRYPTO" }, { ...info, digest: sha512(flipped) });
  const badTag = bytes.slice();
  badTag[badTag.length - 1] ^= 1;
  await check(badTag, { ok: false, error: "CRYPTO" }, { ...info, digest: sha512(badTag) });
  const wrongKey = await decryptFile([bytes], { key: run(2, 32), nonce, ...info }, () => {});
  assert.deepEqual(wrongKey, { ok: false, error: "CRYPTO" });
});

Deno.test("decryption rejects a declared length beyond the padding as a bad header", async () => {
  // an authentic file whose I64 claims more than it holds (e.g. a sender bug)
  const plain = new Uint8Array(65536 - 16).fill(0x23);
  plain.set([0, 0, 0, 0, 0, 1, 0, 0]); // 65536 bytes > what fits
  plain.set(encodeFileHeader({ fileName: "a" }), 8);
  const enc = new SecretStreamEncryptor(key, nonce);
  const bytes = concatBytes(enc.update(plain), enc.final());
  const { result } = await decrypt(bytes, { size: bytes.length, digest: sha512(bytes) });
  assert.deepEqual(result, { ok: false, error: "HEADER" });
});

Deno.test("each chunk is announced with its SHA-256 once all its bytes were written", async () => {
  const content = randomBytes(9 * 1024 * 1024);
  const written: Uint8Array[] = [];
  const announced: { index: number; bytes: number; digest: Uint8Array }[] = [];
  const info = await encryptFile([content], {
    key,
    nonce,
    header: { fileName: "a" },
    fileSize: content.length,
  }, (
    p,
  ) => {
    written.push(p.slice());
  }, (index, digest) => {
    announced.push({ index, bytes: written.reduce((n, p) => n + p.length, 0), digest });
  });
  let end = 0;
  assert.deepEqual(announced.map((a) => a.index), info.chunkSizes.map((_, i) => i));
  for (const [i, a] of announced.entries()) {
    end += info.chunkSizes[i];
    assert.equal(a.bytes, end);
    assert.deepEqual(a.digest, info.chunkDigests[i]);
  }
  assert.deepEqual(info.digest, sha512(concatBytes(...written)));
  const back = await decrypt(written, info);
  assert.ok(back.result.ok);
  assert.deepEqual(back.content, content);
});
