/**
 * Whole-file encryption through real files: the source is a Deno.FsFile's ReadableStream, the
 * encrypted file and the decrypted content are written as they stream, and the decrypted file
 * only gets its final name once decryptFile has verified size, digest and tag.
 */
import assert from "node:assert/strict";
import { decryptFile, encryptFile } from "../../core/xftp/mod.ts";
import { randomBytes } from "../../core/crypto/keys.ts";
import { sha256 } from "../../core/crypto/hash.ts";

async function writeFully(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await file.write(bytes.subarray(off));
}

Deno.test("a 5 MB file encrypts to [4M,1M,1M] on disk and decrypts back under its header name", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const content = randomBytes(5 * 1024 * 1024);
    await Deno.writeFile(`${dir}/photo.jpg`, content);
    const key = randomBytes(32);
    const nonce = randomBytes(24);

    const source = await Deno.open(`${dir}/photo.jpg`);
    const encrypted = await Deno.open(`${dir}/xftp.encrypted`, { write: true, create: true });
    const info = await encryptFile(
      source.readable,
      { key, nonce, header: { fileName: "photo.jpg" }, fileSize: content.length },
      (piece) => writeFully(encrypted, piece),
    );
    encrypted.close();
    assert.deepEqual(info.chunkSizes, [4194304, 1048576, 1048576]);
    const onDisk = await Deno.readFile(`${dir}/xftp.encrypted`);
    assert.equal(onDisk.length, info.size);
    assert.deepEqual(info.chunkDigests[2], sha256(onDisk.subarray(5242880)));

    const input = await Deno.open(`${dir}/xftp.encrypted`);
    const tmp = await Deno.open(`${dir}/download.tmp`, { write: true, create: true });
    const result = await decryptFile(
      input.readable,
      { key, nonce, size: info.size, digest: info.digest },
      (p) => writeFully(tmp, p),
    );
    tmp.close();
    assert.ok(result.ok);
    await Deno.rename(`${dir}/download.tmp`, `${dir}/${result.header.fileName}.out`);
    assert.deepEqual(await Deno.readFile(`${dir}/photo.jpg.out`), content);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
