import assert from "node:assert/strict";
import { decryptMsgBody, type SmpClient } from "../../core/smp/client.ts";
import type { BrokerMsg } from "../../core/smp/mod.ts";
import type { TestQueue } from "./_harness.ts";

/** Asserts a MSG for `q` and returns its text (or "QUOTA" for a quota marker) and id. */
export function readMsg(q: TestQueue, m: BrokerMsg): { text: string; msgId: Uint8Array } {
  if (m.type !== "MSG") {
    throw new assert.AssertionError({ message: `expected MSG, got ${JSON.stringify(m)}` });
  }
  const b = decryptMsgBody(q.rcvDhSecret, m.msgId, m.encBody);
  assert.ok(b, "MSG body must decrypt with the queue secret");
  assert.equal(m.encBody.length, 16122, "MSG bodies are always padded to 16106 + 16");
  return { text: b.type === "quota" ? "QUOTA" : new TextDecoder().decode(b.body), msgId: m.msgId };
}

export async function nextMsg(client: SmpClient, q: TestQueue): Promise<{ text: string; msgId: Uint8Array }> {
  const ev = await client.nextEvent();
  assert.deepEqual(ev.entityId, q.ids.rcvId);
  return readMsg(q, ev.msg);
}

export async function noEvent(client: SmpClient, ms = 150): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
  assert.equal(client.pendingEvents, 0, "no event expected");
}
