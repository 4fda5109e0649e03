/**
 * Debian's Chromium, driven by playwright-core, for the tests that check pages in a real browser.
 * playwright-core is a test tool: it is pinned here, not in deno.json, so that a server never
 * fetches it (deno.json's import map and deno.lock hold what the servers use; tests/dev.lock the rest).
 */
import { type Browser, chromium } from "npm:playwright-core@1.65.1";

export type { Browser, Page, Response } from "npm:playwright-core@1.65.1";

export const CHROMIUM = "/usr/bin/chromium";

/** per browser step (launch, navigation, a round trip) */
export const BROWSER_TIMEOUT_MS = 15_000;

/** As the machine's probe starts it: headless, as root, and quiet on a closed network. */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox", // CI runs as root
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Starts Chromium with the arguments above plus `extraArgs`; says how to install it when missing. */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(
      `${CHROMIUM} is missing: "deno task test" installs it as root, or run: apt-get install chromium`,
    );
  }
  return await chromium.launch({
    executablePath: CHROMIUM,
    timeout: BROWSER_TIMEOUT_MS,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}
