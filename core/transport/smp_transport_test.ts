import assert from "node:assert/strict";
import { SmpTransport } from "./smp_transport.ts";
import { encryptedFraming } from "./block.ts";
import { BLOCK_SIZE } from "./block.ts";
import type { SmpSession } from "./smp_handshake.ts";
import { generateKeyPair } from "../crypto/keys.ts";
import { memoryPipe } from "../../tests/_util/pipe.ts";

const sessionId = new Uint8Array(32).fill(1);
const secret = new Uint8Array(32).fill(2);

function session(role: "server" | "client"): SmpSession {
  return {
    version: 18,
    sessionId,
    framing: encryptedFraming(role, sessionId, secret),
    dhSecret: secret,
    sessionKey: generateKeyPair("X25519"),
    proxyServer: false,
  };
}

Deno.test("writes made while one is in progress go out together, in order, in one write", async () => {
  const [s, c] = memoryPipe();
  const writes: number[] = [];
  const counted = { ...s, write: (data: Uint8Array) => (writes.push(data.length), s.write(data)) };
  const server = new SmpTransport(counted, session("server"));
  const client = new SmpTransport(c, session("client"));
  const text = (t: string) => new TextEncoder().encode(t);
  const big = new Uint8Array(10_000).fill(7);
  await Promise.all([
    server.write([text("first")]),
    server.write([big, big]),
    server.write([text("last")]),
  ]);
  assert.deepEqual(writes, [4 * BLOCK_SIZE], "four blocks, one write");
  const got: Uint8Array[] = [];
  while (got.length < 4) {
    const r = await client.read();
    assert.ok(r.ok);
    got.push(...r.transmissions);
  }
  assert.deepEqual(got, [text("first"), big, big, text("last")]);
});
