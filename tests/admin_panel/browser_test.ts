/**
 * Issue #6 end to end: Debian's Chromium logs in to the panel served beside an in-process relay,
 * watches the live figures change while a client sends, and blocks the queue; the client then gets
 * ERR BLOCKED. Leaves a screenshot of the overview in .test-output/admin-overview.png.
 */
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { relayPanelSource } from "../../admin/panel/relay_source.ts";
import { startPanel } from "../../admin/panel/serve.ts";
import { encodeBase64Url } from "../../core/encoding/base64.ts";
import { parseRelayConfig } from "../../relay/config.ts";
import { createQueue, errType, relayIdentity, startRelay, text } from "../relay/_harness.ts";

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOT = new URL("../../.test-output/admin-overview.png", import.meta.url);
const TIMEOUT_MS = 15_000;
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox", // CI runs as root
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

Deno.test("Chromium: log in, see the live figures change, block a queue and the client gets ERR BLOCKED", async () => {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)`);
  }
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const h = await startRelay();
    cleanups.push(() => Deno.remove(h.dir, { recursive: true }), () => h.close());
    const config = parseRelayConfig(
      `[TRANSPORT]\nhost = 127.0.0.1\nport = ${h.port}\n[STORE_LOG]\nenable = off\n`,
      {
        cfgDir: h.dir,
        logDir: h.dir,
      },
    );
    const source = relayPanelSource({
      relay: h.relay,
      store: h.store,
      config,
      keyHash: relayIdentity.keyHash,
    });
    const panel = startPanel({ port: 0, adminPassword: "admin-pw", userPassword: "user-pw" }, source);
    cleanups.push(() => panel.close());
    const origin = `http://127.0.0.1:${panel.port}`;

    const rcv = await h.connect();
    const snd = await h.connect();
    const q = await createQueue(rcv);

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      timeout: TIMEOUT_MS,
      args: CHROMIUM_ARGS,
    });
    cleanups.push(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 900, height: 600 } });
    page.setDefaultTimeout(TIMEOUT_MS);
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));

    await page.goto(`${origin}/`);
    assert.match(page.url(), /\/login$/);
    await page.fill("input[name=password]", "user-pw");
    await Promise.all([page.waitForURL(`${origin}/`), page.click("button[type=submit]")]);
    await page.locator("#address").waitFor();
    assert.match(await page.locator("#address").textContent() ?? "", /^smp:\/\//);
    await Deno.mkdir(new URL(".", SCREENSHOT), { recursive: true });
    assert.ok(await page.locator("#address svg.qr").isVisible(), "the QR code of the address");
    await page.screenshot({ path: SCREENSHOT.pathname, fullPage: true });

    await page.goto(`${origin}/live`);
    assert.equal(await page.locator("#fig-msgSent").textContent(), "0");
    assert.equal(await page.locator("#fig-queues").textContent(), "1");
    assert.equal(
      (await snd.request(q.ids.sndId, { type: "SEND", notification: false, body: text("hi") })).type,
      "OK",
    );
    assert.equal((await rcv.nextEvent()).msg.type, "MSG");
    // the page's script refreshes the figures without a reload
    await page.locator("#fig-msgSent", { hasText: /^1$/ }).waitFor();

    await page.goto(`${origin}/queues?id=${encodeBase64Url(q.ids.sndId)}`);
    assert.match(await page.locator("#queue-status").textContent() ?? "", /active/);
    await page.selectOption("select[name=reason]", "spam");
    await page.click("form[action='/queues/block'] button");
    await page.click("#confirm");
    await page.locator("text=Queue blocked.").waitFor();
    assert.match(await page.locator("#queue-status").textContent() ?? "", /blocked \(reason: spam\)/);

    assert.equal(errType((await rcv.nextEvent()).msg), "BLOCKED");
    const sent = await snd.request(q.ids.sndId, { type: "SEND", notification: false, body: text("x") });
    assert.equal(errType(sent), "BLOCKED");
    assert.deepEqual(problems, [], "no script errors or CSP violations");
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
});
