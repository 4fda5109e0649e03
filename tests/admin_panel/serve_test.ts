/** Starting the panel beside a server, as the `[ADMIN]` section configures it. */
import { ListenError } from "../../core/server/listen.ts";
import assert from "node:assert/strict";
import { startPanel } from "../../admin/panel/serve.ts";
import { fakeSource } from "./_panel.ts";

const servers = () => [{ name: "this server", source: fakeSource() }];

Deno.test("startPanel: refuses to serve without a password", async () => {
  await assert.rejects(() => startPanel({ port: 0 }, servers()), /admin_password or user_password/);
});

Deno.test("startPanel: listens on 127.0.0.1 by default and serves the login page with its headers", async () => {
  const panel = await startPanel({ port: 0, userPassword: "pw" }, servers());
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

Deno.test("startPanel: a port in use is an error, not a crash", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    await assert.rejects(
      async () => await startPanel({ port: (l.addr as Deno.NetAddr).port, userPassword: "pw" }, servers()),
      ListenError,
    );
  } finally {
    l.close();
  }
});
