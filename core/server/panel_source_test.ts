import assert from "node:assert/strict";
import { Ini, IniError } from "../config/ini.ts";
import {
  formatBytes,
  formatOverview,
  HISTORY,
  LIVE_FIGURES,
  liveValues,
  type PanelOverview,
  parseOverview,
  parsePanelConfig,
} from "./panel_source.ts";

const panel = (text: string, control = {}) => parsePanelConfig(Ini.parse(text, "s.ini"), control);

Deno.test("[ADMIN]: off without a port; bind 127.0.0.1 and the control port's passwords by default", () => {
  assert.equal(panel("[ADMIN]\n# port = 5225\n"), undefined);
  assert.deepEqual(panel("[ADMIN]\nport = 5225\n", { admin: "a", user: "u" }), {
    port: 5225,
    hostname: "127.0.0.1",
    adminPassword: "a",
    userPassword: "u",
    metricsToken: undefined,
    certFile: undefined,
    keyFile: undefined,
    loginHint: {
      type: "ini",
      file: "s.ini",
      admin: "[AUTH] control_port_admin_password",
      user: "[AUTH] control_port_user_password",
    },
  });
  const own = panel("[ADMIN]\nport = 1\nbind = 0.0.0.0\nadmin_password = x\nmetrics_token = t\n", {
    admin: "a",
  });
  assert.equal(own?.adminPassword, "x");
  assert.equal(own?.hostname, "0.0.0.0");
  assert.equal(own?.metricsToken, "t");
  assert.deepEqual(
    own?.loginHint,
    { type: "ini", file: "s.ini", admin: "[ADMIN] admin_password", user: undefined },
    "the login page names the key that set each password, never the password",
  );
});

Deno.test("[ADMIN]: no password, half a certificate or a bad port are errors that name the file", () => {
  assert.throws(
    () => panel("[ADMIN]\nport = 5225\n"),
    (e) => e instanceof IniError && /s\.ini.*no password/.test(e.message),
  );
  assert.throws(
    () => panel("[ADMIN]\nport = 5225\ncert = c.pem\n", { admin: "a" }),
    /cert and key go together/,
  );
  assert.throws(() => panel("[ADMIN]\nport = 70000\n", { admin: "a" }), /out of range/);
});

Deno.test("overview lines: round trip; the password-free address gives the fingerprint; junk is left out", () => {
  const o: PanelOverview = {
    kind: "xftp",
    version: "0.1.0",
    startedAt: new Date("2026-11-23T10:00:00.000Z"),
    serverAddress: "xftp://AbC-_1=@files.example:8443",
    fingerprint: "AbC-_1=",
    storage: "persistent",
    creation: "password",
    storageQuota: 1 << 30,
  };
  assert.deepEqual(parseOverview("xftp", formatOverview(o)), o);
  assert.deepEqual(parseOverview("smp", ["version: 1", "storage: floppy", "startedAt: never", "garbage"]), {
    kind: "smp",
    version: "1",
    startedAt: undefined,
    serverAddress: undefined,
    fingerprint: undefined,
    storage: undefined,
    creation: undefined,
    storageQuota: undefined,
  });
});

Deno.test("liveValues: every figure of the kind, from the control port's names", () => {
  const v = liveValues("smp", {
    counters: { qCount: 3, msgCount: 2, msgSent: 9 },
    proxy: { pRelays: { requests: 4 } },
    clients: 5,
    subscriptions: 1,
  });
  assert.deepEqual(Object.keys(v), LIVE_FIGURES.smp.map((f) => f.key));
  assert.deepEqual(
    [v.qCount, v.msgCount, v.msgSent, v.proxyRequests, v.clients, v.subscriptions, v.qCreated],
    [
      3,
      2,
      9,
      4,
      5,
      1,
      0,
    ],
  );
  assert.equal(liveValues("xftp", { counters: { filesSize: 10 }, clients: 2 }).filesSize, 10);
});

Deno.test("formatBytes: binary multiples", () => {
  assert.deepEqual([0, 1023, 1536, 65536, 5 * 2 ** 30].map(formatBytes), [
    "0 B",
    "1023 B",
    "1.5 KB",
    "64 KB",
    "5.0 GB",
  ]);
});

Deno.test("HISTORY: every column is a live figure, so that today's row can be read from the live figures", () => {
  for (const kind of ["smp", "xftp"] as const) {
    const live = LIVE_FIGURES[kind].map((f) => f.key);
    assert.deepEqual(HISTORY[kind].filter((f) => !live.includes(f.key)), [], kind);
    assert.ok(
      LIVE_FIGURES[kind].some((f) => f.chart === "level") &&
        LIVE_FIGURES[kind].some((f) => f.chart === "rate"),
    );
  }
});
