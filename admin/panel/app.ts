/**
 * The operators' web panel (issue #6): a Hono app rendered on the server. Everything but the login
 * page and the static assets needs a session; every POST carries the session's CSRF token; the
 * configuration page and queue deletion need the admin role, as `delete` does on the control port.
 */
import { type Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { CookieOptions } from "hono/utils/cookie";
import { parseBase64UrlId } from "../../core/encoding/base64.ts";
import { constantTimeEqual } from "../../core/encoding/bytes.ts";
import { sha256 } from "../../core/crypto/hash.ts";
import {
  LoginLimiter,
  type PanelPasswords,
  type PanelSession,
  PanelSessions,
  randomToken,
  roleFor,
} from "./auth.ts";
import {
  DELETE_ROLE,
  type ItemAction,
  LIVE_FIGURES,
  type LiveFigures,
  type LoginHint,
  type PanelSource,
} from "../../core/server/panel_source.ts";
import { LiveSampler } from "./samples.ts";
import { sparkline } from "./sparkline.tsx";
import { todaySoFar } from "./today.ts";
import { LIVE_JS, PANEL_CSS } from "./static.ts";
import {
  configPage,
  confirmPage,
  errorPage,
  historyPage,
  liveFiguresJson,
  livePage,
  loginPage,
  moderationPage,
  overviewPage,
  type PageContext,
  type ServerRef,
} from "./views.tsx";

export interface PanelServer {
  /** how the pages name it when there are several: the control port address, or "this server" */
  readonly name: string;
  readonly source: PanelSource;
}

export interface PanelOptions {
  /** the servers shown, at least one */
  readonly servers: readonly PanelServer[];
  readonly passwords: PanelPasswords;
  /** what the login page says about which password to use */
  readonly loginHint?: LoginHint;
  /** served over TLS: cookies get `Secure` and the `__Host-` prefix */
  readonly secure?: boolean;
  /** lets a scraper read /metrics with `Authorization: Bearer <token>`; a session works too */
  readonly metricsToken?: string;
  readonly sessions?: PanelSessions;
  readonly loginLimiter?: LoginLimiter;
  /**
   * the readings behind the live page's charts and today's history row, one per server in order;
   * default: one without a timer, fed by the pages' own readings
   */
  readonly sampler?: LiveSampler;
  /** the source address a login comes from, only to rate-limit it; default: Deno.serve's `remoteAddr` */
  readonly clientAddress?: (c: Context) => string | undefined;
}

type Env = { Variables: { session: PanelSession; sessionId: string } };

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy":
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'",
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
  "Cross-Origin-Opener-Policy": "same-origin",
};

const utf8 = new TextEncoder();
const sameToken = (a: string, b: string) => constantTimeEqual(sha256(utf8.encode(a)), sha256(utf8.encode(b)));

// Deno.serve passes its ServeHandlerInfo as the env of `app.fetch`.
const remoteAddress = (c: Context) =>
  (c.env as { remoteAddr?: { hostname?: string } } | undefined)?.remoteAddr?.hostname;

export function panelApp(o: PanelOptions): Hono<Env> {
  const sessions = o.sessions ?? new PanelSessions();
  const limiter = o.loginLimiter ?? new LoginLimiter();
  const clientAddress = o.clientAddress ?? remoteAddress;
  const cookieName = o.secure ? "__Host-simplex_panel" : "simplex_panel";
  const loginCookie = o.secure ? "__Host-simplex_login" : "simplex_login";
  const cookie: CookieOptions = { path: "/", httpOnly: true, sameSite: "Strict", secure: o.secure === true };
  if (o.servers.length === 0) throw new Error("the panel needs at least one server");
  const servers = o.servers.map((s, index) => ({
    ref: { index, name: s.name, kind: s.source.kind },
    source: s.source,
  }));
  const refs: ServerRef[] = servers.map((s) => s.ref);
  // one server that cannot be reached (a remote one) spoils only its own part of a page
  const eachServer = <T extends object>(f: (s: (typeof servers)[number]) => Promise<T>) =>
    Promise.all(servers.map(async (s): Promise<{ server: ServerRef; error?: string } & Partial<T>> => {
      try {
        return { server: s.ref, ...await f(s) };
      } catch (e) {
        const error = (e as Error).message ?? String(e);
        return { server: s.ref, error } as { server: ServerRef; error?: string } & Partial<T>;
      }
    }));
  const sampler = o.sampler ?? new LiveSampler(servers.map((s) => s.source));
  /** the live figures now, offered to the sampler as one more reading */
  const readLive = async (s: (typeof servers)[number]) => {
    const live = await s.source.live();
    sampler.offer(s.ref.index, live);
    return live;
  };
  const charted = (s: (typeof servers)[number], live: LiveFigures) => {
    const samples = sampler.samples(s.ref.index, live.at);
    // the reading now is the chart's last point, whether or not the ring took it
    const last = samples.at(-1);
    if (!last || last.at < live.at) samples.push(live);
    return Object.fromEntries(
      LIVE_FIGURES[s.ref.kind].filter((f) => f.chart).map((f) => [f.key, sparkline(samples, f)]),
    );
  };
  const livePart = async (s: (typeof servers)[number]) => {
    const live = await readLive(s);
    return { live, charts: charted(s, live) };
  };
  const metrics = async () => {
    const texts = await Promise.all(servers.map((s) => s.source.prometheus?.()));
    const present = texts.filter((t): t is string => t !== undefined);
    return present.length > 0 ? present.join("\n") : undefined;
  };
  const metricsResponse = async (c: Context) => {
    const text = await metrics();
    return text === undefined
      ? c.text("no metrics: the servers' control ports do not give them; scrape each server's own panel", 404)
      : c.text(text, 200, { "Content-Type": "text/plain; version=0.0.4" });
  };
  const app = new Hono<Env>();
  const ctx = (s: PanelSession): PageContext => ({ role: s.role, csrf: s.csrf });
  const page = (c: Context<Env>) => ctx(c.get("session"));

  app.use(async (c, next) => {
    await next();
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(k, v);
  });

  app.get("/static/panel.css", (c) => c.body(PANEL_CSS, 200, { "Content-Type": "text/css; charset=utf-8" }));
  app.get(
    "/static/live.js",
    (c) => c.body(LIVE_JS, 200, { "Content-Type": "text/javascript; charset=utf-8" }),
  );

  app.get("/favicon.ico", (c) => c.body(null, 204));

  app.get("/login", (c) => {
    // reused while it lasts: a second tab (or a stray request) must not void the first tab's form
    const current = getCookie(c, loginCookie);
    const token = current && /^[A-Za-z0-9_-]{43}=$/.test(current) ? current : randomToken();
    setCookie(c, loginCookie, token, { ...cookie, maxAge: 600 });
    return c.html(loginPage(token, o.loginHint));
  });

  app.post("/login", async (c) => {
    const address = clientAddress(c) ?? "unknown";
    if (!limiter.allows(address)) {
      return c.html(errorPage({}, "Too many attempts", "Too many failed logins; try again later."), 429);
    }
    const form = await c.req.parseBody();
    const expected = getCookie(c, loginCookie);
    if (!expected || typeof form.csrf !== "string" || !sameToken(form.csrf, expected)) {
      return c.html(errorPage({}, "Forbidden", "The form expired; reload the login page."), 403);
    }
    const role = typeof form.password === "string" ? roleFor(form.password, o.passwords) : undefined;
    if (!role) {
      limiter.recordFailure(address);
      const token = randomToken();
      setCookie(c, loginCookie, token, { ...cookie, maxAge: 600 });
      return c.html(loginPage(token, o.loginHint, "Wrong password."), 401);
    }
    deleteCookie(c, loginCookie, cookie);
    const { id } = sessions.create(role);
    setCookie(c, cookieName, id, cookie);
    return c.redirect("/", 303);
  });

  app.get("/metrics", async (c, next) => {
    const auth = c.req.header("Authorization");
    if (o.metricsToken && auth?.startsWith("Bearer ") && sameToken(auth.slice(7), o.metricsToken)) {
      return await metricsResponse(c);
    }
    await next();
  });

  // everything below needs a session; POSTs also its CSRF token
  app.use(async (c, next) => {
    const id = getCookie(c, cookieName);
    const session = sessions.get(id);
    if (!session || !id) {
      if (c.req.method === "GET" && c.req.path !== "/metrics" && c.req.path !== "/live.json") {
        return c.redirect("/login", 302);
      }
      return c.text("login required", 401);
    }
    if (c.req.method === "POST") {
      const form = await c.req.parseBody();
      if (typeof form.csrf !== "string" || !sameToken(form.csrf, session.csrf)) {
        return c.html(errorPage(ctx(session), "Forbidden", "Invalid CSRF token; reload the page."), 403);
      }
    }
    c.set("session", session);
    c.set("sessionId", id);
    await next();
  });

  app.post("/logout", (c) => {
    sessions.delete(c.get("sessionId"));
    deleteCookie(c, cookieName, cookie);
    return c.redirect("/login", 303);
  });

  app.get("/", async (c) => {
    const all = await eachServer(async (s) => ({ overview: await s.source.overview() }));
    return c.html(overviewPage(page(c), all, new Date()));
  });
  app.get("/live", async (c) => c.html(livePage(page(c), await eachServer(livePart))));
  app.get("/live.json", async (c) => c.json(liveFiguresJson(await eachServer(livePart))));
  app.get("/history", async (c) => {
    const parts = await eachServer(async (s) => {
      const live = await readLive(s);
      const today = todaySoFar(s.ref.kind, live, sampler.dayStart(s.ref.index, live.at));
      return { days: await s.source.history?.(), today };
    });
    return c.html(historyPage(page(c), parts));
  });
  app.get("/metrics", (c) => metricsResponse(c));

  app.get("/config", async (c) => {
    if (c.get("session").role !== "admin") {
      return c.html(errorPage(page(c), "Forbidden", "The configuration is for the admin role."), 403);
    }
    return c.html(
      configPage(page(c), await eachServer(async (s) => ({ config: await s.source.configuration?.() }))),
    );
  });

  const pick = (text: unknown) => {
    const i = typeof text === "string" && /^\d+$/.test(text) ? Number(text) : 0;
    return servers[i];
  };
  const view = (s: (typeof servers)[number], id?: string) => ({
    servers: refs,
    server: s.ref,
    id,
    noLookup: id !== undefined && s.source.lookup === undefined,
    canUnblock: s.source.unblock !== undefined,
  });
  const item = (s: (typeof servers)[number]) => s.ref.kind === "smp" ? "queue" : "file";

  app.get("/moderation", async (c) => {
    const s = pick(c.req.query("server"));
    if (!s) return c.html(errorPage(page(c), "Not found", "No such server."), 404);
    const id = c.req.query("id")?.trim();
    if (!id) return c.html(moderationPage(page(c), view(s)));
    const bytes = parseBase64UrlId(id);
    if (!bytes) {
      return c.html(moderationPage(page(c), { ...view(s), id, message: "Not a base64url ID." }), 400);
    }
    const found = await s.source.lookup?.(bytes);
    return c.html(moderationPage(page(c), { ...view(s, id), found }));
  });

  app.post("/moderation/:action{block|unblock|delete}", async (c) => {
    const action = c.req.param("action") as "block" | "unblock" | "delete";
    const form = await c.req.parseBody();
    const s = pick(form.server);
    if (!s) return c.html(errorPage(page(c), "Not found", "No such server."), 404);
    if (action === "delete" && DELETE_ROLE[s.ref.kind] === "admin" && c.get("session").role !== "admin") {
      return c.html(errorPage(page(c), "Forbidden", `Deleting a ${item(s)} needs the admin role.`), 403);
    }
    const unblock = s.source.unblock;
    if (action === "unblock" && !unblock) {
      return c.html(
        errorPage(page(c), "Not supported", "This server cannot unblock over its control port."),
        400,
      );
    }
    const id = typeof form.id === "string" ? form.id.trim() : "";
    const bytes = parseBase64UrlId(id);
    if (!bytes) {
      return c.html(moderationPage(page(c), { ...view(s), id, message: "Not a base64url ID." }), 400);
    }
    const reason = form.reason === "content" ? "content" : "spam";
    if (form.confirm !== "yes") {
      return c.html(confirmPage(page(c), s.ref, action, id, action === "block" ? reason : undefined));
    }
    let r: ItemAction;
    try {
      r = action === "block"
        ? await s.source.block(bytes, { reason })
        : action === "unblock"
        ? await unblock!(bytes)
        : await s.source.delete(bytes);
    } catch (e) {
      // a remote server that went away, or refused the panel's role
      const message = `The server did not do it: ${(e as Error).message}`;
      return c.html(moderationPage(page(c), { ...view(s, id), message }), 502);
    }
    const Item = item(s) === "queue" ? "Queue" : "File";
    const message = r.type === "done"
      ? `${Item} ${action === "delete" ? "deleted" : `${action}ed`}.`
      : r.type === "notFound"
      ? `No such ${item(s)}.`
      : `Today's block quota (${r.quota}) is used up.`;
    const status = r.type === "done" ? 200 : r.type === "notFound" ? 404 : 429;
    const found = action === "delete" ? undefined : await s.source.lookup?.(bytes);
    const shown = action === "delete" || r.type === "notFound" ? view(s) : view(s, id);
    return c.html(moderationPage(page(c), { ...shown, id, found, message }), status);
  });

  return app;
}
