/** @jsxImportSource hono/jsx */
/**
 * The panel's pages, rendered on the server. No inline scripts or styles (the CSP forbids them):
 * the stylesheet and the live-figures script are files the app serves itself.
 */
import type { Child } from "hono/jsx";
import type { PanelRole } from "./auth.ts";
import {
  type DailyFigures,
  DELETE_ROLE,
  formatBytes,
  formatFigure,
  HISTORY,
  type ItemLookup,
  LIVE_FIGURES,
  type LiveFigures,
  type LoginHint,
  type PanelConfiguration,
  type PanelOverview,
  type ServerKind,
} from "../../core/server/panel_source.ts";
import { historyChart } from "./chart.tsx";
import { type Sparkline, sparklineSvg } from "./sparkline.tsx";
import type { TodaySoFar } from "./today.ts";
import { qrPath } from "../../core/encoding/qr.ts";

export interface PageContext {
  readonly role?: PanelRole;
  readonly csrf?: string;
}

export function layout(ctx: PageContext, title: string, body: Child, scripts: string[] = []) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{title} · SimpleX server</title>
        <link rel="stylesheet" href="/static/panel.css" />
        {scripts.map((s) => <script key={s} src={s} defer></script>)}
      </head>
      <body>
        {ctx.role && (
          <nav>
            <a href="/">Overview</a> <a href="/live">Live</a> <a href="/history">History</a>{" "}
            <a href="/moderation">Moderation</a> {ctx.role === "admin" && <a href="/config">Configuration</a>}
            {" "}
            <a href="/metrics">Metrics</a>
            <form method="post" action="/logout" class="inline">
              <input type="hidden" name="csrf" value={ctx.csrf} />
              <button type="submit">Log out ({ctx.role})</button>
            </form>
          </nav>
        )}
        <main>
          <h1>{title}</h1>
          {body}
        </main>
      </body>
    </html>
  );
}

export function loginPage(token: string, hint?: LoginHint, message?: string) {
  return layout(
    {},
    "Log in",
    <form method="post" action="/login">
      {message && <p class="error" role="alert">{message}</p>}
      {hint && <p class="hint" id="login-hint">{loginHintText(hint)}</p>}
      <input type="hidden" name="csrf" value={token} />
      <label>
        Password <input type="password" name="password" autocomplete="current-password" required autofocus />
      </label>
      <button type="submit">Log in</button>
    </form>,
  );
}

/** Which password to type: the keys that hold it and their file, or how `admin serve` got it; never the password. */
export function loginHintText(hint: LoginHint) {
  if (hint.type === "controlPort") {
    return (
      <>
        Log in with the control port password that <code>simplex admin serve</code> was started with (its{" "}
        <code>--password</code>, <code>$SIMPLEX_ADMIN_PASSWORD</code> or what its prompt was given).
      </>
    );
  }
  const roles = [
    hint.admin && (
      <>
        <code>{hint.admin}</code> for the admin role
      </>
    ),
    hint.user && (
      <>
        <code>{hint.user}</code> for the user role (reads and moderates)
      </>
    ),
  ].filter(Boolean);
  return (
    <>
      Log in with a password from <code>{hint.file}</code>: {roles[0]}
      {roles[1] && <>, or {roles[1]}</>}.
    </>
  );
}

/** A server as the pages show it: its name (the address it was given, or "this server") and kind. */
export interface ServerRef {
  readonly index: number;
  readonly name: string;
  readonly kind: ServerKind;
}

const KIND = { smp: "SMP relay", xftp: "XFTP server" } as const;
const ITEM = { smp: "queue", xftp: "file" } as const;
const ID_HINT = {
  smp: "sender or short-link ID, base64url",
  xftp: "recipient ID, base64url",
} as const;
const CREATION = { open: "open to everyone", password: "password-protected", closed: "closed" } as const;
const UNKNOWN = "not reported over the control port";

/** One server's part of a page; `error` when the server could not be asked (a remote one that is down). */
export interface Part {
  readonly server: ServerRef;
  readonly error?: string;
}

function section(servers: readonly ServerRef[], part: Part, body: () => Child) {
  const s = part.server;
  return (
    <section id={`server-${s.index}`}>
      {servers.length > 1 && <h2>{s.name} ({KIND[s.kind]})</h2>}
      {part.error !== undefined ? <p class="error">Cannot reach this server: {part.error}</p> : body()}
    </section>
  );
}

export function overviewPage(
  ctx: PageContext,
  servers: readonly (Part & { overview?: PanelOverview })[],
  now: Date,
) {
  const refs = servers.map((s) => s.server);
  return layout(
    ctx,
    "Overview",
    <>
      {servers.map((part) =>
        section(refs, part, () => {
          const o = part.overview!;
          return (
            <dl>
              <dt>Server</dt>
              <dd>{KIND[o.kind]}</dd>
              <dt>Version</dt>
              <dd class="version">{o.version ?? UNKNOWN}</dd>
              <dt>Uptime</dt>
              <dd class="uptime">
                {o.startedAt ? formatDuration(now.getTime() - o.startedAt.getTime()) : UNKNOWN}
              </dd>
              <dt>Server address</dt>
              <dd class="address">
                {o.serverAddress
                  ? (
                    <>
                      <code>{o.serverAddress}</code>
                      {qrSvg(o.serverAddress)}
                    </>
                  )
                  : UNKNOWN}
              </dd>
              {o.fingerprint && (
                <>
                  <dt>Fingerprint</dt>
                  <dd>
                    <code>{o.fingerprint}</code>
                  </dd>
                </>
              )}
              <dt>Storage</dt>
              <dd>
                {o.storage === undefined
                  ? UNKNOWN
                  : o.storage === "persistent"
                  ? "persistent (on disk)"
                  : "in memory only"}
                {o.storageQuota !== undefined && `; quota ${formatBytes(o.storageQuota)}`}
              </dd>
              <dt>{o.kind === "smp" ? "Queue creation" : "File creation"}</dt>
              <dd class="creation">{o.creation ? CREATION[o.creation] : UNKNOWN}</dd>
            </dl>
          );
        })
      )}
    </>,
  );
}

/** The address as a QR code, drawn on the server as one SVG path of dark modules. */
export function qrSvg(text: string) {
  const qr = qrPath(text);
  if (!qr) return null;
  const { size, d } = qr;
  return (
    <svg
      xmlns="http://www.w3.org/2000/svg"
      viewBox={`0 0 ${size} ${size}`}
      class="qr"
      role="img"
      aria-label="QR code of the server address"
      shape-rendering="crispEdges"
    >
      <rect width={size} height={size} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}

/** What the live page shows of one server: its figures now, and each charted figure's last hour. */
export interface LivePart extends Part {
  readonly live?: LiveFigures;
  /** by figure key, for the figures LIVE_FIGURES marks with `chart` */
  readonly charts?: Readonly<Record<string, Sparkline>>;
}

/** `/live.json`: each server's figures and charts by key, in the order of the servers. */
export function liveFiguresJson(servers: readonly LivePart[]) {
  return {
    at: new Date().toISOString(),
    servers: servers.map(({ server, live, charts, error }) => ({
      name: server.name,
      kind: server.kind,
      ...(live
        ? { at: live.at.toISOString(), values: live.values, charts: charts ?? {} }
        : { error, values: {} }),
    })),
  };
}

export function livePage(ctx: PageContext, servers: readonly LivePart[]) {
  const refs = servers.map((s) => s.server);
  return layout(
    ctx,
    "Live figures",
    <>
      <p>
        <a href="/live">Refresh</a> (the figures and charts refresh by themselves while JavaScript is on)
      </p>
      {servers.map((part) =>
        section(refs, part, () => {
          const { server } = part, live = part.live!;
          return (
            <>
              <p>
                As of <time id={`at-${server.index}`}>{live.at.toISOString()}</time>
                {live.fromTime && `; counters since ${live.fromTime.toISOString()}`}.
              </p>
              <table class="live">
                <tbody>
                  {LIVE_FIGURES[server.kind].map((f) => (
                    <tr>
                      <th>{f.label}</th>
                      <td
                        id={`fig-${server.index}-${f.key}`}
                        data-server={String(server.index)}
                        data-figure={f.key}
                        data-unit={f.unit}
                      >
                        {formatFigure(live.values[f.key] ?? 0, f.unit)}
                      </td>
                      <td class="limit">
                        {live.limits?.[f.key] !== undefined &&
                          `of ${formatFigure(live.limits[f.key], f.unit)}`}
                      </td>
                      <td class="chart">
                        {f.chart && part.charts?.[f.key] && sparklineSvg(server.index, f, part.charts[f.key])}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          );
        })
      )}
    </>,
    ["/static/live.js"],
  );
}

/** One server's part of the history page: the days its stats file logged, and today so far. */
export interface HistoryPart extends Part {
  /** undefined when the server's stats file cannot be read (a remote server) */
  readonly days?: readonly DailyFigures[];
  readonly today?: TodaySoFar;
}

const hhmm = (d: Date) => d.toISOString().slice(11, 16);

export function historyPage(ctx: PageContext, servers: readonly HistoryPart[]) {
  const refs = servers.map((s) => s.server);
  return layout(
    ctx,
    "Daily history",
    <>
      {servers.map((part) => {
        const { server, days, today } = part;
        const columns = HISTORY[server.kind];
        return section(refs, part, () => (
          <>
            {days === undefined
              ? (
                <p>
                  The days before today are read from the server's stats file: open the panel the server runs
                  itself ([ADMIN] in its INI file) to see them.
                </p>
              )
              : days.length === 0 && (
                <p>
                  No finished days yet: the server logs each day at 00:00 UTC when <code>log_stats</code>{" "}
                  is on. Today's figures so far are read from its live counters.
                </p>
              )}
            {historyChart(
              [...days ?? [], ...today ? [today] : []],
              columns[0],
              columns[1],
              today !== undefined,
            )}
            {/* a phone scrolls a wide table, not the page */}
            <div class="wide">
              <table class="history">
                <thead>
                  <tr>
                    <th>Day</th>
                    {columns.map((c) => <th key={c.key}>{c.label}</th>)}
                  </tr>
                </thead>
                <tbody>
                  {(days ?? []).map((d) => (
                    <tr>
                      <td>{d.day}</td>
                      {columns.map((c) => <td key={c.key}>{formatFigure(d.values[c.key] ?? 0, c.unit)}</td>)}
                    </tr>
                  ))}
                  {today && (
                    <tr class="partial" id={`today-${server.index}`}>
                      <td>
                        {today.day}{" "}
                        <small>
                          (today so far, partial: {hhmm(today.since)} to {hhmm(today.at)} UTC)
                        </small>
                      </td>
                      {columns.map((c) => (
                        <td key={c.key}>{formatFigure(today.values[c.key] ?? 0, c.unit)}</td>
                      ))}
                    </tr>
                  )}
                </tbody>
              </table>
            </div>
          </>
        ));
      })}
    </>,
  );
}

function csrfField(ctx: PageContext) {
  return <input type="hidden" name="csrf" value={ctx.csrf} />;
}

/** What the moderation page knows about the item asked for. */
export interface ModerationView {
  readonly servers: readonly ServerRef[];
  /** the server picked in the form */
  readonly server: ServerRef;
  readonly id?: string;
  readonly found?: ItemLookup;
  /** the server cannot look items up: the actions are offered without a status */
  readonly noLookup?: boolean;
  readonly canUnblock: boolean;
  readonly message?: string;
}

/**
 * The actions that apply to what a lookup found: Block for an active (or off) item, Unblock for a
 * blocked one where the server can unblock; without a lookup, every action the server has.
 */
export function applicableActions(v: ModerationView): { block: boolean; unblock: boolean } {
  const status = v.found?.type === "found" ? v.found.status : undefined;
  if (status === undefined) return { block: true, unblock: v.canUnblock };
  return { block: status !== "blocked", unblock: status === "blocked" && v.canUnblock };
}

export function moderationPage(ctx: PageContext, v: ModerationView) {
  const { server, id, found } = v;
  const item = ITEM[server.kind];
  const canDelete = ctx.role === "admin" || DELETE_ROLE[server.kind] === "user";
  const can = applicableActions(v);
  const hidden = (
    <>
      {csrfField(ctx)}
      <input type="hidden" name="server" value={String(server.index)} />
      <input type="hidden" name="id" value={id} />
    </>
  );
  const actions = id && (found?.type === "found" || v.noLookup) && (
    <section class="actions">
      {found?.type === "found" && (
        <p id="item-status">
          Status: <strong>{found.status}</strong>
          {found.blocking && ` (reason: ${found.blocking.reason})`}
          {found.updatedAt && `; last used ${found.updatedAt.toISOString().slice(0, 10)}`}
        </p>
      )}
      {v.noLookup && (
        <p id="item-status">This server's control port cannot look {item}s up; its actions work by ID.</p>
      )}
      {can.block && (
        <form method="post" action="/moderation/block">
          {hidden}
          <label>
            Reason{" "}
            <select name="reason">
              <option value="spam">spam</option>
              <option value="content">content</option>
            </select>
          </label>{" "}
          <button type="submit">Block…</button>
        </form>
      )}
      {can.unblock && (
        <form method="post" action="/moderation/unblock">
          {hidden}
          <button type="submit">Unblock…</button>
        </form>
      )}
      {found?.type === "found" && found.status === "blocked" && !v.canUnblock && (
        <p>This server cannot unblock a {item}; it can only be deleted.</p>
      )}
      {canDelete && (
        <form method="post" action="/moderation/delete">
          {hidden}
          <button type="submit">Delete…</button>
        </form>
      )}
    </section>
  );
  return layout(
    ctx,
    "Moderation",
    <>
      {v.message && <p class="notice" role="status">{v.message}</p>}
      <form method="get" action="/moderation" class="lookup">
        {v.servers.length > 1 && (
          <label>
            Server{" "}
            <select name="server">
              {v.servers.map((s) => (
                <option value={String(s.index)} selected={s.index === server.index}>
                  {s.name} ({KIND[s.kind]})
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          {item === "queue" ? "Queue" : "File"} ID ({ID_HINT[server.kind]})
          {/* 44 characters: a 32-byte ID in base64url with its padding */}
          <input
            name="id"
            class="id"
            value={id ?? ""}
            size={44}
            required
            autocomplete="off"
            autocapitalize="off"
          />
        </label>
        {v.servers.length === 1 && <input type="hidden" name="server" value="0" />}
        <button type="submit">Look up</button>
      </form>
      {found?.type === "notFound" && <p id="item-status">No such {item}.</p>}
      {actions}
    </>,
  );
}

/** The second step of every moderation action: the same fields again, with `confirm`. */
export function confirmPage(
  ctx: PageContext,
  server: ServerRef,
  action: "block" | "unblock" | "delete",
  id: string,
  reason?: string,
) {
  const item = ITEM[server.kind];
  return layout(
    ctx,
    `Confirm ${action}`,
    <form method="post" action={`/moderation/${action}`}>
      <p>
        {`${action[0].toUpperCase()}${action.slice(1)} ${item} `}
        <code>{id}</code>
        {reason && ` (reason: ${reason})`}?
        {action === "delete" && (item === "queue" ? " Its messages are lost." : " Its chunks are removed.")}
      </p>
      {csrfField(ctx)}
      <input type="hidden" name="server" value={String(server.index)} />
      <input type="hidden" name="id" value={id} />
      {reason && <input type="hidden" name="reason" value={reason} />}
      <input type="hidden" name="confirm" value="yes" />
      <button type="submit" id="confirm">Yes, {action}</button>{" "}
      <a href={`/moderation?server=${server.index}&id=${encodeURIComponent(id)}`}>Cancel</a>
    </form>,
  );
}

export function configPage(
  ctx: PageContext,
  servers: readonly (Part & { config?: PanelConfiguration })[],
) {
  const refs = servers.map((s) => s.server);
  return layout(
    ctx,
    "Configuration",
    <>
      {servers.map((part) =>
        section(refs, part, () => {
          const config = part.config;
          if (config === undefined) {
            return <p>The configuration is only shown by the panel the server runs itself.</p>;
          }
          const sections = Map.groupBy(config.entries, (e) => e.section);
          return (
            <>
              <p>
                Every setting the server reads from{" "}
                <code class="ini-path">{config.path}</code>, as it read them at start (defaults filled in;
                passwords and tokens only say whether they are set). Edit the file and restart the server to
                change them.
              </p>
              {[...sections].map(([name, entries]) => (
                <>
                  <h3 id={`ini-${part.server.index}-${name}`}>[{name}]</h3>
                  <table class="settings">
                    <tbody>
                      {entries.map((e) => (
                        <tr>
                          <th>{e.key}</th>
                          <td>{e.value}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </>
              ))}
            </>
          );
        })
      )}
    </>,
  );
}

export function errorPage(ctx: PageContext, title: string, message: string) {
  return layout(ctx, title, <p class="error">{message}</p>);
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
  return `${d}d ${h}h ${m}m ${s % 60}s`;
}
