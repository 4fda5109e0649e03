/**
 * The golden description of xftp.md §6 (fixtures/file_description.yaml, see the comment in it):
 * parse → the exact structure, serialize → the same bytes (without the comment), and generated
 * sender and recipient descriptions round-trip through YAML and the web link.
 */
import assert from "node:assert/strict";
import {
  createFileDescriptions,
  decodeWebUri,
  encodeFileDescription,
  encodeWebUri,
  type FileChunk,
  type FileDescription,
  fileWebLink,
  parseFileDescription,
  parseValidFileDescription,
  parseWebLink,
  parseXftpServer,
  type ReplicaKey,
  type SentChunk,
  validateFileDescription,
} from "../../core/xftp/mod.ts";
import { decodeBase64Url, encodeBase64Url } from "../../core/encoding/base64.ts";
import { decodePrivateKeyDer, generateKeyPair, randomBytes } from "../../core/crypto/keys.ts";

const MB = 1024 * 1024;
const golden = await Deno.readTextFile(new URL("./fixtures/file_description.yaml", import.meta.url));
const goldenYaml = golden.split("\n").filter((l) => !l.startsWith("#")).join("\n");

const ascii = (s: string) => new TextEncoder().encode(s);
const replicaKey = decodePrivateKeyDer(
  decodeBase64Url("MC4CAQAwBQYDK2VwBCIEIDfEfevydXXfKajz3sRkcQ7RPvfWUPoq6pu1TYHV1DEe"),
) as ReplicaKey;
const server = (n: number) => parseXftpServer(`xftp://abc=@example${n}.com`);
const chunk = (chunkNo: number, chunkSize: number, servers: number[]): FileChunk => ({
  chunkNo,
  chunkSize,
  digest: ascii("ghi"),
  replicas: servers.map((n) => ({ server: server(n), replicaId: ascii("abc"), replicaKey })),
});

const goldenDescription: FileDescription = {
  party: "recipient",
  size: 26 * MB,
  digest: ascii("abc"),
  key: decodeBase64Url("00n8p1tJq5E-SGnHcYTOrS4A9I07gTA_WFD6MTFFFOY="),
  nonce: decodeBase64Url("dPSF-wrQpDiK_K6sYv0BDBZ9S4dg-jmu"),
  chunkSize: 8 * MB,
  chunks: [
    chunk(1, 8 * MB, [2, 4]),
    chunk(2, 8 * MB, [1, 3]),
    chunk(3, 8 * MB, [1, 4]),
    chunk(4, 2 * MB, [2, 3]),
  ],
};

Deno.test("the golden description parses to the documented structure", () => {
  const parsed = parseValidFileDescription(golden, "recipient");
  assert.deepEqual(parsed, { ok: true, value: goldenDescription });
});

Deno.test("the golden description serializes byte-for-byte as Data.Yaml writes it", () => {
  assert.equal(encodeFileDescription(goldenDescription), goldenYaml);
});

Deno.test("quoted scalars and other YAML layouts parse to the same description", () => {
  const quoted = goldenYaml
    .replace("chunkSize: 8mb", "chunkSize: '8mb'")
    .replace("key: 00n8", 'key: "00n8')
    .replace("OY=\n", 'OY="\n')
    .replaceAll("\n  - ", "\n    - ")
    .replace("server: xftp://abc=@example1.com", "server: 'xftp://abc=@example1.com'");
  assert.notEqual(quoted, goldenYaml);
  assert.deepEqual(parseFileDescription(quoted), { ok: true, value: goldenDescription });
  const flow = JSON.stringify({
    party: "recipient",
    size: "26mb",
    chunkSize: "8mb",
    digest: "YWJj",
    key: "00n8p1tJq5E-SGnHcYTOrS4A9I07gTA_WFD6MTFFFOY=",
    nonce: "dPSF-wrQpDiK_K6sYv0BDBZ9S4dg-jmu",
    replicas: [],
  });
  const empty = parseFileDescription(flow);
  assert.ok(empty.ok);
  assert.equal(validateFileDescription(empty.value), "chunks total size is different than file size");
});

Deno.test("replicas come back in server order, as upstream's parser gives them", () => {
  // chunk 3's first replica on example4: its line (with the digest) follows example1's line
  const fd = {
    ...goldenDescription,
    chunks: goldenDescription.chunks.map((c) => c.chunkNo === 3 ? chunk(3, 8 * MB, [4, 1]) : c),
  };
  const parsed = parseValidFileDescription(encodeFileDescription(fd));
  assert.deepEqual(parsed, { ok: true, value: goldenDescription });
});

Deno.test("the golden description refuses the sender party", () => {
  assert.deepEqual(parseValidFileDescription(golden, "sender"), { ok: false, error: "incorrect XFTP party" });
});

/** A file of 3 chunks uploaded to 2 servers with 2 recipients, as `xftp send -n 2` would make it. */
function uploadedFile(): { sender: FileDescription; recipients: FileDescription[] } {
  const kh = randomBytes(32);
  const servers = [
    { keyHash: kh, hosts: ["xftp1.example.com"] },
    { keyHash: randomBytes(32), hosts: ["127.0.0.1"], port: 8443 },
  ];
  const key = () => generateKeyPair("Ed25519").privateKey;
  const sizes = [4 * MB, 1 * MB, 1 * MB];
  const chunks: SentChunk[] = sizes.map((chunkSize, i) => ({
    chunkNo: i + 1,
    chunkSize,
    digest: randomBytes(32),
    server: servers[i % 2],
    senderId: randomBytes(16),
    senderKey: key(),
    recipients: [{ id: randomBytes(16), key: key() }, { id: randomBytes(16), key: key() }],
  }));
  const file = {
    size: 6 * MB,
    digest: randomBytes(64),
    key: randomBytes(32),
    nonce: randomBytes(24),
    chunkSize: 4 * MB,
  };
  return createFileDescriptions(file, chunks);
}

Deno.test("generated sender and recipient descriptions round-trip through YAML", () => {
  const { sender, recipients } = uploadedFile();
  assert.equal(recipients.length, 2);
  assert.notDeepEqual(
    recipients[0].chunks[0].replicas[0].replicaId,
    recipients[1].chunks[0].replicas[0].replicaId,
  );
  for (const fd of [sender, ...recipients]) {
    assert.equal(validateFileDescription(fd), undefined);
    const yaml = encodeFileDescription(fd);
    assert.deepEqual(parseValidFileDescription(yaml, fd.party), { ok: true, value: fd });
    const parsed = parseFileDescription(yaml);
    assert.ok(parsed.ok);
    assert.equal(encodeFileDescription(parsed.value), yaml);
  }
  const yaml = encodeFileDescription(recipients[0]);
  // the IP server sorts before the domain one; chunks 2 and 3 differ from the default size
  assert.match(
    yaml,
    /^replicas:\n- chunks:\n {2}- 2:[^\n]*:1mb\n {2}server: xftp:\/\/[^\n]*@127\.0\.0\.1:8443\n/m,
  );
  assert.match(yaml, /\n {2}- 3:[^\n]*:1mb\n {2}server: xftp:\/\/[^\n]*@xftp1\.example\.com\nsize: 6mb\n$/);
});

Deno.test("a redirect description carries the inner file's size and digest", () => {
  const { recipients } = uploadedFile();
  const fd = { ...recipients[0], redirect: { size: 123456, digest: randomBytes(64) } };
  const yaml = encodeFileDescription(fd);
  assert.match(yaml, /\nparty: recipient\nredirect:\n {2}digest: [^\n]+\n {2}size: 123456\nreplicas:\n/);
  assert.deepEqual(parseFileDescription(yaml), { ok: true, value: fd });
});

Deno.test("the web link holds the raw-deflated YAML and decodes back to the recipient description", async () => {
  const { sender, recipients } = uploadedFile();
  const fd = recipients[1];
  const link = await fileWebLink(fd);
  assert.ok(link?.startsWith("https://xftp1.example.com/#"), link);
  assert.deepEqual(await parseWebLink(link!), { ok: true, value: fd });
  assert.deepEqual(await decodeWebUri(await encodeWebUri(goldenDescription)), {
    ok: true,
    value: goldenDescription,
  });
  // xftp-web writes the port and may leave out the base64 padding
  const withPort = await fileWebLink(fd, { withPort: true });
  const unpadded = withPort!.replace(/=+$/, "");
  assert.deepEqual(await parseWebLink(unpadded), { ok: true, value: fd });
  const senderLink = await fileWebLink(sender);
  assert.deepEqual(await parseWebLink(senderLink!), { ok: false, error: "incorrect XFTP party" });
  assert.equal((await parseWebLink("https://example.com/")).ok, false);
  assert.equal((await parseWebLink("https://example.com/#AAAA")).ok, false);
});

Deno.test("a web link that inflates past 4 MiB is refused without inflating it all", async () => {
  const bomb = new Blob([new Uint8Array(5 * MB)]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  const fragment = encodeBase64Url(new Uint8Array(await new Response(bomb).arrayBuffer()));
  assert.ok(fragment.length < 20000);
  const r = await decodeWebUri(fragment);
  assert.deepEqual(r, { ok: false, error: "invalid web link: description too large" });
});
