/**
 * A relay's `server-info` answer, read into named fields: the lines relay/control.ts prints, and
 * the reference's extra lines (its thread count and client queue lengths; smp.md §5.7, `CPServerInfo`
 * in Server.hs). The user role gets the counts; the admin role also the totals counted from the
 * connections (`viaClients`). A line this reader does not know is kept, as printed, in `other`.
 */

/** Lengths of the connections' receive, send and message queues (the reference's `TBQueue`s). */
export interface QueueLengths {
  readonly rcvQ: number;
  readonly sndQ: number;
  readonly msgQ: number;
}

/** `<proto> subscriptions`, `… subscribed clients` and `… subscribed clients count 2`. */
export interface Subscribers {
  /** queues (SMP) or notifiers (Ntf) with a subscribed connection */
  readonly subscriptions: number;
  /** the connections holding them */
  readonly subscribedClients: number;
  /** their client IDs, when the server lists them (Ntf) */
  readonly subscribedClientIds?: readonly number[];
  /** the server's own set of subscribed connections (`count 2`), and its IDs when listed */
  readonly subscribedClientsCount2: number;
  readonly subscribedClientIds2?: readonly number[];
}

/** Admin only: the same totals, counted over the connections. */
export interface ViaClients {
  readonly subscriptions: number;
  readonly subscribedClients: number;
  /** reference only (SMP): subscriptions by state: NoSub, SubPending, SubThread, ProhibitSub */
  readonly byGroup?: {
    readonly noSub: number;
    readonly subPending: number;
    readonly subThread: number;
    readonly prohibitSub: number;
  };
  /** reference only: queue lengths of the subscribed connections */
  readonly queues?: QueueLengths;
}

export interface ServerInfo {
  /** reference only */
  readonly threads?: number;
  /** connected clients */
  readonly clients: number;
  /** reference only, admin */
  readonly clientQueues?: QueueLengths;
  readonly smp: Subscribers;
  readonly ntf: Subscribers;
  /** admin only */
  readonly viaClients?: { readonly smp: ViaClients; readonly ntf: ViaClients };
  /** lines this reader does not know: label → value as printed */
  readonly other?: Readonly<Record<string, string>>;
}

const int = (s: string) => /^-?\d+$/.test(s) ? Number(s) : undefined;

/** `(1,2,3)` → [1, 2, 3] */
function tuple(s: string, n: number): number[] | undefined {
  const m = /^\((.*)\)$/.exec(s);
  const xs = m?.[1].split(",").map((x) => int(x.trim()));
  return xs?.length === n && xs.every((x) => x !== undefined) ? xs as number[] : undefined;
}

const lengths = (s: string): QueueLengths | undefined => {
  const t = tuple(s, 3);
  return t && { rcvQ: t[0], sndQ: t[1], msgQ: t[2] };
};

/** `3`, `3 [1,2,5]` or `3 fromList [1,2,5]` */
function countWithIds(s: string): { count: number; ids?: number[] } | undefined {
  const m = /^(\d+)(?: (?:fromList )?\[([\d,]*)\])?$/.exec(s);
  if (!m) return undefined;
  const ids = m[2] === undefined ? undefined : m[2] === "" ? [] : m[2].split(",").map(Number);
  return ids ? { count: Number(m[1]), ids } : { count: Number(m[1]) };
}

type Mutable<T> = { -readonly [K in keyof T]?: T[K] };

/** Reads `server-info`'s lines; throws when a line the reader knows has a value it cannot read. */
export function parseServerInfo(lines: readonly string[]): ServerInfo {
  const info: Mutable<ServerInfo> = {};
  const subs: Record<"smp" | "ntf", Mutable<Subscribers>> = { smp: {}, ntf: {} };
  const via: Record<"smp" | "ntf", Mutable<ViaClients>> = { smp: {}, ntf: {} };
  const other: Record<string, string> = {};
  let hasVia = false;
  for (const line of lines) {
    // a label may hold ": " itself ("(by group: NoSub, …)"); a value does not
    const sep = line.lastIndexOf(": ");
    const label = sep < 0 ? line : line.slice(0, sep);
    const value = sep < 0 ? "" : line.slice(sep + 2);
    const read = <T>(x: T | undefined): T => {
      if (x === undefined) throw new Error(`server-info: cannot read ${JSON.stringify(line)}`);
      return x;
    };
    const m = /^(SMP|Ntf) (.+)$/.exec(label);
    const s = subs[m?.[1] === "SMP" ? "smp" : "ntf"], v = via[m?.[1] === "SMP" ? "smp" : "ntf"];
    switch (m ? m[2] : label) {
      case "Threads":
        // the reference built with an old GHC says "not available …"
        if (int(value) === undefined) other[label] = value;
        else info.threads = int(value);
        break;
      case "Clients":
        info.clients = read(int(value));
        break;
      case "Client queues (rcvQ, sndQ, msgQ)":
        info.clientQueues = read(lengths(value));
        break;
      case "subscriptions":
        s.subscriptions = read(int(value));
        break;
      case "subscribed clients": {
        const c = read(countWithIds(value));
        s.subscribedClients = c.count;
        if (c.ids) s.subscribedClientIds = c.ids;
        break;
      }
      case "subscribed clients count 2": {
        const c = read(countWithIds(value));
        s.subscribedClientsCount2 = c.count;
        if (c.ids) s.subscribedClientIds2 = c.ids;
        break;
      }
      case "subscriptions (via clients)":
        hasVia = true;
        v.subscriptions = read(int(value));
        break;
      case "subscribed clients (via clients)":
        hasVia = true;
        v.subscribedClients = read(int(value));
        break;
      case "subscriptions (by group: NoSub, SubPending, SubThread, ProhibitSub)": {
        const [noSub, subPending, subThread, prohibitSub] = read(tuple(value, 4));
        v.byGroup = { noSub, subPending, subThread, prohibitSub };
        break;
      }
      case "subscribed clients queues (via clients, rcvQ, sndQ, msgQ)":
        v.queues = read(lengths(value));
        break;
      default:
        other[label] = value;
    }
  }
  const subscribers = (s: Mutable<Subscribers>): Subscribers => ({
    ...s,
    subscriptions: s.subscriptions ?? 0,
    subscribedClients: s.subscribedClients ?? 0,
    subscribedClientsCount2: s.subscribedClientsCount2 ?? 0,
  });
  const viaClients = (v: Mutable<ViaClients>): ViaClients => ({
    ...v,
    subscriptions: v.subscriptions ?? 0,
    subscribedClients: v.subscribedClients ?? 0,
  });
  return {
    ...(info.threads !== undefined ? { threads: info.threads } : {}),
    clients: info.clients ?? 0,
    ...(info.clientQueues ? { clientQueues: info.clientQueues } : {}),
    smp: subscribers(subs.smp),
    ntf: subscribers(subs.ntf),
    ...(hasVia ? { viaClients: { smp: viaClients(via.smp), ntf: viaClients(via.ntf) } } : {}),
    ...(Object.keys(other).length > 0 ? { other } : {}),
  };
}

/** The fields as `path value` rows (`smp.subscriptions  2`): the table `simplex admin server-info` prints. */
export function serverInfoRows(info: ServerInfo): [string, string | number][] {
  const rows: [string, string | number][] = [];
  const walk = (prefix: string, v: unknown) => {
    if (Array.isArray(v)) rows.push([prefix, v.length === 0 ? "-" : v.join(",")]);
    else if (typeof v === "object" && v !== null) {
      for (const [k, x] of Object.entries(v)) walk(prefix ? `${prefix}.${k}` : k, x);
    } else rows.push([prefix, v as string | number]);
  };
  // `other` keeps the server's own labels, which may hold dots
  const { other, ...known } = info;
  walk("", known);
  for (const [label, value] of Object.entries(other ?? {})) rows.push([label, value]);
  return rows;
}
