/**
 * Issue #6 end to end: `simplex relay start` runs as its own process with `[ADMIN]` in its INI
 * file; Debian's Chromium logs in to the panel that process serves, watches the live figures change
 * while a client sends, and blocks the queue; the client then gets ERR BLOCKED. `simplex admin
 * stats` against the same relay's control port prints the figures the panel shows. Leaves a
 * screenshot of the overview in .test-output/admin-overview.png.
 */
import assert from "node:assert/strict";
import { BROWSER_TIMEOUT_MS, launchChromium } from "../_util/chromium.ts";
import { encodeBase64Url } from "../../core/encoding/base64.ts";
import { connectSmp } from "../../core/smp/connect.ts";
import { runAdminCommand } from "../../admin/cli.ts";
import { createQueue, errType, text } from "../relay/_harness.ts";
import { freePort, runRelayCli, spawnRelay } from "../relay/_process.ts";

const SCREENSHOT = new URL("../../.test-output/admin-overview.png", import.meta.url);

Deno.test("Chromium: log in, see the live figures change, block a queue and the client gets ERR BLOCKED", async () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const dir = await Deno.makeTempDir({ prefix: "panel-e2e-" });
    cleanups.push(() => Deno.remove(dir, { recursive: true }));
    const [port, controlPort, panelPort] = [freePort(), freePort(), freePort()];
    const init = await runRelayCli(dir, [
      "init",
      "-y",
      "--no-password",
      "--port",
      String(port),
      `--control-port=${controlPort}`,
    ]);
    assert.equal(init.code, 0, init.stderr);
    // the operator's edit: the panel on, with its own passwords
    const ini = `${dir}/etc/smp-server.ini`;
    await Deno.writeTextFile(
      ini,
      `${await Deno.readTextFile(
        ini,
      )}\n[ADMIN]\nport = ${panelPort}\nadmin_password = admin-pw\nuser_password = user-pw\n`,
    );
    const controlPassword = /^control_port_admin_password = (\S+)$/m.exec(await Deno.readTextFile(ini))![1];
    const relay = await spawnRelay(dir);
    cleanups.push(() => relay.kill());
    assert.ok(relay.output.includes(`Web panel: http://127.0.0.1:${panelPort}/`), relay.output.join("\n"));
    const origin = `http://127.0.0.1:${panelPort}`;

    const rcv = await connectSmp(relay.address);
    const snd = await connectSmp(relay.address);
    cleanups.push(() => rcv.close(), () => snd.close());
    const q = await createQueue(rcv);

    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 900, height: 600 } });
    page.setDefaultTimeout(BROWSER_TIMEOUT_MS);
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));

    await page.goto(`${origin}/`);
    assert.match(page.url(), /\/login$/);
    await page.fill("input[name=password]", "user-pw");
    await Promise.all([page.waitForURL(`${origin}/`), page.click("button[type=submit]")]);
    await page.locator(".address").waitFor();
    assert.match(await page.locator(".address").textContent() ?? "", /^smp:\/\//);
    await Deno.mkdir(new URL(".", SCREENSHOT), { recursive: true });
    assert.ok(await page.locator(".address svg.qr").isVisible(), "the QR code of the address");
    await page.screenshot({ path: SCREENSHOT.pathname, fullPage: true });

    await page.goto(`${origin}/live`);
    assert.equal(await page.locator("#fig-0-msgSent").textContent(), "0");
    assert.equal(await page.locator("#fig-0-qCount").textContent(), "1");
    assert.equal(
      (await snd.request(q.ids.sndId, { type: "SEND", notification: false, body: text("hi") })).type,
      "OK",
    );
    assert.equal((await rcv.nextEvent()).msg.type, "MSG");
    // the page's script refreshes the figures without a reload
    await page.locator("#fig-0-msgSent", { hasText: /^1$/ }).waitFor();

    // `simplex admin stats` over the control port prints the figures the panel shows
    const live = await page.evaluate(async () => await (await fetch("/live.json")).json());
    const printed: string[] = [];
    const code = await runAdminCommand(
      ["stats", "--server", `127.0.0.1:${controlPort}`, "--password", controlPassword, "--json"],
      {
        out: (t) => printed.push(t),
        err: (t) => printed.push(t),
        env: () => undefined,
        promptPassword: () => Promise.resolve(undefined),
      },
    );
    assert.equal(code, 0, printed.join("\n"));
    const stats = JSON.parse(printed.join("\n"));
    assert.deepEqual(stats.figures, live.servers[0].values);
    assert.equal(stats.figures.msgSent, 1);
    assert.equal(stats.figures.clients, 2);

    await page.goto(`${origin}/moderation?id=${encodeBase64Url(q.ids.sndId)}`);
    assert.match(await page.locator("#item-status").textContent() ?? "", /active/);
    await page.selectOption("select[name=reason]", "spam");
    await page.click("form[action='/moderation/block'] button");
    await page.click("#confirm");
    await page.locator("text=Queue blocked.").waitFor();
    assert.match(await page.locator("#item-status").textContent() ?? "", /blocked \(reason: spam\)/);

    assert.equal(errType((await rcv.nextEvent()).msg), "BLOCKED");
    const sent = await snd.request(q.ids.sndId, { type: "SEND", notification: false, body: text("x") });
    assert.equal(errType(sent), "BLOCKED");
    assert.deepEqual(problems, [], "no script errors or CSP violations");
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
});
