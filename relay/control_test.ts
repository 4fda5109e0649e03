import assert from "node:assert/strict";
import {
  type BlockResult,
  CLIENTS_HEADER,
  CONTROL_HELP,
  type ControlClientInfo,
  type ControlLogEvent,
  type ControlTarget,
  DailyBlockQuota,
  type DeleteResult,
  parseControlCommand,
  type QueueChangeResult,
  type QueueStatusResult,
  startControlPort,
} from "./control.ts";
import type { ControlPort } from "../core/server/control_port.ts";
import { type RelayGauges, statsSnapshot } from "./metrics.ts";
import { RelayStats } from "./stats.ts";
import { encodeBase64Url } from "../core/encoding/base64.ts";
import type { BlockingInfo } from "../core/smp/errors.ts";
import type { QueueMode } from "../core/smp/commands.ts";
import type { QueueStatus } from "./store/types.ts";

const ADMIN = "admin-secret";
const USER = "user-secret";
const id = (n: number) => new Uint8Array(24).fill(n);
const b64 = (n: number) => encodeBase64Url(id(n));
const AUTH_ERR = { type: "error", error: { type: "AUTH" } } as const;

interface FakeQueue {
  senderId: Uint8Array;
  linkId?: Uint8Array;
  status: QueueStatus;
  messages: number;
  queueMode?: QueueMode;
  updatedAt?: number;
}

/** An in-memory ControlTarget: queues by sender or link ID, and a block quota on a movable clock. */
class FakeTarget implements ControlTarget {
  queues: FakeQueue[] = [
    { senderId: id(1), status: { type: "active" }, messages: 3, queueMode: "M", updatedAt: 1_700_006_400 },
    { senderId: id(2), linkId: id(12), status: { type: "active" }, messages: 0, queueMode: "C" },
    { senderId: id(3), status: { type: "off" }, messages: 0 },
    { senderId: id(4), status: { type: "active" }, messages: 1 },
    { senderId: id(5), status: { type: "active" }, messages: 0 },
  ];
  clock = new Date("2026-03-02T10:00:00Z");
  quota = new DailyBlockQuota(20);
  saved = 0;
  failSave = false;
  relayStats = new RelayStats();
  gauges: RelayGauges = {
    version: "6.5.5.0",
    queueCount: 5,
    notifierCount: 2,
    messageCount: 4,
    ntfCount: 1,
    clients: 2,
    smpSubscriptions: { subscriptions: 3, clients: 1 },
    ntfSubscriptions: { subscriptions: 2, clients: 1 },
    serviceCounts: {
      rcvServiceCount: 1,
      ntfServiceCount: 2,
      rcvServiceQueuesCount: 3,
      ntfServiceQueuesCount: 4,
    },
    sockets: [],
  };

  find(qid: Uint8Array, link = false): FakeQueue | undefined {
    const eq = (a?: Uint8Array) => a !== undefined && encodeBase64Url(a) === encodeBase64Url(qid);
    return this.queues.find((q) => eq(q.senderId)) ??
      (link ? this.queues.find((q) => eq(q.linkId)) : undefined);
  }
  stats() {
    return statsSnapshot(this.relayStats, this.gauges, this.clock);
  }
  clients(): ControlClientInfo[] {
    return [
      {
        clientId: 1,
        sessionId: new Uint8Array([1, 2, 3, 4]),
        connected: true,
        createdAt: 1_772_445_000,
        rcvActiveAt: 1_772_445_100,
        sndActiveAt: 1_772_445_200,
        subscriptions: 3,
        ntfSubscriptions: 0,
      },
      {
        clientId: 7,
        sessionId: new Uint8Array([255, 254]),
        connected: false,
        createdAt: 1_772_445_500,
        rcvActiveAt: 0,
        sndActiveAt: 0,
        subscriptions: 0,
        ntfSubscriptions: 2,
      },
    ];
  }
  sockets() {
    return [{ port: "5223", accepted: 10, closed: 6, active: 3 }, {
      port: "443",
      accepted: 2,
      closed: 2,
      active: 0,
    }];
  }
  serverInfo() {
    return {
      clients: 2,
      smp: { subscriptions: 3, subscribedClients: [1] },
      ntf: { subscriptions: 2, subscribedClients: [7, 4] },
    };
  }
  status(senderId: Uint8Array): QueueStatusResult {
    const q = this.find(senderId, true);
    if (!q) return AUTH_ERR;
    return { type: "found", status: q.status, updatedAt: q.updatedAt, queueMode: q.queueMode };
  }
  block(senderId: Uint8Array, info: BlockingInfo): BlockResult {
    if (!this.quota.allows(this.clock)) return { type: "quotaExceeded", quota: this.quota.limit };
    const q = this.find(senderId, true);
    if (!q) return AUTH_ERR;
    const previous = q.status;
    q.status = { type: "blocked", info };
    if (previous.type === "active") this.quota.record(this.clock);
    return { type: "changed", previous };
  }
  unblock(senderId: Uint8Array): QueueChangeResult {
    const q = this.find(senderId, true);
    if (!q) return AUTH_ERR;
    const previous = q.status;
    if (previous.type === "blocked") q.status = { type: "active" };
    return { type: "changed", previous };
  }
  delete(senderIdOrLinkId: Uint8Array): DeleteResult {
    const q = this.find(senderIdOrLinkId, true);
    if (!q) return AUTH_ERR;
    this.queues = this.queues.filter((x) => x !== q);
    return { type: "deleted", messages: q.messages };
  }
  async save(): Promise<void> {
    await Promise.resolve();
    if (this.failSave) throw new Error(`disk full while saving ${ADMIN}`);
    this.saved++;
  }
}

/** A line-oriented test client with a read timeout, so a broken server fails the test instead of hanging. */
class LineClient {
  #buf = "";
  readonly #decoder = new TextDecoder();
  constructor(readonly conn: Deno.Conn) {}

  static async connect(port: ControlPort): Promise<LineClient> {
    return new LineClient(await Deno.connect({ hostname: "127.0.0.1", port: port.addr.port }));
  }

  async #fill(): Promise<boolean> {
    const chunk = new Uint8Array(65536);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer; have ${JSON.stringify(this.#buf)}`)), 5000);
    });
    try {
      const n = await Promise.race([this.conn.read(chunk), timeout]);
      if (n === null) return false;
      this.#buf += this.#decoder.decode(chunk.subarray(0, n), { stream: true });
      return true;
    } finally {
      clearTimeout(timer);
    }
  }

  async line(): Promise<string> {
    while (!this.#buf.includes("\n")) {
      if (!await this.#fill()) throw new Error("connection closed");
    }
    const i = this.#buf.indexOf("\n");
    const l = this.#buf.slice(0, i);
    this.#buf = this.#buf.slice(i + 1);
    return l;
  }

  async lines(n: number): Promise<string[]> {
    const out = [];
    for (let i = 0; i < n; i++) out.push(await this.line());
    return out;
  }

  async send(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    for (let off = 0; off < bytes.length;) off += await this.conn.write(bytes.subarray(off));
  }

  async request(cmd: string, n = 1): Promise<string[]> {
    await this.send(cmd + "\n");
    return this.lines(n);
  }

  async ask(cmd: string): Promise<string> {
    return (await this.request(cmd))[0];
  }

  /** true when the server closed the connection with nothing more to read */
  async closedByServer(): Promise<boolean> {
    return this.#buf === "" && !await this.#fill();
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // closed already
    }
  }
}

interface Harness {
  port: ControlPort;
  target: FakeTarget;
  logs: ControlLogEvent[];
  client(role?: "admin" | "user"): Promise<LineClient>;
  [Symbol.asyncDispose](): Promise<void>;
}

function harness(
  passwords: { adminPassword?: string; userPassword?: string } = { adminPassword: ADMIN, userPassword: USER },
): Harness {
  const target = new FakeTarget();
  const logs: ControlLogEvent[] = [];
  const port = startControlPort({
    port: 0,
    ...passwords,
    target,
    log: (e) => logs.push(e),
    now: () => target.clock,
  });
  const clients: LineClient[] = [];
  return {
    port,
    target,
    logs,
    async client(role) {
      const c = await LineClient.connect(port);
      clients.push(c);
      assert.deepEqual(await c.lines(2), ["SMP server control port", "'help' for supported commands"]);
      if (role) {
        const expected = role === "admin" ? "CPRAdmin" : "CPRUser";
        assert.equal(await c.ask(`auth ${role === "admin" ? ADMIN : USER}`), `Current role is ${expected}`);
      }
      return c;
    },
    async [Symbol.asyncDispose]() {
      for (const c of clients) c.close();
      await port.close();
    },
  };
}

Deno.test("control port: listens on 127.0.0.1, greets, answers help, and closes on quit", async () => {
  await using h = harness();
  assert.equal(h.port.addr.hostname, "127.0.0.1");
  const c = await h.client();
  assert.equal(await c.ask("help"), CONTROL_HELP);
  await c.send("quit\n");
  assert.ok(await c.closedByServer());
});

Deno.test("control port: auth sets the role once per session; a wrong password gives CPRNone", async () => {
  await using h = harness();
  const none = await h.client();
  assert.equal(await none.ask("auth wrong-password"), "Current role is CPRNone");
  assert.equal(
    await none.ask(`auth ${USER}`),
    "Current role is CPRUser",
    "after CPRNone, auth may still succeed",
  );
  assert.equal(await none.ask(`auth ${ADMIN}`), "Current role is CPRUser, start new session to change.");
  assert.equal(await none.ask(`auth ${USER}`), "Current role is CPRUser");
  assert.equal(await none.ask("auth nope"), "Current role is CPRUser, start new session to change.");
  const admin = await h.client();
  assert.equal(await admin.ask(`auth ${ADMIN}`), "Current role is CPRAdmin");
  assert.equal(await admin.ask(`auth ${USER}`), "Current role is CPRAdmin, start new session to change.");
});

Deno.test("control port: without configured passwords nobody gets a role", async () => {
  await using h = harness({});
  const c = await h.client();
  assert.equal(await c.ask("auth anything"), "Current role is CPRNone");
  assert.equal(await c.ask("stats"), "AUTH");
});

Deno.test("control port: commands above the session's role answer AUTH", async () => {
  await using h = harness();
  const userOnly = ["stats", "sockets", "server-info", `status ${b64(1)}`, `block ${b64(1)} reason=spam`];
  const adminOnly = ["clients", `delete ${b64(1)}`, "save", "threads", "socket-threads", "suspend", "resume"];
  const none = await h.client();
  for (const cmd of [...userOnly, `unblock ${b64(1)}`, ...adminOnly]) {
    assert.equal(await none.ask(cmd), "AUTH", cmd);
  }
  const user = await h.client("user");
  for (const cmd of adminOnly) assert.equal(await user.ask(cmd), "AUTH", cmd);
  assert.equal(h.target.queues.length, 5, "nothing was deleted");
  assert.equal(h.target.saved, 0);
  assert.equal(h.target.queues[0].status.type, "active", "nothing was blocked");
  assert.ok(h.logs.some((e) => e.type === "unauthorized" && e.command === "delete"));
});

Deno.test("control port: commands any role may run", async () => {
  await using h = harness();
  const c = await h.client();
  assert.equal(await c.ask("help"), CONTROL_HELP);
  assert.match(await c.ask("stats-rts"), /^memory: rss=\d+, heapTotal=\d+, heapUsed=\d+, external=\d+$/);
});

Deno.test("control port: stats prints the reference's lines; ntfCount 2 only for admin", async () => {
  await using h = harness();
  const s = h.target.relayStats;
  s.fromTime = new Date("2026-03-02T00:00:00.250Z");
  s.inc("qCreated", 5);
  s.inc("qSubAuth", 1);
  s.inc("qSubDuplicate", 2);
  s.inc("qSubProhibited", 3);
  s.inc("msgGetAuth", 4);
  s.inc("msgSent", 9);
  s.inc("pRelays", 6);
  s.incProxy("pRelays", "successes");
  s.incProxy("pRelays", "errorsConnect");
  s.activeQueues.add(id(1));
  s.activeQueues.add(id(2));
  s.activeQueues.add(id(1));
  const expected = [
    "fromTime: 2026-03-02 00:00:00.25 UTC",
    "qCreated: 5",
    "qSecured: 0",
    "qDeletedAll: 0",
    "qDeletedAllB: 0",
    "qDeletedNew: 0",
    "qDeletedSecured: 0",
    "daily active queues: 2",
    "qSub: 0",
    "qSubAllB: 0",
    "qSubEnd: 0",
    "qSubEndB: 0",
    "other SUB events (auth, duplicate, prohibited): (1,2,3)",
    "msgSent: 9",
    "msgRecv: 0",
    "msgRecvGet: 0",
    "msgGet: 0",
    "msgGetNoMsg: 0",
    "other GET events (auth, duplicate, prohibited): (4,0,0)",
    "msgSentNtf: 0",
    "msgRecvNtf: 0",
    "msgNtfs: 0",
    "msgNtfsB: 0",
    "msgNtfExpired: 0",
    "qCount: 5",
    "qCount 2: 5",
    "notifiers: 2",
    "msgCount: 4",
    "ntfCount: 1",
    "pRelays: requests=6, successes=1, errorsConnect=1, errorsCompat=0, errorsOther=0",
    "pRelaysOwn: requests=0, successes=0, errorsConnect=0, errorsCompat=0, errorsOther=0",
    "pMsgFwds: requests=0, successes=0, errorsConnect=0, errorsCompat=0, errorsOther=0",
    "pMsgFwdsOwn: requests=0, successes=0, errorsConnect=0, errorsCompat=0, errorsOther=0",
    "pMsgFwdsRecv: 0",
    "rcvServiceCount: 1",
    "ntfServiceCount: 2",
    "rcvServiceQueuesCount: 3",
    "ntfServiceQueuesCount: 4",
  ];
  const user = await h.client("user");
  assert.deepEqual(await user.request("stats", expected.length), expected);
  const admin = await h.client("admin");
  const adminExpected = [...expected];
  adminExpected.splice(expected.indexOf("ntfCount: 1") + 1, 0, "ntfCount 2: 1");
  assert.deepEqual(await admin.request("stats", adminExpected.length), adminExpected);
});

Deno.test("control port: clients is CSV without addresses; sockets per port", async () => {
  await using h = harness();
  h.target.clock = new Date(1_772_445_600_000);
  const admin = await h.client("admin");
  assert.deepEqual(await admin.request("clients", 3), [
    CLIENTS_HEADER,
    "1,AQIDBA==,True,1772445000,1772445100,1772445200,600,3",
    "7,//4=,False,1772445500,0,0,100,0",
  ]);
  const user = await h.client("user");
  assert.deepEqual(await user.request("sockets", 10), [
    "Sockets for port 5223:",
    "accepted: 10",
    "closed: 6",
    "active: 3",
    "leaked: 1",
    "Sockets for port 443:",
    "accepted: 2",
    "closed: 2",
    "active: 0",
    "leaked: 0",
  ]);
});

Deno.test("control port: server-info for user, with per-client totals for admin", async () => {
  await using h = harness();
  const common = [
    "SMP subscriptions: 3",
    "SMP subscribed clients: 1",
    "SMP subscribed clients count 2: 1",
    "Ntf subscriptions: 2",
    "Ntf subscribed clients: 2 [4,7]",
    "Ntf subscribed clients count 2: 2 fromList [4,7]",
  ];
  const user = await h.client("user");
  assert.deepEqual(await user.request("server-info", 7), ["Clients: 2", ...common]);
  const admin = await h.client("admin");
  assert.deepEqual(await admin.request("server-info", 11), [
    "Clients: 2",
    "SMP subscriptions (via clients): 3",
    "SMP subscribed clients (via clients): 1",
    "Ntf subscriptions (via clients): 2",
    "Ntf subscribed clients (via clients): 1",
    ...common,
  ]);
});

Deno.test("control port: status by sender ID or link ID, in the reference's format", async () => {
  await using h = harness();
  const c = await h.client("user");
  assert.equal(
    await c.ask(`status ${b64(1)}`),
    "status: EntityActive, updatedAt: Just (RoundedSystemTime {roundedSeconds = 1700006400}), queueMode: Just QMMessaging",
  );
  assert.equal(
    await c.ask(`status ${b64(12)}`),
    "status: EntityActive, updatedAt: Nothing, queueMode: Just QMContact",
  );
  assert.equal(await c.ask(`status ${b64(3)}`), "status: EntityOff, updatedAt: Nothing, queueMode: Nothing");
  assert.equal(await c.ask(`status ${b64(99)}`), "error: AUTH");
  assert.equal(
    await c.ask(`status ${b64(1).replace(/=+$/, "")}`),
    await c.ask(`status ${b64(1)}`),
    "unpadded ID",
  );
});

Deno.test("control port: block, block again, and unblock", async () => {
  await using h = harness();
  const c = await h.client("user");
  const spam = "EntityBlocked (BlockingInfo {reason = BRSpam, notice = Nothing})";
  assert.equal(await c.ask(`block ${b64(1)} reason=spam`), `ok, queue blocked: ${spam}`);
  assert.ok((await c.ask(`status ${b64(1)}`)).startsWith(`status: ${spam}, updatedAt: `));
  assert.equal(await c.ask(`block ${b64(1)} reason=spam`), `ok, already inactive: ${spam}`);
  assert.equal(
    await c.ask(`block ${b64(1)} reason=content,notice={"ttl":3600}`),
    "ok, already inactive: EntityBlocked (BlockingInfo {reason = BRContent, notice = Just (ClientNotice {ttl = Just 3600})})",
  );
  assert.equal(
    await c.ask(`block ${b64(3)} reason=spam,notice={"ttl":null}`),
    "ok, already inactive: EntityBlocked (BlockingInfo {reason = BRSpam, notice = Just (ClientNotice {ttl = Nothing})})",
    "an off queue is reported as already inactive",
  );
  assert.equal(
    await c.ask(`unblock ${b64(1)}`),
    "ok, queue unblocked, reason to block was: BlockingInfo {reason = BRContent, notice = Just (ClientNotice {ttl = Just 3600})}",
  );
  assert.equal(await c.ask(`unblock ${b64(1)}`), "ok, queue was active");
  assert.equal(await c.ask(`block ${b64(99)} reason=spam`), "error: AUTH");
  assert.equal(await c.ask(`unblock ${b64(99)}`), "error: AUTH");
  h.target.queues.push({ senderId: id(6), status: { type: "off" }, messages: 0 });
  assert.equal(await c.ask(`unblock ${b64(6)}`), "error, queue is inactive");
});

Deno.test("control port: the daily block quota counts blocks of active queues per UTC day", async () => {
  await using h = harness();
  h.target.quota = new DailyBlockQuota(2);
  const c = await h.client("user");
  assert.match(await c.ask(`block ${b64(1)} reason=spam`), /^ok, queue blocked/);
  assert.match(await c.ask(`block ${b64(1)} reason=content`), /^ok, already inactive/, "not counted");
  assert.match(await c.ask(`block ${b64(2)} reason=spam`), /^ok, queue blocked/);
  assert.equal(await c.ask(`block ${b64(4)} reason=spam`), "error: reached limit of 2 queues blocked daily");
  assert.equal(h.target.queues[3].status.type, "active");
  h.target.clock = new Date("2026-03-02T23:59:59Z");
  assert.equal(await c.ask(`block ${b64(4)} reason=spam`), "error: reached limit of 2 queues blocked daily");
  h.target.clock = new Date("2026-03-03T00:00:00Z");
  assert.match(await c.ask(`block ${b64(4)} reason=spam`), /^ok, queue blocked/, "a new UTC day");
});

Deno.test("DailyBlockQuota: 0 is unlimited and -1 prohibits blocking", () => {
  const now = new Date("2026-03-02T10:00:00Z");
  const unlimited = new DailyBlockQuota(0);
  for (let i = 0; i < 1000; i++) unlimited.record(now);
  assert.ok(unlimited.allows(now));
  assert.equal(new DailyBlockQuota(-1).allows(now), false);
  const one = new DailyBlockQuota(1);
  assert.ok(one.allows(now));
  one.record(now);
  assert.equal(one.allows(now), false);
  assert.equal(one.usedOn(new Date("2026-03-03T00:00:00Z")), 0);
});

Deno.test("control port: prohibited blocking answers with the quota error", async () => {
  await using h = harness();
  h.target.quota = new DailyBlockQuota(-1);
  const c = await h.client("user");
  assert.equal(await c.ask(`block ${b64(1)} reason=spam`), "error: reached limit of -1 queues blocked daily");
});

Deno.test("control port: delete by sender ID or link ID reports the deleted messages", async () => {
  await using h = harness();
  const c = await h.client("admin");
  assert.equal(await c.ask(`delete ${b64(1)}`), "ok, 3 messages deleted");
  assert.equal(await c.ask(`delete ${b64(1)}`), "error: AUTH");
  assert.equal(await c.ask(`delete ${b64(12)}`), "ok, 0 messages deleted");
  assert.equal(h.target.queues.length, 3);
});

Deno.test("control port: save reports progress; a failing save is an error line", async () => {
  await using h = harness();
  const c = await h.client("admin");
  assert.deepEqual(await c.request("save", 2), ["saving server state...", "server state saved!"]);
  assert.equal(h.target.saved, 1);
  h.target.failSave = true;
  assert.deepEqual(await c.request("save", 2), ["saving server state...", "error: save failed"]);
  assert.equal(await c.ask("help"), CONTROL_HELP, "the session goes on");
  assert.ok(!JSON.stringify(h.logs).includes(ADMIN), "the error text is not logged");
});

Deno.test("control port: not-implemented admin commands", async () => {
  await using h = harness();
  const c = await h.client("admin");
  assert.equal(await c.ask("suspend"), "suspend not implemented");
  assert.equal(await c.ask("resume"), "resume not implemented");
  assert.equal(await c.ask("threads"), "Not available in this server");
});

Deno.test("control port: bad input is an error line and the connection stays usable", async () => {
  await using h = harness();
  const c = await h.client("admin");
  assert.equal(await c.ask("frobnicate"), "error: Failed reading: bad ControlProtocol command");
  assert.equal(await c.ask("stats now"), "error: endOfInput");
  assert.equal(await c.ask("status"), "error: Failed reading: bad queue ID");
  assert.equal(await c.ask("status not*base64"), "error: Failed reading: bad queue ID");
  assert.equal(await c.ask(`block ${b64(1)}`), "error: Failed reading: bad queue ID");
  assert.equal(await c.ask(`block ${b64(1)} reason=boredom`), "error: Failed reading: bad BlockingInfo");
  assert.equal(
    await c.ask(`block ${b64(1)} reason=spam,notice={`),
    "error: Failed reading: bad BlockingInfo",
  );
  assert.equal(await c.ask("auth"), "error: Failed reading: invalid character in BasicAuth");
  assert.equal(await c.ask("auth two words"), "error: Failed reading: invalid character in BasicAuth");
  assert.equal(h.target.queues[0].status.type, "active");
  // an empty line is skipped silently; CRLF works like LF
  await c.send("\n\r\nhelp\r\n");
  assert.equal(await c.line(), CONTROL_HELP);
  // binary junk, including NUL, invalid UTF-8 and a lone CR
  await c.send(new Uint8Array([0, 0xff, 0xfe, 0x0d, 0x80, 0x0a]));
  assert.equal(await c.line(), "error: Failed reading: bad ControlProtocol command");
  assert.equal(await c.ask("help"), CONTROL_HELP);
});

Deno.test("control port: an over-long line is refused once and skipped, in one write or many", async () => {
  await using h = harness();
  const c = await h.client("user");
  assert.equal(await c.ask(`status ${"A".repeat(5000)}`), "error: line longer than 4096 bytes");
  assert.equal(await c.ask("help"), CONTROL_HELP);
  for (let i = 0; i < 40; i++) await c.send("x".repeat(1000));
  await c.send(`\nstatus ${b64(99)}\n`);
  assert.deepEqual(await c.lines(2), ["error: line longer than 4096 bytes", "error: AUTH"]);
  // a megabyte without a line end neither grows the buffer nor stalls other clients
  const junk = new Uint8Array(1 << 20).fill(0x41);
  const sending = c.send(junk);
  const other = await h.client("user");
  assert.equal(await other.ask("help"), CONTROL_HELP);
  await sending;
  await c.send("\nhelp\n");
  assert.deepEqual(await c.lines(2), ["error: line longer than 4096 bytes", CONTROL_HELP]);
});

Deno.test("control port: serves several clients at once with separate roles", async () => {
  await using h = harness();
  const clients = await Promise.all(
    Array.from({ length: 8 }, (_, i) => h.client(i % 2 ? "admin" : undefined)),
  );
  const answers = await Promise.all(clients.map((c) => c.ask("clients")));
  answers.forEach((a, i) => assert.equal(a, i % 2 ? CLIENTS_HEADER : "AUTH"));
  await Promise.all(clients.filter((_, i) => i % 2).map((c) => c.lines(2)));
  // interleaved requests on two connections
  const [a, b] = [clients[1], clients[3]];
  await a.send(`status ${b64(1)}\n`);
  await b.send("help\n");
  assert.equal(await b.line(), CONTROL_HELP);
  assert.match(await a.line(), /^status: EntityActive/);
});

Deno.test("control port: close ends open sessions and stops listening", async () => {
  const h = harness();
  const c = await h.client("user");
  const idle = await h.client();
  await h.port.close();
  assert.ok(await c.closedByServer());
  assert.ok(await idle.closedByServer());
  await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: h.port.addr.port }));
  c.close();
  idle.close();
  await h.port.close();
});

Deno.test("control port: logs name commands only, never passwords or queue IDs", async () => {
  await using h = harness();
  const c = await h.client("admin");
  await c.ask("auth wrong");
  await c.ask(`status ${b64(1)}`);
  await c.ask(`block ${b64(2)} reason=spam`);
  await c.ask(`delete ${b64(12)}`);
  const text = JSON.stringify(h.logs);
  for (const secret of [ADMIN, "wrong", b64(1), b64(2), b64(12), "reason=spam"]) {
    assert.ok(!text.includes(secret), secret);
  }
  assert.deepEqual(
    h.logs.filter((e) => e.type === "command").map((e) => e.command),
    ["status", "block", "delete"],
  );
});

Deno.test("parseControlCommand: commands and arguments", () => {
  assert.deepEqual(parseControlCommand(""), { type: "skip" });
  assert.deepEqual(parseControlCommand("stats"), { type: "stats" });
  assert.deepEqual(parseControlCommand(`delete ${b64(1)}`), { type: "delete", queueId: id(1) });
  assert.deepEqual(parseControlCommand(`block ${b64(2)} reason=content`), {
    type: "block",
    queueId: id(2),
    info: { reason: "content" },
  });
  assert.deepEqual(parseControlCommand("auth p@ss"), {
    error: "Failed reading: invalid character in BasicAuth",
  });
  assert.deepEqual(parseControlCommand(" stats"), { error: "Failed reading: bad ControlProtocol command" });
});
