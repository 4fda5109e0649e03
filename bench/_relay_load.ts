/**
 * The load bench/relay.ts puts on the relay, over real TLS from the calling process: queue creation
 * in batches, idle connections, and the closed SEND → MSG → ACK loop whose rate and latency it reports.
 */
import { connectSmp } from "../core/smp/connect.ts";
import type { SmpClient, SmpEvent } from "../core/smp/client.ts";
import { decryptMsgBody } from "../core/smp/client.ts";
import { maxMessageLength, SMP_VERSION } from "../core/smp/version.ts";
import type { SmpServerAddress } from "../core/smp/address.ts";
import type { BrokerMsg } from "../core/smp/responses.ts";
import { dh, generateKeyPair, type KeyPair } from "../core/crypto/keys.ts";
import { bytesEqual, toHex } from "../core/encoding/bytes.ts";
import { cpuSeconds } from "./_relay_proc.ts";

/** NEW commands sent together; SmpClient packs them into as few blocks as they fit */
const NEW_BATCH = 500;
const NEW_CONNECTIONS = 4;
/** the largest SEND body with block encryption (v11+): a full 16 KB block */
export const BODY_LENGTH = maxMessageLength(SMP_VERSION.encryptedBlock);

const NO_ENTITY = new Uint8Array(0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function expectType(m: BrokerMsg, type: BrokerMsg["type"], what: string): void {
  if (m.type !== type) throw new Error(`${what}: expected ${type}, got ${JSON.stringify(m)}`);
}

export interface CreationFigures {
  readonly perSecond: number;
  /** CPU of the relay process, in cores */
  readonly serverCpu: number;
}

/** `count` queues with no subscriber (NEW in create-only mode), batched. */
export async function createIdleQueues(
  address: SmpServerAddress,
  relayPid: number,
  count: number,
): Promise<CreationFigures> {
  const rcvKey = generateKeyPair("Ed25519");
  const rcvDh = generateKeyPair("X25519");
  const command = {
    type: "NEW" as const,
    req: {
      rcvAuthKey: rcvKey.publicKey,
      rcvDhKey: rcvDh.publicKey,
      subMode: "C" as const,
      queueReqData: { mode: "M" as const },
    },
  };
  const clients = await Promise.all(Array.from({ length: NEW_CONNECTIONS }, () => connectSmp(address)));
  try {
    const start = performance.now();
    const cpu0 = cpuSeconds(relayPid);
    let left = count;
    const expectIds = async (batch: Promise<BrokerMsg>[]) => {
      for (const r of await Promise.all(batch)) expectType(r, "IDS", "NEW");
    };
    await Promise.all(clients.map(async (c) => {
      // the next batch goes out before the previous one is answered, so the relay never waits for us
      let previous = Promise.resolve();
      while (left > 0) {
        const n = Math.min(NEW_BATCH, left);
        left -= n;
        const batch = expectIds(
          c.requests(
            Array.from({ length: n }, () => ({ entityId: NO_ENTITY, command, key: rcvKey.privateKey })),
          ),
        );
        batch.catch(() => {}); // awaited below; a connection that dies first is reported there
        await previous;
        previous = batch;
      }
      await previous;
    }));
    const seconds = (performance.now() - start) / 1000;
    return { perSecond: count / seconds, serverCpu: (cpuSeconds(relayPid) - cpu0) / seconds };
  } finally {
    for (const c of clients) await c.close();
  }
}

/** Opens `count` SMP connections (TLS and SMP handshakes done) and leaves them idle. */
export async function openIdleConnections(address: SmpServerAddress, count: number): Promise<SmpClient[]> {
  const clients: SmpClient[] = [];
  try {
    while (clients.length < count) {
      const n = Math.min(25, count - clients.length);
      clients.push(...await Promise.all(Array.from({ length: n }, () => connectSmp(address))));
    }
  } catch (e) {
    for (const c of clients) await c.close();
    throw e;
  }
  return clients;
}

export interface RateOptions {
  readonly queues: number;
  /** sender connections, and as many receiver connections */
  readonly connections: number;
  readonly warmupMs: number;
  readonly measureMs: number;
}

export interface RateFigures {
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** CPU of the server process, in cores (1 = one core busy all the time) */
  readonly serverCpu: number;
  /** CPU of the load generator, in cores */
  readonly loadCpu: number;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** One queue of the message-rate run: created by its receiver connection, secured by its sender. */
interface MessageQueue {
  readonly rcvId: Uint8Array;
  readonly sndId: Uint8Array;
  readonly rcvKey: KeyPair<"Ed25519">;
  readonly sndKey: KeyPair<"Ed25519">;
  readonly rcvDhSecret: Uint8Array;
  readonly receiver: SmpClient;
  readonly sender: SmpClient;
  /** the MSG the receiver's dispatcher hands over */
  waiting?: { resolve(e: SmpEvent): void; reject(e: unknown): void };
}

async function setUpMessageQueues(
  receivers: SmpClient[],
  senders: SmpClient[],
  count: number,
): Promise<MessageQueue[]> {
  const queues: MessageQueue[] = [];
  for (let i = 0; i < count; i++) {
    const receiver = receivers[i % receivers.length];
    const sender = senders[i % senders.length];
    const rcvKey = generateKeyPair("Ed25519");
    const rcvDh = generateKeyPair("X25519");
    const sndKey = generateKeyPair("Ed25519");
    const r = await receiver.request(NO_ENTITY, {
      type: "NEW",
      req: {
        rcvAuthKey: rcvKey.publicKey,
        rcvDhKey: rcvDh.publicKey,
        subMode: "S",
        queueReqData: { mode: "M" },
      },
    }, rcvKey.privateKey);
    if (r.type !== "IDS") throw new Error(`NEW: ${JSON.stringify(r)}`);
    // secured by the sender, as every messaging queue is before it carries messages
    expectType(
      await sender.request(r.ids.sndId, { type: "SKEY", key: sndKey.publicKey }, sndKey.privateKey),
      "OK",
      "SKEY",
    );
    queues.push({
      rcvId: r.ids.rcvId,
      sndId: r.ids.sndId,
      rcvKey,
      sndKey,
      rcvDhSecret: dh(r.ids.srvDhKey, rcvDh.privateKey),
      receiver,
      sender,
    });
  }
  return queues;
}

/** Hands each MSG a receiver connection gets to the queue waiting for it. */
async function dispatchEvents(
  receiver: SmpClient,
  byRcvId: Map<string, MessageQueue>,
  running: () => boolean,
): Promise<void> {
  while (running()) {
    let e: SmpEvent;
    try {
      e = await receiver.nextEvent(500);
    } catch (error) {
      if (running() && !/no event in time/.test((error as Error).message)) throw error;
      continue;
    }
    const q = byRcvId.get(toHex(e.entityId));
    if (!q?.waiting) throw new Error(`unexpected event ${e.msg.type} for ${toHex(e.entityId)}`);
    const { resolve } = q.waiting;
    q.waiting = undefined;
    resolve(e);
  }
}

/**
 * Closed loop per queue: SEND, wait for the MSG at the receiver, ACK it, then the next SEND. One
 * message is on the way per queue, the most the relay delivers before an ACK.
 */
export async function messageRate(
  address: SmpServerAddress,
  relayPid: number,
  o: RateOptions,
): Promise<RateFigures> {
  const connect = () => Promise.all(Array.from({ length: o.connections }, () => connectSmp(address)));
  const receivers = await connect();
  const senders = await connect();
  try {
    const queues = await setUpMessageQueues(receivers, senders, o.queues);
    if (senders[0].version < SMP_VERSION.encryptedBlock) {
      throw new Error(`SMP v${senders[0].version} negotiated`);
    }
    const body = new Uint8Array(BODY_LENGTH).fill(0x5a);
    const byRcvId = new Map(queues.map((q) => [toHex(q.rcvId), q]));
    let phase = "warmup" as "warmup" | "measure" | "stop";
    let completed = 0;
    const latencies: number[] = [];
    let failure: unknown;
    const fail = (e: unknown) => {
      failure ??= e;
      phase = "stop";
      for (const q of queues) q.waiting?.reject(e);
    };

    const cycle = async (q: MessageQueue, verify: boolean) => {
      const msg = new Promise<SmpEvent>((resolve, reject) => (q.waiting = { resolve, reject }));
      const start = performance.now();
      const sent = q.sender.request(
        q.sndId,
        { type: "SEND", notification: false, body },
        q.sndKey.privateKey,
      );
      sent.catch(() => {}); // awaited after the MSG; a failure is reported there
      const e = await msg;
      const latency = performance.now() - start;
      expectType(await sent, "OK", "SEND");
      if (e.msg.type !== "MSG") throw new Error(`expected MSG, got ${JSON.stringify(e.msg)}`);
      if (verify) {
        const plain = decryptMsgBody(q.rcvDhSecret, e.msg.msgId, e.msg.encBody);
        if (plain?.type !== "message" || !bytesEqual(plain.body, body)) throw new Error("MSG body differs");
      }
      const ack = { type: "ACK" as const, msgId: e.msg.msgId };
      expectType(await q.receiver.request(q.rcvId, ack, q.rcvKey.privateKey), "OK", "ACK");
      return latency;
    };
    const loop = async (q: MessageQueue) => {
      // the first message of each queue is decrypted: what arrives is what was sent
      for (let verify = true; phase !== "stop"; verify = false) {
        const startedInWindow = phase === "measure";
        const latency = await cycle(q, verify);
        if (phase !== "measure") continue;
        completed++;
        if (startedInWindow) latencies.push(latency);
      }
    };
    let looping = true;
    const dispatchers = Promise.all(receivers.map((r) => dispatchEvents(r, byRcvId, () => looping)))
      .catch(fail);
    const loops = Promise.all(queues.map(loop)).catch(fail);
    await sleep(o.warmupMs);
    phase = phase === "stop" ? phase : "measure";
    const cpu0 = { server: cpuSeconds(relayPid), load: cpuSeconds(Deno.pid) };
    const t0 = performance.now();
    await sleep(o.measureMs);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = { server: cpuSeconds(relayPid) - cpu0.server, load: cpuSeconds(Deno.pid) - cpu0.load };
    const perSecond = completed / seconds;
    phase = "stop";
    await loops;
    looping = false;
    await dispatchers;
    if (failure) throw failure;
    const sorted = Float64Array.from(latencies).sort();
    return {
      perSecond,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      serverCpu: cpu.server / seconds,
      loadCpu: cpu.load / seconds,
    };
  } finally {
    for (const c of [...receivers, ...senders]) await c.close();
  }
}
