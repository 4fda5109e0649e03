/**
 * Issue #17: the set-up an operator follows from the README works as written: a relay set up
 * without a control port gets one with `simplex relay control-port`, and `simplex admin stats`
 * then reads it; a start warns about INI lines the server does not use.
 */
import assert from "node:assert/strict";
import { Ini } from "../../core/config/ini.ts";
import { freePort, runSimplex, SIMPLEX_MAIN } from "../_util/simplex_process.ts";

const relayEnv = (dir: string) => ({ SMP_SERVER_CFG_PATH: `${dir}/etc`, SMP_SERVER_LOG_PATH: `${dir}/var` });

/** `simplex relay start`, resolved once it listens, with what it printed so far and a way to stop it. */
async function startRelay(dir: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", SIMPLEX_MAIN, "relay", "start"],
    env: { ...relayEnv(dir), NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let stdout = "";
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  while (!/Listening on port/.test(stdout)) {
    const { value, done } = await reader.read();
    if (done) break;
    stdout += value;
  }
  reader.releaseLock();
  return {
    stdout,
    /** SIGTERM, then what it printed on stderr */
    async stop(): Promise<string> {
      child.kill("SIGTERM");
      await child.status;
      await child.stdout.cancel().catch(() => {});
      return await stderr;
    },
  };
}

Deno.test("relay control-port turns the control port on after init, and admin stats reads it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "control-port-cmd-" });
  try {
    const [port, controlPort] = [freePort(), freePort()];
    const init = await runSimplex(["relay", "init", "-y", "--port", String(port)], { env: relayEnv(dir) });
    assert.equal(init.code, 0, init.stderr);
    const enable = await runSimplex(["relay", "control-port", "--port", String(controlPort)], {
      env: relayEnv(dir),
    });
    assert.equal(enable.code, 0, enable.stderr);
    assert.match(enable.stdout, new RegExp(`Control port 127\\.0\\.0\\.1:${controlPort} is on in `));
    const iniPath = `${dir}/etc/smp-server.ini`;
    assert.equal((await Deno.stat(iniPath)).mode! & 0o777, 0o600);
    const ini = Ini.parse(await Deno.readTextFile(iniPath));
    assert.equal(ini.string("TRANSPORT", "control_port"), String(controlPort));
    const admin = ini.string("AUTH", "control_port_admin_password")!;
    assert.match(admin, /^[\w-]{32}$/);
    // a second run keeps the passwords
    const again = await runSimplex(["relay", "control-port"], { env: relayEnv(dir) });
    assert.match(again.stdout, /The passwords already in \[AUTH\] stay/);
    assert.equal(
      Ini.parse(await Deno.readTextFile(iniPath)).string("AUTH", "control_port_admin_password"),
      admin,
    );

    const relay = await startRelay(dir);
    try {
      assert.match(relay.stdout, new RegExp(`Control port: 127\\.0\\.0\\.1:${controlPort}`));
      const stats = await runSimplex(["admin", "stats", "--server", `127.0.0.1:${controlPort}`, "--json"], {
        env: { SIMPLEX_ADMIN_PASSWORD: admin },
      });
      assert.equal(stats.code, 0, stats.stderr);
      assert.match(JSON.parse(stats.stdout).role, /admin/i);
    } finally {
      await relay.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("relay start warns on stderr about each INI line it will not use, and still starts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ini-warnings-" });
  try {
    const init = await runSimplex(["relay", "init", "-y", "--port", String(freePort())], {
      env: relayEnv(dir),
    });
    assert.equal(init.code, 0, init.stderr);
    const iniPath = `${dir}/etc/smp-server.ini`;
    await Deno.writeTextFile(iniPath, "\n[TRANSPRT]\nlog_tls_errors = on\n", { append: true });
    const lines = (await Deno.readTextFile(iniPath)).split("\n").length;
    const relay = await startRelay(dir);
    assert.match(relay.stdout, /Listening on port/);
    const stderr = await relay.stop();
    assert.equal(
      stderr.split("\n").filter((l) => l.startsWith("Warning:")).join("\n"),
      `Warning: ${iniPath}:${
        lines - 2
      }: unknown section [TRANSPRT] (did you mean [TRANSPORT]?); its keys are ignored`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
