import assert from "node:assert/strict";
import {
  encodeFileDescription,
  encodeFileSize,
  encodeServerReplica,
  type FileDescription,
  parseFileDescription,
  parseFileSize,
  parseServerReplica,
  validateFileDescription,
} from "./description.ts";
import { generateKeyPair, randomBytes } from "../crypto/keys.ts";
import { parseXftpServer } from "./server.ts";

const KB = 1024;
const MB = 1024 * KB;
const server = parseXftpServer("xftp://AQ==@example.com");
const key = generateKeyPair("Ed25519").privateKey;

Deno.test("FileSize uses the largest unit that divides exactly", () => {
  const cases: [number, string][] = [
    [0, "0gb"],
    [1, "1"],
    [1000, "1000"],
    [1024, "1kb"],
    [1536, "1536"],
    [65536, "64kb"],
    [18 * MB, "18mb"],
    [26 * MB, "26mb"],
    [1024 * MB, "1gb"],
    [5 * 1024 * MB, "5gb"],
    [MB + KB, "1025kb"],
  ];
  for (const [bytes, text] of cases) {
    assert.equal(encodeFileSize(bytes), text);
    assert.equal(parseFileSize(text), bytes);
  }
  for (const bad of ["", "kb", "1 mb", "1MB", "-1", "1.5mb", "1tb"]) {
    assert.equal(parseFileSize(bad), undefined, bad);
  }
});

Deno.test("replica strings: chunkNo:replicaId:replicaKey[:digest[:chunkSize]]", () => {
  const replica = { chunkNo: 12, server, replicaId: randomBytes(16), replicaKey: key };
  for (
    const r of [replica, { ...replica, digest: randomBytes(32) }, {
      ...replica,
      digest: randomBytes(32),
      chunkSize: 256 * KB,
    }]
  ) {
    const text = encodeServerReplica(r);
    assert.equal(text.split(":").length, 3 + ("digest" in r ? 1 : 0) + ("chunkSize" in r ? 1 : 0));
    assert.deepEqual(parseServerReplica(server, text), r);
  }
  const text = encodeServerReplica(replica);
  for (const bad of [`x${text}`, `${text}:AAAA:1mb:extra`, text.replace(/:[^:]+$/, ":AAAA"), "1:AQ=="]) {
    assert.throws(() => parseServerReplica(server, bad), bad);
  }
});

function description(chunkSizes: number[], size = chunkSizes.reduce((a, b) => a + b, 0)): FileDescription {
  return {
    party: "sender",
    size,
    digest: randomBytes(64),
    key: randomBytes(32),
    nonce: randomBytes(24),
    chunkSize: chunkSizes[0],
    chunks: chunkSizes.map((chunkSize, i) => ({
      chunkNo: i + 1,
      chunkSize,
      digest: randomBytes(32),
      replicas: [{ server, replicaId: randomBytes(16), replicaKey: key }],
    })),
  };
}

Deno.test("validation: chunk numbers 1..n and sizes adding up to the file size", () => {
  assert.equal(validateFileDescription(description([4 * MB, MB])), undefined);
  assert.equal(
    validateFileDescription(description([4 * MB, MB], 6 * MB)),
    "chunks total size is different than file size",
  );
  const fd = description([MB, MB, MB]);
  const gap = { ...fd, chunks: [fd.chunks[0], fd.chunks[2]], size: 2 * MB };
  assert.equal(validateFileDescription(gap), "chunk numbers are not sequential");
  // parsing sorts chunks and keeps the gap for validation to find
  const parsed = parseFileDescription(encodeFileDescription(gap));
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.value.chunks.map((c) => c.chunkNo), [1, 3]);
});

Deno.test("parse errors are values with a reason", () => {
  const yaml = encodeFileDescription(description([64 * KB]));
  const error = (text: string) => {
    const r = parseFileDescription(text);
    return r.ok ? "ok" : r.error;
  };
  assert.equal(error(yaml), "ok");
  assert.match(error(yaml.replace("party: sender", "party: both")), /party/);
  assert.match(error(yaml.replace(/\nkey: [^\n]+/, "\nkey: AAAA")), /key must be 32 bytes/);
  assert.match(error(yaml.replace(/\nnonce: [^\n]+/, "")), /nonce/);
  assert.match(error(yaml.replace(/:[^:\n]+\n {2}server/, "\n  server")), /no digest for chunk/);
  assert.match(error(yaml.replace("server: xftp://", "server: smp://")), /xftp/);
  assert.match(error(yaml.replace("size: 64kb", "size: lots")), /size/);
  assert.match(error("- just\n- a list\n"), /mapping/);
  assert.match(error("a: [unclosed\n"), /./);
  // two replicas of one chunk that disagree on the digest
  const fd = description([64 * KB]);
  const twice = encodeFileDescription({
    ...fd,
    chunks: [{
      ...fd.chunks[0],
      replicas: [fd.chunks[0].replicas[0], {
        ...fd.chunks[0].replicas[0],
        server: parseXftpServer("xftp://AQ==@other.com"),
      }],
    }],
  });
  const conflicting = twice.replace(
    /(\n {2}- 1:[^:\n]+:[^:\n]+)\n {2}server: xftp:\/\/AQ==@other/,
    "$1:AAAA\n  server: xftp://AQ==@other",
  );
  assert.notEqual(conflicting, twice);
  assert.equal(error(conflicting), "different size or digest in chunk replicas");
});

Deno.test("scalars that YAML would read as numbers or booleans are single-quoted", () => {
  const fd = { ...description([1000]), chunkSize: 1000 };
  const yaml = encodeFileDescription(fd);
  assert.match(yaml, /^chunkSize: '1000'\n/);
  assert.match(yaml, /\nsize: '1000'\n$/);
  assert.deepEqual(parseFileDescription(yaml), { ok: true, value: fd });
});
