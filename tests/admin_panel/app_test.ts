/** The panel app driven in process with `app.request(...)` (issue #6). */
import assert from "node:assert/strict";
import { SECURITY_HEADERS } from "../../admin/panel/app.ts";
import { LoginLimiter } from "../../admin/panel/auth.ts";
import { LiveSampler } from "../../admin/panel/samples.ts";
import {
  ADMIN_PW,
  cookiesOf,
  env,
  fakeSource,
  form,
  hiddenCsrf,
  login,
  loginAttempt,
  QUEUE,
  testPanel,
  USER_PW,
} from "./_panel.ts";

const PAGES = ["/", "/live", "/history", "/moderation", "/config", `/moderation?id=${QUEUE}`];

Deno.test("panel: every page redirects to the login page without a session; data endpoints answer 401", async () => {
  const { app } = testPanel();
  for (const path of PAGES) {
    const res = await app.request(path);
    assert.equal(res.status, 302, path);
    assert.equal(res.headers.get("Location"), "/login");
  }
  assert.equal((await app.request("/metrics")).status, 401);
  assert.equal((await app.request("/live.json")).status, 401);
  for (const action of ["block", "unblock", "delete"]) {
    const res = await app.request(
      `/moderation/${action}`,
      form({ id: QUEUE, confirm: "yes", csrf: "x" }, ""),
    );
    assert.equal(res.status, 401, action);
  }
  assert.equal((await app.request("/logout", form({ csrf: "x" }, ""))).status, 401);
});

Deno.test("panel: a forged session cookie is no session", async () => {
  const { app } = testPanel();
  const res = await app.request("/", { headers: { Cookie: "simplex_panel=forged" } });
  assert.equal(res.status, 302);
});

Deno.test("panel: security headers on every response, the login page included", async () => {
  const { app } = testPanel();
  const { cookie } = await login(app, ADMIN_PW);
  for (const path of ["/login", "/static/panel.css", "/static/live.js", "/metrics", ...PAGES]) {
    const res = await app.request(path, { headers: { Cookie: cookie } });
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) {
      assert.equal(res.headers.get(k), v, `${path} ${k}`);
    }
  }
  const csp = SECURITY_HEADERS["Content-Security-Policy"];
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
});

Deno.test("panel: pages carry no inline script or style", async () => {
  const { app } = testPanel();
  const { cookie } = await login(app, ADMIN_PW);
  for (const path of ["/login", ...PAGES]) {
    const html = await (await app.request(path, { headers: { Cookie: cookie } })).text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)/, path);
    assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/, path);
  }
});

Deno.test("panel: login sets an HttpOnly SameSite=Strict session cookie; Secure and __Host- over TLS", async () => {
  const plain = testPanel().app;
  const res = await loginAttempt(plain, USER_PW);
  assert.equal(res.status, 303);
  const session = res.headers.getSetCookie().find((c) => c.startsWith("simplex_panel="))!;
  assert.match(session, /HttpOnly/);
  assert.match(session, /SameSite=Strict/);
  assert.doesNotMatch(session, /Secure/);
  assert.ok(session.split(";")[0].length > "simplex_panel=".length + 40, "a random 256-bit id");

  const tls = testPanel({ secure: true }).app;
  const page = await tls.request("/login", {}, env());
  const csrf = hiddenCsrf(await page.text());
  const res2 = await tls.request("/login", form({ csrf, password: USER_PW }, cookiesOf(page)), env());
  assert.equal(res2.status, 303);
  const secure = res2.headers.getSetCookie().find((c) => c.startsWith("__Host-simplex_panel="))!;
  assert.match(secure, /Secure/);
  assert.match(secure, /HttpOnly/);
  assert.match(secure, /Path=\//);
});

Deno.test("panel: the login page says which password to use, and never a password", async () => {
  const hint = {
    type: "ini",
    file: "/etc/opt/simplex/smp-server.ini",
    admin: "[ADMIN] admin_password",
    user: "[AUTH] control_port_user_password",
  } as const;
  const { app } = testPanel({ loginHint: hint });
  for (const res of [await app.request("/login", {}, env()), await loginAttempt(app, "wrong")]) {
    const html = await res.text();
    assert.match(
      html.replaceAll(/<\/?code>/g, ""),
      /id="login-hint">Log in with a password from \/etc\/opt\/simplex\/smp-server\.ini: \[ADMIN\] admin_password for the admin role, or \[AUTH\] control_port_user_password for the user role/,
    );
    assert.doesNotMatch(html, new RegExp(`${ADMIN_PW}|${USER_PW}`));
  }
  const serve = testPanel({ loginHint: { type: "controlPort" } }).app;
  assert.match(
    (await (await serve.request("/login", {}, env())).text()).replaceAll(/<\/?code>/g, ""),
    /the control port password that simplex admin serve was started with/,
  );
});

Deno.test("panel: a wrong password is 401 and makes no session", async () => {
  const { app } = testPanel();
  const res = await loginAttempt(app, "wrong");
  assert.equal(res.status, 401);
  assert.match(await res.text(), /Wrong password/);
  assert.ok(!res.headers.getSetCookie().some((c) => c.startsWith("simplex_panel=")));
});

Deno.test("panel: login without the login form's CSRF token is rejected", async () => {
  const { app } = testPanel();
  const page = await app.request("/login", {}, env());
  const cookie = cookiesOf(page);
  const noToken = await app.request("/login", form({ password: ADMIN_PW }, cookie), env());
  assert.equal(noToken.status, 403);
  const wrong = await app.request("/login", form({ password: ADMIN_PW, csrf: "bad" }, cookie), env());
  assert.equal(wrong.status, 403);
  const noCookie = await app.request(
    "/login",
    form({ password: ADMIN_PW, csrf: hiddenCsrf(await page.text()) }, ""),
    env(),
  );
  assert.equal(noCookie.status, 403);
});

Deno.test("panel: failed logins are limited per source address", async () => {
  const { app } = testPanel({ loginLimiter: new LoginLimiter(3, 60_000) });
  for (let i = 0; i < 3; i++) assert.equal((await loginAttempt(app, "wrong", "192.0.2.9")).status, 401);
  const blocked = await loginAttempt(app, ADMIN_PW, "192.0.2.9");
  assert.equal(blocked.status, 429, "even the right password waits");
  assert.ok(!blocked.headers.getSetCookie().some((c) => c.startsWith("simplex_panel=")));
  assert.equal(
    (await loginAttempt(app, ADMIN_PW, "192.0.2.10")).status,
    303,
    "other addresses are not affected",
  );
});

Deno.test("panel: the limiter forgets failures after its window", () => {
  const limiter = new LoginLimiter(2, 1000);
  limiter.recordFailure("a", 0);
  limiter.recordFailure("a", 10);
  assert.equal(limiter.allows("a", 500), false);
  assert.equal(limiter.allows("a", 1011), true);
});

Deno.test("panel: overview, live, history and metrics for the user role", async () => {
  const { app } = testPanel();
  const { cookie } = await login(app, USER_PW);
  const get = async (path: string) => {
    const res = await app.request(path, { headers: { Cookie: cookie } });
    assert.equal(res.status, 200, path);
    return await res.text();
  };
  const overview = await get("/");
  assert.match(overview, /smp:\/\/AAAA@relay\.example/);
  assert.match(overview, /6\.4\.0/);
  assert.match(overview, /password-protected/);
  assert.match(overview, /<svg[^>]*class="qr"/, "the address as a QR code");
  assert.match(overview, /0d 0h 1m 3\ds/);
  assert.doesNotMatch(overview, /href="\/config"/, "no configuration link for the user role");
  const live = await get("/live");
  assert.match(live, /id="fig-0-msgCount" data-server="0" data-figure="msgCount">42</);
  assert.match(live, /src="\/static\/live.js"/);
  const json = JSON.parse(await get("/live.json"));
  assert.equal(json.servers[0].values.msgSent, 17);
  assert.equal(json.servers[0].values.clients, 3);
  const history = await get("/history");
  assert.match(history, /<svg[^>]*class="chart"/);
  assert.match(history, /2026-11-22/);
  assert.match(await get("/metrics"), /simplex_smp_queues_created 1/);
  assert.match(await get("/static/live.js"), /live\.json/);
});

Deno.test("panel: the live page charts the last hour of connections, queues and messages, drawn on the server", async () => {
  const source = fakeSource();
  const sampler = new LiveSampler([source], { intervalMs: 0 });
  const { app } = testPanel({ servers: [{ name: "this server", source }], sampler });
  const t = Date.now();
  for (const [i, sent] of [[-120, 1], [-60, 5], [-1, 9]]) {
    sampler.offer(0, {
      at: new Date(t + i * 1000),
      values: { clients: 2 + i / 60, qCount: 11, msgSent: sent },
    });
  }
  const { cookie } = await login(app, USER_PW);
  const html = await (await app.request("/live", { headers: { Cookie: cookie } })).text();
  const charts = [...html.matchAll(/<figure class="spark" id="chart-0-(\w+)"/g)].map((m) => m[1]);
  assert.deepEqual(charts, ["clients", "qCount", "msgSent", "msgRecv"]);
  const line = (key: string) =>
    new RegExp(`id="chart-0-${key}"[\\s\\S]*?<polyline class="spark-line" points="([^"]*)"`).exec(html)![1];
  assert.equal(line("clients").split(" ").length, 4, "three readings and the one the page made");
  assert.match(html, /Connected clients: <\/span><span class="spark-caption">0 to 3, last 2 min<\/span>/);
  assert.match(
    html,
    /Messages sent per minute: <\/span><span class="spark-caption">up to [\d.]+\/min, last 2 min/,
  );
  const json = JSON.parse(await (await app.request("/live.json", { headers: { Cookie: cookie } })).text());
  assert.equal(
    json.servers[0].charts.qCount.caption,
    "11, last 2 min",
    "the script redraws from the same points",
  );
  assert.match(json.servers[0].charts.msgSent.points, /^[\d.]+,[\d.]+( [\d.]+,[\d.]+)+$/);
});

Deno.test("panel: the history page shows today's figures so far, marked as partial", async () => {
  const source = fakeSource();
  const midnight = new Date(new Date().toISOString().slice(0, 10) + "T00:00:00Z");
  const live = source.live;
  source.live = async () => ({ ...await live(), fromTime: midnight });
  const { app } = testPanel({ servers: [{ name: "this server", source }] });
  const { cookie } = await login(app, USER_PW);
  const html = await (await app.request("/history", { headers: { Cookie: cookie } })).text();
  const today = /<tr class="partial" id="today-0">([\s\S]*?)<\/tr>/.exec(html)?.[1] ?? "";
  assert.match(
    today,
    new RegExp(`${midnight.toISOString().slice(0, 10)} <small>\\(today so far, partial: 00:00 to`),
  );
  assert.deepEqual([...today.matchAll(/<td>(\d+)<\/td>/g)].map((m) => Number(m[1])), [17, 5, 0, 11, 42]);
  assert.match(html, /<g class="partial"><title>[^<]*\(today so far\)/, "today's bars are drawn apart");
  assert.match(html, /2026-11-22/, "after the logged days");
});

Deno.test("panel: today's row counts from the panel's first reading when the counters began before midnight", async () => {
  const { app } = testPanel();
  const { cookie } = await login(app, USER_PW);
  const html = await (await app.request("/history", { headers: { Cookie: cookie } })).text();
  const today = /<tr class="partial" id="today-0">([\s\S]*?)<\/tr>/.exec(html)?.[1] ?? "";
  assert.deepEqual(
    [...today.matchAll(/<td>(\d+)<\/td>/g)].map((m) => Number(m[1])),
    [0, 0, 0, 11, 42],
    "nothing counted yet since the first reading; the gauges as they are",
  );
});

Deno.test("panel: the configuration page is admin-only and masks secrets", async () => {
  const { app } = testPanel();
  const user = await login(app, USER_PW);
  assert.equal((await app.request("/config", { headers: { Cookie: user.cookie } })).status, 403);
  const admin = await login(app, ADMIN_PW);
  const res = await app.request("/config", { headers: { Cookie: admin.cookie } });
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /control_port_admin_password/);
  assert.doesNotMatch(html, new RegExp(ADMIN_PW));
  assert.match(html, /\*\*\*\*\*\*\*\*/);
  assert.match(
    html,
    /<code class="ini-path">\/etc\/opt\/simplex\/smp-server\.ini<\/code>/,
    "the file's path",
  );
  assert.deepEqual([...html.matchAll(/<h3[^>]*>\[(\w+)\]<\/h3>/g)].map((m) => m[1]), ["AUTH", "STORE_LOG"]);
});

Deno.test("panel: /metrics takes a bearer token when one is configured", async () => {
  const { app } = testPanel({ metricsToken: "scrape-token" });
  const ok = await app.request("/metrics", { headers: { Authorization: "Bearer scrape-token" } });
  assert.equal(ok.status, 200);
  assert.match(await ok.text(), /simplex_smp_queues_created/);
  const bad = await app.request("/metrics", { headers: { Authorization: "Bearer nope" } });
  assert.equal(bad.status, 401);
});

Deno.test("panel: look up, then block with a reason only after confirming, then unblock", async () => {
  const { app, source } = testPanel();
  const { cookie, csrf } = await login(app, USER_PW);
  const lookup = await (await app.request(`/moderation?id=${QUEUE}`, { headers: { Cookie: cookie } })).text();
  assert.match(lookup, /Status: <strong>active/);
  const confirm = await app.request(
    "/moderation/block",
    form({ csrf, id: QUEUE, reason: "content" }, cookie),
  );
  assert.equal(confirm.status, 200);
  const confirmHtml = await confirm.text();
  assert.match(confirmHtml, /name="confirm" value="yes"/);
  assert.match(confirmHtml, /name="reason" value="content"/);
  assert.deepEqual(source.calls, [], "nothing happens before confirmation");
  const done = await app.request(
    "/moderation/block",
    form({ csrf, id: QUEUE, reason: "content", confirm: "yes" }, cookie),
  );
  assert.equal(done.status, 200);
  assert.match(
    await done.text(),
    /Queue blocked[\s\S]*Status: <strong>blocked<\/strong> \(reason: content\)/,
  );
  const unblocked = await app.request(
    "/moderation/unblock",
    form({ csrf, id: QUEUE, confirm: "yes" }, cookie),
  );
  assert.match(await unblocked.text(), /Queue unblocked/);
  assert.deepEqual(source.calls, ["block content", "unblock"]);
});

Deno.test("panel: after a lookup only the action that applies is offered: Block, or Unblock when blocked", async () => {
  const { app } = testPanel();
  const user = await login(app, USER_PW);
  const forms = async (cookie: string) => {
    const html = await (await app.request(`/moderation?id=${QUEUE}`, { headers: { Cookie: cookie } })).text();
    return [...html.matchAll(/<form method="post" action="\/moderation\/(\w+)"/g)].map((m) => m[1]);
  };
  assert.deepEqual(await forms(user.cookie), ["block"], "active, and the user role cannot delete a queue");
  const admin = await login(app, ADMIN_PW);
  assert.deepEqual(await forms(admin.cookie), ["block", "delete"]);
  await app.request("/moderation/block", form({ csrf: admin.csrf, id: QUEUE, confirm: "yes" }, admin.cookie));
  assert.deepEqual(await forms(admin.cookie), ["unblock", "delete"]);
  await app.request(
    "/moderation/unblock",
    form({ csrf: admin.csrf, id: QUEUE, confirm: "yes" }, admin.cookie),
  );
  assert.deepEqual(await forms(user.cookie), ["block"]);
});

Deno.test("panel: the ID box is sized for a 44-character base64url ID", async () => {
  const { app } = testPanel();
  const { cookie } = await login(app, USER_PW);
  const html = await (await app.request("/moderation", { headers: { Cookie: cookie } })).text();
  assert.match(html, /<input name="id" class="id" value="" size="44"/);
  assert.match(await (await app.request("/static/panel.css")).text(), /input\.id\{[^}]*width:46ch/);
});

Deno.test("panel: deleting a queue needs the admin role and a confirmation", async () => {
  const { app, source } = testPanel();
  const user = await login(app, USER_PW);
  const denied = await app.request(
    "/moderation/delete",
    form({ csrf: user.csrf, id: QUEUE, confirm: "yes" }, user.cookie),
  );
  assert.equal(denied.status, 403);
  const admin = await login(app, ADMIN_PW);
  const confirm = await app.request(
    "/moderation/delete",
    form({ csrf: admin.csrf, id: QUEUE }, admin.cookie),
  );
  assert.match(await confirm.text(), /Yes, delete/);
  const done = await app.request(
    "/moderation/delete",
    form({ csrf: admin.csrf, id: QUEUE, confirm: "yes" }, admin.cookie),
  );
  assert.equal(done.status, 200);
  assert.deepEqual(source.calls, ["delete"]);
  const again = await app.request(
    "/moderation/delete",
    form({ csrf: admin.csrf, id: QUEUE, confirm: "yes" }, admin.cookie),
  );
  assert.equal(again.status, 404);
});

Deno.test("panel: every POST needs the session's CSRF token", async () => {
  const { app, source } = testPanel();
  const a = await login(app, ADMIN_PW);
  const b = await login(app, ADMIN_PW);
  for (const action of ["block", "unblock", "delete"]) {
    const none = await app.request(`/moderation/${action}`, form({ id: QUEUE, confirm: "yes" }, a.cookie));
    assert.equal(none.status, 403, action);
    const other = await app.request(
      `/moderation/${action}`,
      form({ csrf: b.csrf, id: QUEUE, confirm: "yes" }, a.cookie),
    );
    assert.equal(other.status, 403, `${action} with another session's token`);
  }
  assert.equal((await app.request("/logout", form({ csrf: "bad" }, a.cookie))).status, 403);
  assert.deepEqual(source.calls, []);
});

Deno.test("panel: bad queue IDs are 400, unknown ones 'No such queue'", async () => {
  const { app } = testPanel();
  const { cookie, csrf } = await login(app, USER_PW);
  assert.equal(
    (await app.request("/moderation?id=not%20base64!", { headers: { Cookie: cookie } })).status,
    400,
  );
  const unknown = await app.request("/moderation?id=AAAA", { headers: { Cookie: cookie } });
  assert.match(await unknown.text(), /No such queue/);
  const res = await app.request("/moderation/block", form({ csrf, id: "AAAA", confirm: "yes" }, cookie));
  assert.equal(res.status, 404);
});

Deno.test("panel: logout ends the session", async () => {
  const { app } = testPanel();
  const { cookie, csrf } = await login(app, USER_PW);
  const out = await app.request("/logout", form({ csrf }, cookie));
  assert.equal(out.status, 303);
  assert.equal((await app.request("/", { headers: { Cookie: cookie } })).status, 302);
});

Deno.test("panel: regression: a second GET /login (the browser's favicon redirect) keeps the first form's token", async () => {
  const { app } = testPanel();
  const first = await app.request("/login", {}, env());
  const cookie = cookiesOf(first);
  const csrf = hiddenCsrf(await first.text());
  assert.equal((await app.request("/favicon.ico", { headers: { Cookie: cookie } })).status, 204);
  const second = await app.request("/login", { headers: { Cookie: cookie } }, env());
  assert.equal(hiddenCsrf(await second.text()), csrf);
  assert.equal((await app.request("/login", form({ csrf, password: USER_PW }, cookie), env())).status, 303);
});

Deno.test("panel: the limiter holds at most maxAddresses addresses, forgetting the oldest", () => {
  const limiter = new LoginLimiter(1, 60_000, 2);
  limiter.recordFailure("a", 0);
  limiter.recordFailure("b", 0);
  limiter.recordFailure("c", 0);
  assert.equal(limiter.allows("a", 1), true);
  assert.equal(limiter.allows("b", 1), false);
  assert.equal(limiter.allows("c", 1), false);
});
