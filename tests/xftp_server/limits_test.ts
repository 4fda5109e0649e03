/** XFTPServerTests: expiry, inactive clients, storage quota and basic auth. */
import assert from "node:assert/strict";
import { delay } from "./_delay.ts";
import {
  CHUNK,
  createChunk,
  downloadChunk,
  errorOf,
  listFiles,
  makeChunk,
  startServer,
  uploadChunk,
} from "./_harness.ts";
import type { TestClient } from "./_client.ts";

Deno.test("files older than the TTL are deleted by the expiry check: FGET and FDEL get AUTH", async () => {
  let now = Date.now();
  const h = await startServer({ fileTtl: 3600, expireInterval: 50, now: () => now });
  try {
    const c = await h.connect();
    const chunk = makeChunk(1);
    const { senderId, recipientIds } = await createChunk(c, chunk);
    assert.equal(errorOf(await uploadChunk(c, senderId, chunk)), "OK");
    now += 3 * 3600_000; // createdAt is rounded down to the hour: one more hour of grace
    await delay(150);
    assert.deepEqual(await listFiles(h.filesPath), []);
    assert.equal(errorOf(await downloadChunk(c, recipientIds[0], chunk.recipients[0])), "AUTH");
    const del = await c.command({ type: "FDEL" }, senderId, chunk.sender.privateKey);
    assert.equal(errorOf(del.response), "AUTH");
    assert.equal(h.server.files.stats.counters.filesExpired, 1);
    assert.equal(h.server.files.usedStorage, 0);
  } finally {
    await h.close();
  }
});

Deno.test("files younger than the TTL plus the rounding hour survive the check", async () => {
  let now = Date.now();
  const h = await startServer({ fileTtl: 3600, expireInterval: 50, now: () => now });
  try {
    const c = await h.connect();
    const chunk = makeChunk(1);
    const { recipientIds } = await createChunk(c, chunk);
    now += 3600_000;
    await delay(120);
    assert.equal(h.server.files.store.fileCount, 1);
    assert.equal(errorOf(await downloadChunk(c, recipientIds[0], chunk.recipients[0])), "NO_FILE");
  } finally {
    await h.close();
  }
});

async function closed(c: TestClient): Promise<boolean> {
  try {
    await c.command({ type: "PING" });
    return false;
  } catch {
    return true;
  }
}

Deno.test("an idle client is disconnected after the TTL, a pinging one is not", async () => {
  const h = await startServer({ inactiveClients: { ttl: 1, checkInterval: 0.25 } });
  try {
    const idle = await h.connect();
    const busy = await h.connect();
    for (let i = 0; i < 8; i++) {
      await delay(250);
      assert.equal((await busy.command({ type: "PING" })).response.type, "PONG");
    }
    assert.equal(await closed(idle), true);
    assert.equal(await closed(busy), false);
  } finally {
    await h.close();
  }
});

Deno.test("the storage quota refuses the upload that would exceed it, until space is freed", async () => {
  const h = await startServer({ storageQuota: 2 * CHUNK });
  try {
    const c = await h.connect();
    const chunks = [makeChunk(1), makeChunk(1), makeChunk(1)];
    const ids = [];
    for (const chunk of chunks) ids.push((await createChunk(c, chunk)).senderId);
    assert.equal(errorOf(await uploadChunk(c, ids[0], chunks[0])), "OK");
    assert.equal(errorOf(await uploadChunk(c, ids[1], chunks[1])), "OK");
    assert.equal(errorOf(await uploadChunk(c, ids[2], chunks[2])), "QUOTA");
    assert.equal((await listFiles(h.filesPath)).length, 2);
    const del = await c.command({ type: "FDEL" }, ids[0], chunks[0].sender.privateKey);
    assert.equal(errorOf(del.response), "OK");
    assert.equal(errorOf(await uploadChunk(c, ids[2], chunks[2])), "OK");
  } finally {
    await h.close();
  }
});

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("basic auth: a server password must be given exactly; new_files off refuses all", async () => {
  const cases: {
    server: { createPassword?: string; allowNewFiles?: boolean };
    client?: string;
    result: string;
  }[] = [
    { server: { createPassword: "pwd" }, client: undefined, result: "AUTH" },
    { server: { createPassword: "pwd" }, client: "wrong", result: "AUTH" },
    { server: { createPassword: "pwd", allowNewFiles: false }, client: "pwd", result: "AUTH" },
    { server: { allowNewFiles: false }, client: undefined, result: "AUTH" },
    { server: { createPassword: "pwd" }, client: "pwd", result: "SIDS" },
    { server: {}, client: "anything", result: "SIDS" },
    { server: {}, client: undefined, result: "SIDS" },
  ];
  for (const t of cases) {
    const h = await startServer({
      allowNewFiles: t.server.allowNewFiles,
      createPassword: t.server.createPassword === undefined ? undefined : enc(t.server.createPassword),
    });
    try {
      const c = await h.connect();
      const chunk = makeChunk(1);
      const { response } = await c.command(
        {
          type: "FNEW",
          sndKey: chunk.sender.publicKey,
          size: CHUNK,
          digest: chunk.digest,
          rcvKeys: [chunk.recipients[0].publicKey],
          ...(t.client === undefined ? {} : { basicAuth: enc(t.client) }),
        },
        undefined,
        chunk.sender.privateKey,
      );
      assert.equal(errorOf(response), t.result, JSON.stringify(t));
    } finally {
      await h.close();
    }
  }
});
