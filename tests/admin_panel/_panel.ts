/** A panel over a scripted source, and a client that logs in through the login form like a browser. */
import { panelApp, type PanelOptions } from "../../admin/panel/app.ts";
import type { ItemAction, ItemLookup, PanelSource } from "../../core/server/panel_source.ts";
import type { BlockingInfo } from "../../core/smp/errors.ts";
import { encodeBase64Url } from "../../core/encoding/base64.ts";

export const ADMIN_PW = "admin-secret";
export const USER_PW = "user-secret";
export const QUEUE_ID = new Uint8Array(24).fill(7);
export const QUEUE = encodeBase64Url(QUEUE_ID);

/** One queue, whose status the actions change, and a record of the calls. */
export function fakeSource(): PanelSource & { calls: string[] } {
  const calls: string[] = [];
  let status: ItemLookup = { type: "found", status: "active" };
  const known = (id: Uint8Array) => encodeBase64Url(id) === QUEUE;
  const act = (id: Uint8Array, name: string, next?: ItemLookup): ItemAction => {
    calls.push(name);
    if (!known(id) || status.type === "notFound") return { type: "notFound" };
    if (next) status = next;
    return { type: "done" };
  };
  return {
    calls,
    kind: "smp",
    overview: () => ({
      kind: "smp",
      version: "6.4.0",
      startedAt: new Date(Date.now() - 90_000),
      serverAddress: "smp://AAAA@relay.example",
      fingerprint: "AAAA",
      storage: "persistent",
      creation: "password",
    }),
    live: () => ({
      at: new Date(),
      fromTime: new Date(0),
      values: { clients: 3, qCount: 11, msgCount: 42, subscriptions: 2, msgSent: 17, msgRecv: 5 },
    }),
    history: () => [
      { day: "2026-11-21", values: { qCreated: 1, msgSent: 10, msgRecv: 8, qCount: 5, msgCount: 2 } },
      { day: "2026-11-22", values: { qCreated: 2, msgSent: 30, msgRecv: 25, qCount: 7, msgCount: 5 } },
    ],
    lookup: (id) => known(id) ? status : { type: "notFound" },
    block: (id, info: BlockingInfo) =>
      act(id, `block ${info.reason}`, { type: "found", status: "blocked", blocking: info }),
    unblock: (id) => act(id, "unblock", { type: "found", status: "active" }),
    delete: (id) => act(id, "delete", { type: "notFound" }),
    configuration: () => ({
      path: "/etc/opt/simplex/smp-server.ini",
      entries: [
        { section: "AUTH", key: "control_port_admin_password", value: "********" },
        { section: "STORE_LOG", key: "enable", value: "on" },
      ],
    }),
    prometheus: () => "# HELP simplex_smp_queues_created\nsimplex_smp_queues_created 1\n",
  };
}

export function testPanel(options: Partial<PanelOptions> = {}) {
  const source = fakeSource();
  const app = panelApp({
    servers: [{ name: "this server", source }],
    passwords: { admin: ADMIN_PW, user: USER_PW },
    ...options,
  });
  return { app, source };
}

type App = ReturnType<typeof testPanel>["app"];

/** `name=value` of each Set-Cookie, for a Cookie header. */
export function cookiesOf(res: Response): string {
  return res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
}

export function hiddenCsrf(html: string): string {
  const m = html.match(/name="csrf" value="([^"]+)"/);
  if (!m) throw new Error("no CSRF field");
  return m[1];
}

export const env = (address = "192.0.2.1") => ({
  remoteAddr: { hostname: address, port: 1, transport: "tcp" },
});

export function form(fields: Record<string, string>, cookie: string): RequestInit {
  return {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: cookie },
    body: new URLSearchParams(fields).toString(),
  };
}

export async function loginAttempt(app: App, password: string, address?: string): Promise<Response> {
  const page = await app.request("/login", {}, env(address));
  const csrf = hiddenCsrf(await page.text());
  return await app.request("/login", form({ csrf, password }, cookiesOf(page)), env(address));
}

/** A logged-in session: its cookie and CSRF token. */
export async function login(app: App, password: string): Promise<{ cookie: string; csrf: string }> {
  const res = await loginAttempt(app, password);
  if (res.status !== 303) throw new Error(`login failed: ${res.status}`);
  const cookie = cookiesOf(res).split("; ").filter((c) => c.startsWith("simplex_panel=")).join("; ");
  const page = await app.request("/moderation", { headers: { Cookie: cookie } });
  return { cookie, csrf: hiddenCsrf(await page.text()) };
}
