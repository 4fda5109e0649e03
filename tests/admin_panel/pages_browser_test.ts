/**
 * Issue #17 in Chromium: the panel a relay runs, at a desktop's width and at a phone's (390 px),
 * after some real traffic. Each page shows what the issue asked for (the login page's hint, the live
 * charts and their refresh, today's partial history, the one applicable moderation action, the
 * configuration's path and sections) and nothing pushes the phone's page sideways. Screenshots go
 * to .test-output/admin-<page>-<desktop|phone>.png.
 */
import assert from "node:assert/strict";
import { BROWSER_TIMEOUT_MS, launchChromium, type Page } from "../_util/chromium.ts";
import { encodeBase64Url } from "../../core/encoding/base64.ts";
import type { SmpClient } from "../../core/smp/client.ts";
import { createQueue, type TestQueue, text } from "../relay/_harness.ts";
import { ADMIN_PASSWORD, startTestRelay } from "../admin_cli/_servers.ts";

const OUTPUT = new URL("../../.test-output/", import.meta.url);
const SECTIONS = [
  "INFORMATION",
  "STORE_LOG",
  "AUTH",
  "TRANSPORT",
  "PROXY",
  "INACTIVE_CLIENTS",
  "WEB",
  "ADMIN",
];

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
const send = (snd: SmpClient, q: TestQueue, body: string) =>
  snd.request(q.ids.sndId, { type: "SEND", notification: false, body: text(body) });

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: new URL(`admin-${name}.png`, OUTPUT).pathname, fullPage: true });
}

/** Nothing is wider than the window: no sideways scrolling. */
async function assertNoOverflow(page: Page, what: string): Promise<void> {
  // a string: the test is type-checked without the DOM's types
  const [scroll, width] = await page.evaluate(
    "[document.documentElement.scrollWidth, innerWidth]",
  ) as number[];
  assert.ok(scroll <= width, `${what}: the page is ${scroll} px wide in a ${width} px window`);
}

/** The polyline's point count of each chart on the live page. */
const chartPoints = (page: Page): Promise<Record<string, number>> =>
  page.$$eval("figure[data-chart]", (els) =>
    Object.fromEntries(els.map((el) => [
      el.getAttribute("data-chart"),
      (el.querySelector("polyline")?.getAttribute("points") ?? "").split(" ").filter(Boolean).length,
    ])));

Deno.test("Chromium, desktop and 390 px: login hint, live charts, today's history, moderation, configuration", async () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    await Deno.mkdir(OUTPUT, { recursive: true });
    const relay = await startTestRelay({ panel: true, sampleIntervalMs: 200 });
    cleanups.push(() => relay.close());
    const origin = relay.panelOrigin!;

    // a few seconds of traffic for the charts to draw: connections, queues and messages growing
    const trafficDay = new Date().toISOString().slice(0, 10);
    const rcv = await relay.connect(), snd = await relay.connect();
    const queues: TestQueue[] = [];
    for (let i = 0; i < 12; i++) {
      if (i % 3 === 0) queues.push(await createQueue(rcv));
      if (i === 4 || i === 8) await relay.connect();
      for (let k = 0; k < i % 4; k++) {
        assert.equal((await send(snd, queues.at(-1)!, `m${i}.${k}`)).type, "OK");
      }
      await delay(250);
    }

    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    const problems: string[] = [];
    const open = async (width: number, height: number) => {
      const page = await (await browser.newContext({ viewport: { width, height } })).newPage();
      page.setDefaultTimeout(BROWSER_TIMEOUT_MS);
      page.on("pageerror", (e) => problems.push(e.message));
      page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
      return page;
    };

    for (const [device, width, height] of [["desktop", 1000, 700], ["phone", 390, 844]] as const) {
      const page = await open(width, height);
      const check = async (name: string) => {
        if (device === "phone") await assertNoOverflow(page, name);
        await shot(page, `${name}-${device}`);
      };

      await page.goto(`${origin}/login`);
      const hint = await page.locator("#login-hint").textContent() ?? "";
      assert.match(
        hint,
        /a password from \/.*\/smp-server\.ini: \[AUTH\] control_port_admin_password for the admin role/,
      );
      assert.doesNotMatch(hint, new RegExp(ADMIN_PASSWORD));
      await check("login");
      await page.fill("input[name=password]", ADMIN_PASSWORD);
      await Promise.all([page.waitForURL(`${origin}/`), page.click("button[type=submit]")]);

      const address = page.locator(".address code");
      assert.match(await address.textContent() ?? "", /^smp:\/\//);
      if (device === "phone") {
        const box = (await address.boundingBox())!;
        assert.ok(box.x + box.width <= width, "the address stays inside the screen");
        assert.ok(
          await address.evaluate((el) => el.getClientRects().length) > 1,
          "by wrapping onto more lines",
        );
      }
      await check("overview");

      await page.goto(`${origin}/live`);
      const points = await chartPoints(page);
      assert.deepEqual(Object.keys(points), ["clients", "qCount", "msgSent", "msgRecv"]);
      for (const [key, n] of Object.entries(points)) assert.ok(n >= 10, `${key}: ${n} points`);
      assert.match(
        await page.locator("#chart-0-qCount .spark-caption").textContent() ?? "",
        /^\d+ to 4, last \d+ s$/,
      );
      if (device === "desktop") {
        // the page's 2 s refresh redraws the charts with the numbers
        const before = await page.locator("#chart-0-msgSent polyline").getAttribute("points");
        for (let k = 0; k < 5; k++) await send(snd, queues[0], `late${k}`);
        await page.locator("#fig-0-msgSent", { hasText: /^23$/ }).waitFor();
        assert.notEqual(await page.locator("#chart-0-msgSent polyline").getAttribute("points"), before);
      }
      await check("live");

      await page.goto(`${origin}/history`);
      const today = page.locator("tr.partial");
      assert.match(await today.textContent() ?? "", /today so far, partial: \d\d:\d\d to \d\d:\d\d UTC/);
      // unless 00:00 UTC came since the traffic: then today has counted nothing yet
      if ((await today.textContent())?.startsWith(trafficDay)) {
        assert.equal(await today.locator("td").nth(1).textContent(), "23", "messages sent today");
      }
      assert.ok(await page.locator("svg.chart g.partial").isVisible(), "today's bars");
      await check("history");

      // desktop blocks the first queue; the phone looks at the second, still active
      const queue = encodeBase64Url(queues[device === "desktop" ? 0 : 1].ids.sndId);
      await page.goto(`${origin}/moderation`);
      const idBox = page.locator("input.id");
      await idBox.fill(encodeBase64Url(new Uint8Array(32).fill(0xfb)));
      const [scroll, client] = await idBox.evaluate((el) => [el.scrollWidth, el.clientWidth]);
      if (device === "desktop") assert.ok(scroll <= client, `a 44-character ID fits (${scroll} > ${client})`);
      await idBox.fill(queue);
      await Promise.all([page.waitForURL(/id=/), page.click("form.lookup button")]);
      const actions = () =>
        page.$$eval("section.actions form", (fs) => fs.map((f) => f.getAttribute("action")));
      assert.deepEqual(await actions(), ["/moderation/block", "/moderation/delete"]);
      if (device === "desktop") {
        await page.click("form[action='/moderation/block'] button");
        await page.click("#confirm");
        await page.locator("text=Queue blocked.").waitFor();
        assert.deepEqual(await actions(), ["/moderation/unblock", "/moderation/delete"]);
      }
      await check("moderation");

      await page.goto(`${origin}/config`);
      assert.match(await page.locator("code.ini-path").textContent() ?? "", /^\/.*\/smp-server\.ini$/);
      assert.deepEqual(
        await page.$$eval("h3", (hs) => hs.map((h) => h.textContent)),
        SECTIONS.map((s) => `[${s}]`),
      );
      await check("config");
    }
    assert.deepEqual(problems, [], "no script errors or CSP violations");
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
});
