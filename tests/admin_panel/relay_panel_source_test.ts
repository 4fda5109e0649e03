/** The panel's in-process source over a real relay: figures, moderation the client feels, masked config. */
import assert from "node:assert/strict";
import { parseDailyLog, relayConfigEntries, relayPanelSource } from "../../relay/panel_source.ts";
import { keysRead } from "./_ini_keys.ts";
import { MASKED } from "../../core/server/panel_source.ts";
import { parseRelayConfig } from "../../relay/config.ts";
import { dailyStatsLine } from "../../relay/metrics.ts";
import { RelayStats } from "../../relay/stats.ts";
import { relayGauges } from "../../relay/control_target.ts";
import { createQueue, errType, relayIdentity, startRelay, text } from "../relay/_harness.ts";

const INI =
  `[AUTH]\ncreate_password = createpw\ncontrol_port_admin_password = adminpw\n[TRANSPORT]\nhost = relay.example\nport = 5223\n[STORE_LOG]\nenable = off\n`;

Deno.test("relay panel source: overview, live figures, Prometheus text and moderation", async () => {
  const h = await startRelay();
  const config = parseRelayConfig(INI, { cfgDir: h.dir, logDir: h.dir });
  const source = relayPanelSource({ relay: h.relay, store: h.store, config, keyHash: relayIdentity.keyHash });
  try {
    const o = await source.overview();
    assert.match(o.serverAddress ?? "", /^smp:\/\/[A-Za-z0-9_-]+=*@relay\.example$/);
    assert.doesNotMatch(o.serverAddress ?? "", /createpw/);
    assert.equal(o.creation, "password");
    assert.equal(o.storage, "memory");

    const rcv = await h.connect();
    const snd = await h.connect();
    const q = await createQueue(rcv);
    assert.equal(
      (await snd.request(q.ids.sndId, { type: "SEND", notification: false, body: text("hi") })).type,
      "OK",
    );
    assert.equal((await rcv.nextEvent()).msg.type, "MSG");
    const live = await source.live();
    assert.equal(live.values.qCount, 1);
    assert.equal(live.values.msgSent, 1);
    assert.equal(live.values.clients, 2);
    assert.equal(live.values.subscriptions, 1);
    assert.match(await source.prometheus!(), /simplex_smp_queues_created 1/);

    const found = await source.lookup!(q.ids.sndId);
    assert.equal(found.type === "found" && found.status, "active");
    assert.deepEqual(await source.block(q.ids.sndId, { reason: "spam" }), { type: "done" });
    const blocked = await source.lookup!(q.ids.sndId);
    assert.deepEqual(blocked.type === "found" && blocked.blocking, { reason: "spam" });
    assert.equal(errType((await rcv.nextEvent()).msg), "BLOCKED");
    assert.equal(
      errType(await snd.request(q.ids.sndId, { type: "SEND", notification: false, body: text("x") })),
      "BLOCKED",
    );
    assert.deepEqual(await source.unblock!(q.ids.sndId), { type: "done" });
    assert.deepEqual(await source.delete(q.ids.sndId), { type: "done" });
    assert.deepEqual(await source.lookup!(q.ids.sndId), { type: "notFound" });
    assert.deepEqual(await source.block(q.ids.sndId, { reason: "spam" }), { type: "notFound" });
  } finally {
    await h.close();
  }
});

Deno.test("relay panel source: the configuration names smp-server.ini and masks every password", async () => {
  const config = parseRelayConfig(INI, { cfgDir: "/c", logDir: "/l" });
  const h = await startRelay();
  try {
    const { path, entries } = await relayPanelSource({
      relay: h.relay,
      store: h.store,
      config,
      keyHash: relayIdentity.keyHash,
    })
      .configuration!();
    assert.equal(path, "/c/smp-server.ini");
    const text = JSON.stringify(entries);
    assert.doesNotMatch(text, /createpw|adminpw/);
    const value = (key: string) => entries.find((e) => e.key === key)?.value;
    assert.equal(value("create_password"), MASKED);
    assert.equal(value("control_port_admin_password"), MASKED);
    assert.equal(value("control_port_user_password"), "(not set)");
    assert.equal(value("host"), "relay.example");
    assert.deepEqual(
      entries.filter((e) => e.section === "ADMIN"),
      [{ section: "ADMIN", key: "port", value: "(not set)" }],
      "no [ADMIN] port, no panel",
    );
  } finally {
    await h.close();
  }
});

/** An INI file that turns on every optional part, so that the relay reads every key it knows. */
const FULL_INI = `${INI}[INACTIVE_CLIENTS]\ndisconnect = on\n[WEB]\nstatic_path = /w\nhttp = 8000\n` +
  `[PROXY]\nsocks_proxy = localhost:9050\nown_server_domains = a.example,b.example\n` +
  `[ADMIN]\nport = 5225\nadmin_password = panelpw\nmetrics_token = tokenpw\n`;

Deno.test("relay panel source: the configuration page has every key the relay reads, as it reads them", () => {
  const read = keysRead(() => parseRelayConfig(FULL_INI, { cfgDir: "/c", logDir: "/l" }));
  const entries = relayConfigEntries(parseRelayConfig(FULL_INI, { cfgDir: "/c", logDir: "/l" }));
  assert.deepEqual(
    [...read].filter((k) => !entries.some((e) => `${e.section}.${e.key}` === k)),
    [],
    "keys the relay reads that the page leaves out",
  );
  const value = (section: string, key: string) =>
    entries.find((e) => e.section === section && e.key === key)?.value;
  assert.equal(value("STORE_LOG", "expire_messages_days"), "21", "a default, filled in");
  assert.equal(value("PROXY", "socks_proxy"), "localhost:9050");
  assert.equal(value("PROXY", "own_server_domains"), "a.example,b.example");
  assert.equal(value("WEB", "http"), "8000");
  assert.equal(value("ADMIN", "admin_password"), MASKED);
  assert.doesNotMatch(JSON.stringify(entries), /panelpw|tokenpw|createpw|adminpw/);
});

Deno.test("relay panel source: the daily history reads the daily stats log's lines", async () => {
  const h = await startRelay();
  try {
    const stats = new RelayStats();
    stats.inc("msgSent", 5);
    stats.inc("msgRecv", 4);
    stats.inc("qCreated", 2);
    const line = dailyStatsLine(
      { ...stats.data(), at: new Date(), activeQueues: { day: 1 }, activeQueuesNtf: { day: 0 } } as never,
      relayGauges(h.relay, h.store, []),
    );
    const [day] = parseDailyLog(`${line}\nnot a line\n`);
    assert.equal(day.day, stats.fromTime.toISOString().slice(0, 10));
    assert.deepEqual([day.values.msgSent, day.values.msgRecv, day.values.qCreated], [5, 4, 2]);
  } finally {
    await h.close();
  }
});
