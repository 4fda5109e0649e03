/** @jsxImportSource hono/jsx */
/**
 * The panel's pages, rendered on the server. No inline scripts or styles (the CSP forbids them):
 * the stylesheet and the live-figures script are files the app serves itself.
 */
import type { Child } from "hono/jsx";
import type { PanelRole } from "./auth.ts";
import type { ConfigEntry, DailyFigures, LiveFigures, PanelOverview, QueueLookup } from "./source.ts";
import { historyChart } from "./chart.tsx";
import { QR_MAX_BYTES, qrMatrix } from "./qr.ts";

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
            <a href="/queues">Moderation</a> {ctx.role === "admin" && <a href="/config">Configuration</a>}
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

export function loginPage(token: string, message?: string) {
  return layout(
    {},
    "Log in",
    <form method="post" action="/login">
      {message && <p class="error" role="alert">{message}</p>}
      <input type="hidden" name="csrf" value={token} />
      <label>
        Password <input type="password" name="password" autocomplete="current-password" required autofocus />
      </label>
      <button type="submit">Log in</button>
    </form>,
  );
}

const CREATION = { open: "open to everyone", password: "password-protected", closed: "closed" } as const;

export function overviewPage(ctx: PageContext, o: PanelOverview, now: Date) {
  return layout(
    ctx,
    "Overview",
    <dl>
      <dt>Version</dt>
      <dd id="version">{o.version}</dd>
      <dt>Uptime</dt>
      <dd id="uptime">{formatDuration(now.getTime() - o.startedAt.getTime())}</dd>
      <dt>Server address</dt>
      <dd id="address">
        <code>{o.serverAddress}</code>
        {qrSvg(o.serverAddress)}
      </dd>
      <dt>Fingerprint</dt>
      <dd>
        <code>{o.fingerprint}</code>
      </dd>
      <dt>Storage</dt>
      <dd>{o.storage === "persistent" ? "persistent (on disk)" : "in memory only"}</dd>
      <dt>Queue creation</dt>
      <dd id="queue-creation">{CREATION[o.queueCreation]}</dd>
    </dl>,
  );
}

const QUIET_ZONE = 4;

/** The address as a QR code, drawn on the server as one SVG path of dark modules. */
export function qrSvg(text: string) {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > QR_MAX_BYTES) return null;
  const rows = qrMatrix(bytes);
  const size = rows.length + 2 * QUIET_ZONE;
  const d = rows.flatMap((row, y) =>
    row.flatMap((dark, x) => dark ? [`M${x + QUIET_ZONE} ${y + QUIET_ZONE}h1v1h-1z`] : [])
  ).join("");
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

const FIGURES = [
  ["clients", "Connected clients"],
  ["queues", "Queues"],
  ["messages", "Stored messages"],
  ["subscriptions", "Subscribed queues"],
] as const;

const COUNTERS = [
  ["qCreated", "Queues created"],
  ["qDeletedAll", "Queues deleted"],
  ["qBlocked", "Queues blocked"],
  ["msgSent", "Messages sent"],
  ["msgRecv", "Messages received"],
  ["msgExpired", "Messages expired"],
] as const;

export function liveFiguresJson(f: LiveFigures): Record<string, number | string> {
  const out: Record<string, number | string> = { at: f.at.toISOString() };
  for (const [k] of FIGURES) out[k] = f[k];
  for (const [k] of COUNTERS) out[k] = f.counters[k] ?? 0;
  return out;
}

export function livePage(ctx: PageContext, f: LiveFigures) {
  const v = liveFiguresJson(f);
  return layout(
    ctx,
    "Live figures",
    <>
      <p>
        As of <time id="fig-at">{f.at.toISOString()}</time>; counters since {f.fromTime.toISOString()}.{" "}
        <a href="/live">Refresh</a>
      </p>
      <table>
        <tbody>
          {[...FIGURES, ...COUNTERS].map(([k, label]) => (
            <tr>
              <th>{label}</th>
              <td id={`fig-${k}`} data-figure={k}>{v[k]}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>,
    ["/static/live.js"],
  );
}

export function historyPage(ctx: PageContext, days: readonly DailyFigures[]) {
  return layout(
    ctx,
    "Daily history",
    days.length === 0
      ? (
        <p>
          No daily stats yet (they are logged when <code>log_stats</code> is on).
        </p>
      )
      : (
        <>
          {historyChart(days)}
          <table>
            <thead>
              <tr>
                <th>Day</th>
                <th>Sent</th>
                <th>Received</th>
                <th>Queues created</th>
                <th>Queues</th>
                <th>Messages</th>
              </tr>
            </thead>
            <tbody>
              {days.map((d) => (
                <tr>
                  <td>{d.day}</td>
                  <td>{d.msgSent}</td>
                  <td>{d.msgRecv}</td>
                  <td>{d.qCreated}</td>
                  <td>{d.queues}</td>
                  <td>{d.messages}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ),
  );
}

function csrfField(ctx: PageContext) {
  return <input type="hidden" name="csrf" value={ctx.csrf} />;
}

export function queuesPage(ctx: PageContext, id?: string, found?: QueueLookup, message?: string) {
  return layout(
    ctx,
    "Moderation",
    <>
      {message && <p class="notice" role="status">{message}</p>}
      <form method="get" action="/queues">
        <label>
          Queue ID (sender or short-link ID, base64url) <input name="id" value={id ?? ""} required />
        </label>
        <button type="submit">Look up</button>
      </form>
      {found?.type === "notFound" && <p id="queue-status">No such queue.</p>}
      {found?.type === "found" && id && (
        <section>
          <p id="queue-status">
            Status: <strong>{found.status}</strong>
            {found.blocking && ` (reason: ${found.blocking.reason})`}
            {found.updatedAt && `; last used ${found.updatedAt.toISOString().slice(0, 10)}`}
          </p>
          <form method="post" action="/queues/block">
            {csrfField(ctx)}
            <input type="hidden" name="id" value={id} />
            <label>
              Reason{" "}
              <select name="reason">
                <option value="spam">spam</option>
                <option value="content">content</option>
              </select>
            </label>
            <button type="submit">Block…</button>
          </form>
          <form method="post" action="/queues/unblock">
            {csrfField(ctx)}
            <input type="hidden" name="id" value={id} />
            <button type="submit">Unblock…</button>
          </form>
          {ctx.role === "admin" && (
            <form method="post" action="/queues/delete">
              {csrfField(ctx)}
              <input type="hidden" name="id" value={id} />
              <button type="submit">Delete…</button>
            </form>
          )}
        </section>
      )}
    </>,
  );
}

/** The second step of every queue action: the same fields again, with `confirm`. */
export function confirmPage(
  ctx: PageContext,
  action: "block" | "unblock" | "delete",
  id: string,
  reason?: string,
) {
  return layout(
    ctx,
    `Confirm ${action}`,
    <form method="post" action={`/queues/${action}`}>
      <p>
        {action === "delete" ? "Delete queue " : `${action[0].toUpperCase()}${action.slice(1)} queue `}
        <code>{id}</code>
        {reason && ` (reason: ${reason})`}?{action === "delete" && " Its messages are lost."}
      </p>
      {csrfField(ctx)}
      <input type="hidden" name="id" value={id} />
      {reason && <input type="hidden" name="reason" value={reason} />}
      <input type="hidden" name="confirm" value="yes" />
      <button type="submit" id="confirm">Yes, {action}</button> <a href={`/queues?id=${id}`}>Cancel</a>
    </form>,
  );
}

export function configPage(ctx: PageContext, entries: readonly ConfigEntry[]) {
  return layout(
    ctx,
    "Configuration",
    <table>
      <tbody>
        {entries.map((e) => (
          <tr>
            <th>[{e.section}] {e.key}</th>
            <td>{e.value}</td>
          </tr>
        ))}
      </tbody>
    </table>,
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
