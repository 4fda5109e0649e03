/** Starting the panel beside a server, as the `[ADMIN]` section configures it. */
import assert from "node:assert/strict";
import { startPanel } from "../../admin/panel/serve.ts";
import { fakeSource } from "./_panel.ts";

Deno.test("startPanel: refuses to serve without a password", () => {
  assert.throws(() => startPanel({ port: 0 }, fakeSource()), /admin_password or user_password/);
});

Deno.test("startPanel: listens on 127.0.0.1 by default and serves the login page with its headers", async () => {
  const panel = startPanel({ port: 0, userPassword: "pw" }, fakeSource());
  try {
    assert.equal(panel.hostname, "127.0.0.1");
    const res = await fetch(`http://127.0.0.1:${panel.port}/`, { redirect: "manual" });
    await res.body?.cancel();
    assert.equal(res.status, 302);
    assert.equal(res.headers.get("X-Frame-Options"), "DENY");
  } finally {
    await panel.close();
  }
});
