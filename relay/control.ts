/**
 * The relay's control port commands (smp.md §5.7; Server/Control.hs and `runCPClient` in
 * Server.hs), for operators and the admin panel, over the line protocol and roles of
 * core/server/control_port.ts. Commands above the connection's role answer `AUTH`. The relay
 * implements `ControlTarget` and returns values; this module writes them in the reference's
 * output formats.
 *
 * Logging names commands only: never passwords, queue IDs or other arguments.
 */
import { formatOverview, type PanelOverview } from "../core/server/panel_source.ts";
import { encodeBase64, parseBase64UrlId } from "../core/encoding/base64.ts";
import {
  type ControlPort,
  type ControlRole,
  type ControlSession,
  showUtcTime,
  startControlPort as startLineControlPort,
} from "../core/server/control_port.ts";
import { type BlockingInfo, decodeBlockingInfo, type SmpError } from "../core/smp/errors.ts";
import type { QueueMode } from "../core/smp/commands.ts";
import type { QueueStatus } from "./store/types.ts";
import type { SocketCounts, StatsSnapshot } from "./metrics.ts";
import { PROXY_GROUPS } from "./stats.ts";

type Awaitable<T> = T | Promise<T>;

/** A connected (or just disconnected) SMP client, as the `clients` command lists it. No addresses. */
export interface ControlClientInfo {
  readonly clientId: number;
  /** the TLS session ID (channel binding), printed as base64 */
  readonly sessionId: Uint8Array;
  readonly connected: boolean;
  /** seconds since the epoch */
  readonly createdAt: number;
  readonly rcvActiveAt: number;
  readonly sndActiveAt: number;
  /** queue subscriptions held by this connection */
  readonly subscriptions: number;
  /** notifier subscriptions held by this connection (a notification server's) */
  readonly ntfSubscriptions: number;
}

export interface ControlSubscribers {
  /** queues (or notifiers) with a subscribed connection */
  readonly subscriptions: number;
  /** IDs of the connections holding them */
  readonly subscribedClients: readonly number[];
}

export interface ControlServerInfo {
  /** connected clients */
  readonly clients: number;
  readonly smp: ControlSubscribers;
  readonly ntf: ControlSubscribers;
}

export type ControlQueueError = { readonly type: "error"; readonly error: SmpError };

export type QueueStatusResult =
  | {
    readonly type: "found";
    readonly status: QueueStatus;
    /** the day the queue was last used, seconds since the epoch at 00:00 UTC */
    readonly updatedAt?: number;
    readonly queueMode?: QueueMode;
  }
  | ControlQueueError;

/** `previous` is the status before the change; "not found" is `{ type: "error", error: AUTH }`. */
export type QueueChangeResult =
  | { readonly type: "changed"; readonly previous: QueueStatus }
  | ControlQueueError;

export type BlockResult =
  | QueueChangeResult
  /** the day's `daily_block_queue_quota` is used up (or blocking is prohibited: -1) */
  | { readonly type: "quotaExceeded"; readonly quota: number };

export type DeleteResult = { readonly type: "deleted"; readonly messages: number } | ControlQueueError;

/**
 * What the relay exposes to the control port. Queue commands take the sender ID, or the short-link
 * ID when no queue has that sender ID (`getSenderQueue`).
 */
export interface ControlTarget {
  /** counters and gauges for `stats` */
  stats(): Awaitable<StatsSnapshot>;
  /** `clients` (admin); also the per-client subscription totals in admin `server-info` */
  clients(): Awaitable<readonly ControlClientInfo[]>;
  /** `sockets`: one entry per listening port */
  sockets(): Awaitable<readonly SocketCounts[]>;
  serverInfo(): Awaitable<ControlServerInfo>;
  /** ours: what the web panel's overview shows (version, address, storage, queue creation) */
  overview?(): Awaitable<PanelOverview>;
  status(senderId: Uint8Array): Awaitable<QueueStatusResult>;
  /**
   * Blocks the queue and sends `ERR BLOCKED` to its subscriber. Checks the quota first (see
   * `DailyBlockQuota`): 0 is unlimited, -1 prohibits blocking; a block of an active queue counts.
   * Blocking a queue that is off or blocked with other info replaces its status (`previous` tells).
   */
  block(senderId: Uint8Array, info: BlockingInfo): Awaitable<BlockResult>;
  /** Unblocks a blocked queue; an active or off queue is left as it is (`previous` tells). */
  unblock(senderId: Uint8Array): Awaitable<QueueChangeResult>;
  /** Deletes the queue with its messages. */
  delete(senderIdOrLinkId: Uint8Array): Awaitable<DeleteResult>;
  /** Saves messages, notifications and stats now. */
  save(): Promise<void>;
}

/**
 * `daily_block_queue_quota`, counted per UTC day: 0 is unlimited, -1 prohibits blocking. The
 * reference checks its `qBlocked` counter, which resets with the daily stats; this resets at 00:00
 * UTC whether or not stats are logged.
 */
export class DailyBlockQuota {
  #day = -1;
  #used = 0;

  constructor(readonly limit: number) {}

  /** Whether one more queue may be blocked today. */
  allows(now = new Date()): boolean {
    if (this.limit === 0) return true;
    return this.usedOn(now) < this.limit;
  }

  /** Counts a block of an active queue. */
  record(now = new Date()): void {
    this.usedOn(now);
    this.#used++;
  }

  usedOn(now: Date): number {
    const day = Math.floor(now.getTime() / 86_400_000);
    if (day !== this.#day) {
      this.#day = day;
      this.#used = 0;
    }
    return this.#used;
  }
}

export type ControlCommand =
  | { readonly type: "auth"; readonly password: string }
  | {
    readonly type:
      | "suspend"
      | "resume"
      | "clients"
      | "stats"
      | "stats-rts"
      | "threads"
      | "sockets"
      | "socket-threads"
      | "server-info"
      | "overview"
      | "save"
      | "help"
      | "quit"
      | "skip";
  }
  | { readonly type: "delete" | "status" | "unblock"; readonly queueId: Uint8Array }
  | { readonly type: "block"; readonly queueId: Uint8Array; readonly info: BlockingInfo };

const BARE_COMMANDS = new Set([
  "suspend",
  "resume",
  "clients",
  "stats",
  "stats-rts",
  "threads",
  "sockets",
  "socket-threads",
  "server-info",
  "overview",
  "save",
  "help",
  "quit",
]);

/** Parses one line (without its line end); the error is the text after `error: `. */
export function parseControlCommand(line: string): ControlCommand | { readonly error: string } {
  const sp = line.indexOf(" ");
  const name = sp < 0 ? line : line.slice(0, sp);
  const arg = sp < 0 ? undefined : line.slice(sp + 1);
  if (name === "" && arg === undefined) return { type: "skip" };
  if (BARE_COMMANDS.has(name)) {
    return arg === undefined ? { type: name } as ControlCommand : { error: "endOfInput" };
  }
  switch (name) {
    case "auth":
      if (!arg || !/^[\x21-\x7e]+$/.test(arg) || /[@:/]/.test(arg)) {
        return { error: "Failed reading: invalid character in BasicAuth" };
      }
      return { type: "auth", password: arg };
    case "delete":
    case "status":
    case "unblock": {
      const queueId = arg === undefined ? undefined : parseBase64UrlId(arg);
      return queueId ? { type: name, queueId } : { error: "Failed reading: bad queue ID" };
    }
    case "block": {
      const sp2 = arg?.indexOf(" ") ?? -1;
      const queueId = arg && sp2 > 0 ? parseBase64UrlId(arg.slice(0, sp2)) : undefined;
      if (!queueId) return { error: "Failed reading: bad queue ID" };
      const info = decodeBlockingInfo(arg!.slice(sp2 + 1));
      return info ? { type: "block", queueId, info } : { error: "Failed reading: bad BlockingInfo" };
    }
    default:
      return { error: "Failed reading: bad ControlProtocol command" };
  }
}

const REQUIRED_ROLE: Record<ControlCommand["type"], ControlRole> = {
  auth: "CPRNone",
  "stats-rts": "CPRNone",
  help: "CPRNone",
  quit: "CPRNone",
  skip: "CPRNone",
  stats: "CPRUser",
  sockets: "CPRUser",
  "server-info": "CPRUser",
  overview: "CPRUser",
  status: "CPRUser",
  block: "CPRUser",
  unblock: "CPRUser",
  suspend: "CPRAdmin",
  resume: "CPRAdmin",
  clients: "CPRAdmin",
  threads: "CPRAdmin",
  "socket-threads": "CPRAdmin",
  delete: "CPRAdmin",
  save: "CPRAdmin",
};

const RANK: Record<ControlRole, number> = { CPRNone: 0, CPRUser: 1, CPRAdmin: 2 };

export const CONTROL_GREETING = "SMP server control port\n'help' for supported commands";
export const CONTROL_HELP =
  "commands: stats, stats-rts, clients, sockets, socket-threads, threads, server-info, delete, status, block, " +
  "unblock, save, help, quit, overview";

export type ControlLogEvent =
  | { readonly type: "command"; readonly command: ControlCommand["type"]; readonly role: ControlRole }
  | { readonly type: "unauthorized"; readonly command: ControlCommand["type"] }
  | { readonly type: "failed"; readonly command: ControlCommand["type"]; readonly error: string };

export interface ControlPortOptions {
  /** `[TRANSPORT] control_port`; 0 picks a free port (tests) */
  readonly port: number;
  /** the control port never listens beyond the loopback interface */
  readonly hostname?: "127.0.0.1";
  /** `[AUTH] control_port_admin_password`; unset: nobody becomes admin */
  readonly adminPassword?: string;
  /** `[AUTH] control_port_user_password`; unset: nobody becomes user */
  readonly userPassword?: string;
  readonly target: ControlTarget;
  readonly log?: (event: ControlLogEvent) => void;
  /** the clock for client ages (tests) */
  readonly now?: () => Date;
}

export function startControlPort(options: ControlPortOptions): ControlPort {
  return startLineControlPort({
    port: options.port,
    hostname: options.hostname,
    adminPassword: options.adminPassword,
    userPassword: options.userPassword,
    greeting: CONTROL_GREETING,
    handleLine: (line, session) => {
      const cmd = parseControlCommand(line);
      if ("error" in cmd) return Promise.resolve([`error: ${cmd.error}`]);
      if (cmd.type === "quit") return Promise.resolve("quit");
      return answer(cmd, session, options);
    },
  });
}

/** Checks the role the command needs, then runs it; a failing target is an error line, not a closed port. */
async function answer(
  cmd: ControlCommand,
  session: ControlSession,
  options: ControlPortOptions,
): Promise<string[]> {
  const log = options.log;
  if (RANK[session.role] < RANK[REQUIRED_ROLE[cmd.type]]) {
    log?.({ type: "unauthorized", command: cmd.type });
    return ["AUTH"];
  }
  if (!["auth", "help", "quit", "skip"].includes(cmd.type)) {
    log?.({ type: "command", command: cmd.type, role: session.role });
  }
  try {
    return await execute(cmd, session, options);
  } catch (e) {
    log?.({ type: "failed", command: cmd.type, error: e instanceof Error ? e.name : "unknown" });
    return [`error: ${cmd.type} failed`];
  }
}

async function execute(
  cmd: ControlCommand,
  session: ControlSession,
  options: ControlPortOptions,
): Promise<string[]> {
  const target = options.target;
  switch (cmd.type) {
    case "auth":
      return [session.auth(cmd.password)];
    case "stats":
      return formatStats(await target.stats(), session.role === "CPRAdmin");
    case "stats-rts":
      return [formatMemory(Deno.memoryUsage())];
    case "clients":
      return formatClients(await target.clients(), options.now?.() ?? new Date());
    case "sockets":
      return formatSockets(await target.sockets());
    case "server-info":
      return formatServerInfo(
        await target.serverInfo(),
        session.role === "CPRAdmin" ? await target.clients() : undefined,
      );
    case "overview":
      return target.overview ? formatOverview(await target.overview()) : ["error: overview is not available"];
    case "status":
      return [formatStatus(await target.status(cmd.queueId))];
    case "block":
      return [formatBlock(await target.block(cmd.queueId, cmd.info), cmd.info)];
    case "unblock":
      return [formatUnblock(await target.unblock(cmd.queueId))];
    case "delete": {
      const r = await target.delete(cmd.queueId);
      return [
        r.type === "deleted" ? `ok, ${r.messages} messages deleted` : `error: ${showSmpError(r.error)}`,
      ];
    }
    case "save":
      await session.write(["saving server state..."]);
      await target.save();
      return ["server state saved!"];
    case "suspend":
    case "resume":
      return [`${cmd.type} not implemented`];
    case "threads":
    case "socket-threads":
      return ["Not available in this server"];
    case "help":
      return [CONTROL_HELP];
    case "quit":
    case "skip":
      return [];
  }
}

// ---------------------------------------------------------------------------------------------
// Output formats. Several values are printed as the reference's Haskell `show` writes them.

export { showUtcTime };

const showInt = (n: number) => (n < 0 ? `(${n})` : `${n}`);

export function showBlockingInfo(info: BlockingInfo): string {
  const reason = info.reason === "spam" ? "BRSpam" : "BRContent";
  const ttl = info.notice?.ttl;
  const notice = info.notice
    ? `Just (ClientNotice {ttl = ${ttl === null || ttl === undefined ? "Nothing" : `Just ${showInt(ttl)}`}})`
    : "Nothing";
  return `BlockingInfo {reason = ${reason}, notice = ${notice}}`;
}

export function showQueueStatus(status: QueueStatus): string {
  switch (status.type) {
    case "active":
      return "EntityActive";
    case "off":
      return "EntityOff";
    case "blocked":
      return `EntityBlocked (${showBlockingInfo(status.info)})`;
  }
}

export function showSmpError(e: SmpError): string {
  switch (e.type) {
    case "CMD":
      return `CMD ${e.error}`;
    case "STORE":
      return `STORE ${JSON.stringify(e.message)}`;
    default:
      return e.type;
  }
}

function formatStatus(r: QueueStatusResult): string {
  if (r.type === "error") return `error: ${showSmpError(r.error)}`;
  const updatedAt = r.updatedAt === undefined
    ? "Nothing"
    : `Just (RoundedSystemTime {roundedSeconds = ${r.updatedAt}})`;
  const mode = r.queueMode === undefined
    ? "Nothing"
    : `Just ${r.queueMode === "M" ? "QMMessaging" : "QMContact"}`;
  return `status: ${showQueueStatus(r.status)}, updatedAt: ${updatedAt}, queueMode: ${mode}`;
}

function formatBlock(r: BlockResult, info: BlockingInfo): string {
  if (r.type === "quotaExceeded") return `error: reached limit of ${r.quota} queues blocked daily`;
  if (r.type === "error") return `error: ${showSmpError(r.error)}`;
  const now = showQueueStatus({ type: "blocked", info });
  return r.previous.type === "active" ? `ok, queue blocked: ${now}` : `ok, already inactive: ${now}`;
}

function formatUnblock(r: QueueChangeResult): string {
  if (r.type === "error") return `error: ${showSmpError(r.error)}`;
  switch (r.previous.type) {
    case "blocked":
      return `ok, queue unblocked, reason to block was: ${showBlockingInfo(r.previous.info)}`;
    case "active":
      return "ok, queue was active";
    case "off":
      return "error, queue is inactive";
  }
}

const tuple = (...xs: number[]) => `(${xs.join(",")})`;

/** The `stats` lines in the reference's order; ntfCount 2 only for admin. */
export function formatStats(s: StatsSnapshot, admin: boolean): string[] {
  const c = s.counters;
  const stat = (name: keyof typeof c) => `${name}: ${c[name]}`;
  const lines = [
    `fromTime: ${showUtcTime(s.fromTime)}`,
    ...(["qCreated", "qSecured", "qDeletedAll", "qDeletedAllB", "qDeletedNew", "qDeletedSecured"] as const)
      .map(stat),
    `daily active queues: ${s.activeQueues.day}`,
    ...(["qSub", "qSubAllB", "qSubEnd", "qSubEndB"] as const).map(stat),
    `other SUB events (auth, duplicate, prohibited): ${tuple(c.qSubAuth, c.qSubDuplicate, c.qSubProhibited)}`,
    ...(["msgSent", "msgRecv", "msgRecvGet", "msgGet", "msgGetNoMsg"] as const).map(stat),
    `other GET events (auth, duplicate, prohibited): ${
      tuple(c.msgGetAuth, c.msgGetDuplicate, c.msgGetProhibited)
    }`,
    ...(["msgSentNtf", "msgRecvNtf", "msgNtfs", "msgNtfsB", "msgNtfExpired"] as const).map(stat),
    // the reference has two sources for these counts; here one source is printed under both names
    `qCount: ${s.queueCount}`,
    `qCount 2: ${s.queueCount}`,
    `notifiers: ${s.notifierCount}`,
    `msgCount: ${s.messageCount}`,
    `ntfCount: ${s.ntfCount}`,
    ...(admin ? [`ntfCount 2: ${s.ntfCount}`] : []),
    ...PROXY_GROUPS.map((g) => {
      const p = s.proxy[g];
      return `${g}: requests=${p.requests}, successes=${p.successes}, errorsConnect=${p.errorsConnect}, ` +
        `errorsCompat=${p.errorsCompat}, errorsOther=${p.errorsOther}`;
    }),
    stat("pMsgFwdsRecv"),
    `rcvServiceCount: ${s.serviceCounts.rcvServiceCount}`,
    `ntfServiceCount: ${s.serviceCounts.ntfServiceCount}`,
    `rcvServiceQueuesCount: ${s.serviceCounts.rcvServiceQueuesCount}`,
    `ntfServiceQueuesCount: ${s.serviceCounts.ntfServiceQueuesCount}`,
    // ours, after the reference's lines: the web panel shows it
    stat("msgExpired"),
  ];
  return lines;
}

export const CLIENTS_HEADER =
  "clientId,sessionId,connected,createdAt,rcvActiveAt,sndActiveAt,age,subscriptions";

export function formatClients(clients: readonly ControlClientInfo[], now: Date): string[] {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  return [
    CLIENTS_HEADER,
    ...clients.map((c) =>
      [
        c.clientId,
        encodeBase64(c.sessionId),
        c.connected ? "True" : "False",
        c.createdAt,
        c.rcvActiveAt,
        c.sndActiveAt,
        nowSeconds - c.createdAt,
        c.subscriptions,
      ].join(",")
    ),
  ];
}

export function formatSockets(sockets: readonly SocketCounts[]): string[] {
  return sockets.flatMap((s) => [
    `Sockets for port ${s.port}:`,
    `accepted: ${s.accepted}`,
    `closed: ${s.closed}`,
    `active: ${s.active}`,
    `leaked: ${s.accepted - s.closed - s.active}`,
  ]);
}

/**
 * `server-info`; with `clients` (admin) also the totals counted from the connections. The
 * reference's thread count and client queue lengths have no counterpart here and are left out;
 * its second subscriber counts come from the same source as the first.
 */
export function formatServerInfo(info: ControlServerInfo, clients?: readonly ControlClientInfo[]): string[] {
  const lines = [`Clients: ${info.clients}`];
  if (clients) {
    const via = (count: (c: ControlClientInfo) => number) => [
      clients.reduce((n, c) => n + count(c), 0),
      clients.filter((c) => count(c) > 0).length,
    ];
    const [smpSubs, smpClients] = via((c) => c.subscriptions);
    const [ntfSubs, ntfClients] = via((c) => c.ntfSubscriptions);
    lines.push(
      `SMP subscriptions (via clients): ${smpSubs}`,
      `SMP subscribed clients (via clients): ${smpClients}`,
      `Ntf subscriptions (via clients): ${ntfSubs}`,
      `Ntf subscribed clients (via clients): ${ntfClients}`,
    );
  }
  const subscribers = (proto: string, s: ControlSubscribers, showIds: boolean) => {
    const ids = [...s.subscribedClients].sort((a, b) => a - b);
    return [
      `${proto} subscriptions: ${s.subscriptions}`,
      `${proto} subscribed clients: ${ids.length}${showIds ? ` [${ids.join(",")}]` : ""}`,
      `${proto} subscribed clients count 2: ${ids.length}${showIds ? ` fromList [${ids.join(",")}]` : ""}`,
    ];
  };
  lines.push(...subscribers("SMP", info.smp, false), ...subscribers("Ntf", info.ntf, true));
  return lines;
}

function formatMemory(m: Deno.MemoryUsage): string {
  return `memory: rss=${m.rss}, heapTotal=${m.heapTotal}, heapUsed=${m.heapUsed}, external=${m.external}`;
}
