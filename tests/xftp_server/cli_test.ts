/** `simplex xftp-server` run as a real process: init, start, cert, delete. */
import assert from "node:assert/strict";
import { TestClient } from "./_client.ts";

import { freePort, runSimplex, SIMPLEX_MAIN as MAIN } from "../_util/simplex_process.ts";

function env(dir: string) {
  return { XFTP_SERVER_CFG_PATH: `${dir}/etc`, XFTP_SERVER_LOG_PATH: `${dir}/var` };
}

function run(dir: string, ...args: string[]) {
  return runSimplex(["xftp-server", ...args], { env: env(dir) });
}

Deno.test("init writes the identity and a private INI, and refuses to run twice", async () => {
  const dir = await Deno.makeTempDir({ prefix: "xftp-cli-" });
  const r = await run(dir, "init", "-p", `${dir}/files`, "-q", "1gb", "--port", "8443");
  assert.equal(r.code, 0, r.stderr);
  const fp = (await Deno.readTextFile(`${dir}/etc/fingerprint`)).trim();
  assert.match(
    r.stdout,
    new RegExp(`Server address: xftp://${fp.replace(/[-=]/g, "\\$&")}@127\\.0\\.0\\.1:8443`),
  );
  for (const f of ["ca.key", "ca.crt", "server.key", "server.crt", "file-server.ini"]) {
    await Deno.stat(`${dir}/etc/${f}`);
  }
  assert.equal((await Deno.stat(`${dir}/etc/file-server.ini`)).mode! & 0o777, 0o600);
  const ini = await Deno.readTextFile(`${dir}/etc/file-server.ini`);
  assert.match(ini, /storage_quota = 1gb/);
  assert.match(ini, /enable = on/);
  const again = await run(dir, "init", "-p", `${dir}/files`, "-q", "1gb");
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already set up/);
  const missing = await run(await Deno.makeTempDir(), "init", "-q", "1gb");
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--path/);
});

Deno.test("start serves XFTP until SIGTERM; cert keeps the fingerprint; delete removes everything", async () => {
  const dir = await Deno.makeTempDir({ prefix: "xftp-cli-" });
  const port = freePort();
  assert.equal((await run(dir, "init", "-p", `${dir}/files`, "-q", "1gb", "--port", String(port))).code, 0);
  const fp = (await Deno.readTextFile(`${dir}/etc/fingerprint`)).trim();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, "xftp-server", "start"],
    env: env(dir),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  while (!output.includes("Listening on port")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited: ${output}`);
    output += value;
  }
  assert.match(output, new RegExp(`Fingerprint: ${fp.replace(/[-=]/g, "\\$&")}`));
  const c = await TestClient.connect(port);
  await c.handshake();
  assert.equal((await c.command({ type: "PING" })).response.type, "PONG");
  await c.close();
  child.kill("SIGTERM");
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    output += value;
  }
  const status = await child.status;
  await child.stderr.cancel();
  assert.equal(status.code, 0);
  assert.match(output, /Server stopped/);

  const cert = await run(dir, "cert");
  assert.equal(cert.code, 0, cert.stderr);
  assert.match(cert.stdout, new RegExp(fp.replace(/[-=]/g, "\\$&")));
  const del = await run(dir, "delete");
  assert.equal(del.code, 1);
  assert.equal((await run(dir, "delete", "-y")).code, 0);
  await assert.rejects(() => Deno.stat(`${dir}/etc`));
});
