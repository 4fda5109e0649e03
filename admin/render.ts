/** The human-readable output of `simplex admin`: aligned tables of what the control client returns. */
import { formatFigure, LIVE_FIGURES } from "../core/server/panel_source.ts";
import type {
  ChangeResult,
  ControlClientRow,
  ControlRole,
  QueueStatusInfo,
  ServerInfo,
  ServerKind,
  StatsWithFigures,
} from "./control_client.ts";
import { serverInfoRows } from "./server_info.ts";

/** A command's result; `json` is also what `--json` prints. */
export type AdminResult =
  | { readonly type: "stats"; readonly json: { server: ServerKind; role: ControlRole } & StatsWithFigures }
  | { readonly type: "clients"; readonly json: { server: ServerKind; clients: ControlClientRow[] } }
  | { readonly type: "info"; readonly json: { server: ServerKind } & ServerInfo }
  | { readonly type: "status"; readonly json: { server: ServerKind; id: string } & QueueStatusInfo }
  | {
    readonly type: "change";
    readonly json: { server: ServerKind; id?: string } & ChangeResult;
  };

/** Columns padded to their widest cell; numbers right-aligned. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === "number"));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]?.length ?? 0)));
  return cells
    .map((r) =>
      r.map((cell, i) => (numeric[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join("  ")
        .trimEnd()
    )
    .join("\n");
}

export function renderResult(r: AdminResult): string {
  switch (r.type) {
    case "stats": {
      const { fromTime, counters, proxy, figures, server } = r.json;
      const panel = formatTable(
        ["figure (as the web panel shows it)", "value"],
        LIVE_FIGURES[server].map((f) => [f.label, formatFigure(figures[f.key] ?? 0, f.unit)]),
      );
      const main = formatTable(["stat", "value"], [
        ["fromTime", fromTime],
        ...Object.entries(counters),
      ]);
      const groups = Object.entries(proxy);
      if (groups.length === 0) return `${panel}\n\n${main}`;
      const fields = Object.keys(groups[0][1]);
      const proxyTable = formatTable(
        ["proxy", ...fields],
        groups.map(([g, p]) => [g, ...fields.map((f) => p[f] ?? 0)]),
      );
      return `${panel}\n\n${main}\n\n${proxyTable}`;
    }
    case "clients": {
      const rows = r.json.clients;
      if (rows.length === 0) return "no clients";
      const time = (s: number) => (s > 0 ? new Date(s * 1000).toISOString().slice(0, 19) + "Z" : "-");
      return formatTable(
        [
          "clientId",
          "sessionId",
          "connected",
          "created",
          "rcvActive",
          "sndActive",
          "age (s)",
          "subscriptions",
        ],
        rows.map((c) => [
          c.clientId,
          c.sessionId,
          c.connected ? "yes" : "no",
          time(c.createdAt),
          time(c.rcvActiveAt),
          time(c.sndActiveAt),
          c.age,
          c.subscriptions,
        ]),
      );
    }
    case "info": {
      const { server: _, ...info } = r.json;
      return formatTable(["field", "value"], serverInfoRows(info));
    }
    case "status": {
      const s = r.json;
      return formatTable(["field", "value"], [
        ["queue", s.id],
        ["status", s.blockReason ? `${s.status} (${s.blockReason})` : s.status],
        [
          "updatedAt",
          s.updatedAt === undefined ? "-" : new Date(s.updatedAt * 1000).toISOString().slice(0, 10),
        ],
        ["queueMode", s.queueMode ?? "-"],
      ]);
    }
    case "change":
      return r.json.message;
  }
}
