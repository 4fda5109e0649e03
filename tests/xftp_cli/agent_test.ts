/** Whole files through XFTP servers: core/xftp/agent.ts against our server over real sockets. */
import assert from "node:assert/strict";
import { startXftpServer } from "../../xftp/server.ts";
import { deleteFile, receiveFile, sendFile } from "../../core/xftp/agent.ts";
import { encodeFileDescription, parseValidFileDescription } from "../../core/xftp/description.ts";
import { generateIdentity } from "../../core/x509/identity.ts";
import { fingerprint } from "../../core/x509/fingerprint.ts";
import { randomBytes } from "../../core/crypto/keys.ts";

function identity() {
  const id = generateIdentity({ commonName: "localhost" });
  return { keyHash: fingerprint(id.ca.cert), chain: [id.server.cert, id.ca.cert], signKey: id.server.key };
}

async function server(dir: string) {
  const ident = identity();
  const filesPath = `${dir}/files-${crypto.randomUUID()}`;
  const s = await startXftpServer({ identity: ident, port: 0, hostname: "127.0.0.1", filesPath });
  return {
    s,
    filesPath,
    address: { server: { keyHash: ident.keyHash, hosts: ["127.0.0.1"], port: s.port } },
  };
}

async function countFiles(dir: string): Promise<number> {
  let n = 0;
  for await (const e of Deno.readDir(dir)) if (e.isFile) n++;
  return n;
}

Deno.test("a multi-chunk file over two servers reaches two recipients; the sender deletes it everywhere", async () => {
  const dir = await Deno.makeTempDir({ prefix: "xftp-agent-" });
  const a = await server(dir);
  const b = await server(dir);
  try {
    const content = randomBytes(1_500_000);
    const src = `${dir}/photo.jpg`;
    await Deno.writeFile(src, content);
    const sent = await sendFile(src, {
      servers: [a.address, b.address],
      recipients: 2,
      retries: 3,
      tmpDir: dir,
    });
    assert.equal(sent.recipients.length, 2);
    assert.equal(sent.sender.chunks.length, 3, "1.5 MB + header → 1M + 256K×2");
    for (const [i, fd] of sent.recipients.entries()) {
      const again = parseValidFileDescription(encodeFileDescription(fd), "recipient");
      assert.ok(again.ok);
      const out = `${dir}/out${i}`;
      const path = await receiveFile(again.value, { retries: 2, tmpDir: dir, outputDir: out });
      assert.equal(path, `${out}/photo.jpg`);
      assert.deepEqual(await Deno.readFile(path), content);
    }
    await assert.rejects(
      receiveFile(sent.sender, { retries: 1, tmpDir: dir, outputDir: `${dir}/x` }),
      /recipient file description/,
    );
    const stored = (await countFiles(a.filesPath)) + (await countFiles(b.filesPath));
    assert.equal(stored, 3);
    await deleteFile(sent.sender, 2);
    assert.equal((await countFiles(a.filesPath)) + (await countFiles(b.filesPath)), 0);
    await assert.rejects(
      receiveFile(sent.recipients[0], { retries: 1, tmpDir: dir, outputDir: `${dir}/y` }),
      /AUTH/,
    );
  } finally {
    await a.s.close();
    await b.s.close();
    await Deno.remove(dir, { recursive: true });
  }
});
