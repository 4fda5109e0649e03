/**
 * The operators' web panel (issue #6): a Hono app rendered on the server. Everything but the login
 * page and the static assets needs a session; every POST carries the session's CSRF token; the
 * configuration page and queue deletion need the admin role, as `delete` does on the control port.
 */
import { type Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { CookieOptions } from "hono/utils/cookie";
import { decodeBase64Url } from "../../core/encoding/base64.ts";
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
import type { PanelSource } from "./source.ts";
import { LIVE_JS, PANEL_CSS } from "./static.ts";
import {
  configPage,
  confirmPage,
  errorPage,
  historyPage,
  liveFiguresJson,
  livePage,
  loginPage,
  overviewPage,
  type PageContext,
  queuesPage,
} from "./views.tsx";

export interface PanelOptions {
  readonly source: PanelSource;
  readonly passwords: PanelPasswords;
  /** served over TLS: cookies get `Secure` and the `__Host-` prefix */
  readonly secure?: boolean;
  /** lets a scraper read /metrics with `Authorization: Bearer <token>`; a session works too */
  readonly metricsToken?: string;
  readonly sessions?: PanelSessions;
  readonly loginLimiter?: LoginLimiter;
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
  const { source } = o;
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
    return c.html(loginPage(token));
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
      return c.html(loginPage(token, "Wrong password."), 401);
    }
    deleteCookie(c, loginCookie, cookie);
    const { id } = sessions.create(role);
    setCookie(c, cookieName, id, cookie);
    return c.redirect("/", 303);
  });

  app.get("/metrics", async (c, next) => {
    const auth = c.req.header("Authorization");
    if (o.metricsToken && auth?.startsWith("Bearer ") && sameToken(auth.slice(7), o.metricsToken)) {
      return c.text(await source.prometheus(), 200, { "Content-Type": "text/plain; version=0.0.4" });
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
    return c.html(overviewPage(page(c), await source.overview(), new Date()));
  });
  app.get("/live", async (c) => c.html(livePage(page(c), await source.live())));
  app.get("/live.json", async (c) => c.json(liveFiguresJson(await source.live())));
  app.get("/history", async (c) => c.html(historyPage(page(c), await source.history())));
  app.get(
    "/metrics",
    async (c) => c.text(await source.prometheus(), 200, { "Content-Type": "text/plain; version=0.0.4" }),
  );

  app.get("/config", async (c) => {
    if (c.get("session").role !== "admin") {
      return c.html(errorPage(page(c), "Forbidden", "The configuration is for the admin role."), 403);
    }
    return c.html(configPage(page(c), await source.configuration()));
  });

  app.get("/queues", async (c) => {
    const id = c.req.query("id")?.trim();
    if (!id) return c.html(queuesPage(page(c)));
    const bytes = queueId(id);
    if (!bytes) return c.html(queuesPage(page(c), id, undefined, "Not a base64url queue ID."), 400);
    return c.html(queuesPage(page(c), id, await source.lookupQueue(bytes)));
  });

  app.post("/queues/:action{block|unblock|delete}", async (c) => {
    const action = c.req.param("action") as "block" | "unblock" | "delete";
    if (action === "delete" && c.get("session").role !== "admin") {
      return c.html(errorPage(page(c), "Forbidden", "Deleting a queue needs the admin role."), 403);
    }
    const form = await c.req.parseBody();
    const id = typeof form.id === "string" ? form.id.trim() : "";
    const bytes = queueId(id);
    if (!bytes) return c.html(queuesPage(page(c), id, undefined, "Not a base64url queue ID."), 400);
    const reason = form.reason === "content" ? "content" : "spam";
    if (form.confirm !== "yes") {
      return c.html(confirmPage(page(c), action, id, action === "block" ? reason : undefined));
    }
    const r = action === "block"
      ? await source.blockQueue(bytes, { reason })
      : action === "unblock"
      ? await source.unblockQueue(bytes)
      : await source.deleteQueue(bytes);
    const message = r.type === "done"
      ? `Queue ${action === "delete" ? "deleted" : `${action}ed`}.`
      : r.type === "notFound"
      ? "No such queue."
      : `Today's block quota (${r.quota}) is used up.`;
    const status = r.type === "done" ? 200 : r.type === "notFound" ? 404 : 429;
    const lookup = action === "delete" ? undefined : await source.lookupQueue(bytes);
    return c.html(queuesPage(page(c), id, lookup, message), status);
  });

  return app;
}

function queueId(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(text)) return undefined;
  try {
    const bytes = decodeBase64Url(text);
    return bytes.length > 0 ? bytes : undefined;
  } catch {
    return undefined;
  }
}
