/** Issue #17: `server-info` read into named fields, from this relay's lines and from the reference's. */
import assert from "node:assert/strict";
import { parseServerInfo, serverInfoRows } from "../../admin/server_info.ts";
import { type ControlClientInfo, formatServerInfo } from "../../relay/control.ts";

const client = (clientId: number, subscriptions: number, ntfSubscriptions: number): ControlClientInfo => ({
  clientId,
  sessionId: new Uint8Array(32),
  connected: true,
  createdAt: 0,
  rcvActiveAt: 0,
  sndActiveAt: 0,
  subscriptions,
  ntfSubscriptions,
});

const INFO = {
  clients: 3,
  smp: { subscriptions: 4, subscribedClients: [1, 2] },
  ntf: { subscriptions: 1, subscribedClients: [7] },
};

Deno.test("server-info: this relay's user-role lines, with the Ntf client IDs it lists", () => {
  assert.deepEqual(parseServerInfo(formatServerInfo(INFO)), {
    clients: 3,
    smp: { subscriptions: 4, subscribedClients: 2, subscribedClientsCount2: 2 },
    ntf: {
      subscriptions: 1,
      subscribedClients: 1,
      subscribedClientIds: [7],
      subscribedClientsCount2: 1,
      subscribedClientIds2: [7],
    },
  });
});

Deno.test("regression: server-info of an idle relay is numbers, not '0 fromList []'", () => {
  const none = { subscriptions: 0, subscribedClients: [] };
  const info = parseServerInfo(formatServerInfo({ clients: 0, smp: none, ntf: none }));
  assert.deepEqual(info.ntf, {
    subscriptions: 0,
    subscribedClients: 0,
    subscribedClientIds: [],
    subscribedClientsCount2: 0,
    subscribedClientIds2: [],
  });
  assert.doesNotMatch(JSON.stringify(info), /fromList/);
});

Deno.test("server-info: the admin role's totals counted over the connections", () => {
  const info = parseServerInfo(formatServerInfo(INFO, [client(1, 3, 0), client(2, 1, 0), client(7, 0, 1)]));
  assert.deepEqual(info.viaClients, {
    smp: { subscriptions: 4, subscribedClients: 2 },
    ntf: { subscriptions: 1, subscribedClients: 1 },
  });
});

Deno.test("server-info: the reference's threads, queue lengths and subscription groups; unknown lines kept", () => {
  const info = parseServerInfo([
    "Threads: 42",
    "Clients: 2",
    "Client queues (rcvQ, sndQ, msgQ): (0,1,2)",
    "SMP subscriptions (via clients): 5",
    "SMP subscriptions (by group: NoSub, SubPending, SubThread, ProhibitSub): (1,0,4,0)",
    "SMP subscribed clients (via clients): 2",
    "SMP subscribed clients queues (via clients, rcvQ, sndQ, msgQ): (0,0,0)",
    "Ntf subscriptions (via clients): 0",
    "Ntf subscribed clients (via clients): 0",
    "Ntf subscribed clients queues (via clients, rcvQ, sndQ, msgQ): (0,0,0)",
    "SMP subscriptions: 5",
    "SMP subscribed clients: 2",
    "SMP subscribed clients count 2: 2",
    "Ntf subscriptions: 0",
    "Ntf subscribed clients: 0 []",
    "Ntf subscribed clients count 2: 0 fromList []",
    "Something new: (1,2)",
  ]);
  assert.equal(info.threads, 42);
  assert.deepEqual(info.clientQueues, { rcvQ: 0, sndQ: 1, msgQ: 2 });
  assert.deepEqual(info.viaClients?.smp, {
    subscriptions: 5,
    byGroup: { noSub: 1, subPending: 0, subThread: 4, prohibitSub: 0 },
    subscribedClients: 2,
    queues: { rcvQ: 0, sndQ: 0, msgQ: 0 },
  });
  assert.deepEqual(info.other, { "Something new": "(1,2)" });
  assert.throws(() => parseServerInfo(["Clients: many"]), /cannot read "Clients: many"/);
});

Deno.test("server-info rows: the table names each field by its JSON path", () => {
  const rows = serverInfoRows(parseServerInfo(formatServerInfo(INFO)));
  assert.deepEqual(rows.slice(0, 3), [["clients", 3], ["smp.subscriptions", 4], [
    "smp.subscribedClients",
    2,
  ]]);
  assert.deepEqual(rows.find(([k]) => k === "ntf.subscribedClientIds"), ["ntf.subscribedClientIds", "7"]);
});
