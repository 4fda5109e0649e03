/**
 * Issue #17: a server command that fails prints one line that names the command, the object and
 * what to do, and exits 1 (2 only for a wrong command line). Each case runs `simplex` as a real
 * process and compares its exit code and stderr with a golden file.
 */
import { freePort, runSimplex } from "../_util/simplex_process.ts";
import { assertGolden, goldenText } from "./_golden.ts";

const relayEnv = (dir: string) => ({ SMP_SERVER_CFG_PATH: `${dir}/etc`, SMP_SERVER_LOG_PATH: `${dir}/var` });
const xftpEnv = (dir: string) => ({ XFTP_SERVER_CFG_PATH: `${dir}/etc`, XFTP_SERVER_LOG_PATH: `${dir}/var` });

async function withDir(prefix: string, f: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs `simplex ARGS` and compares what it printed on stderr, and its exit code, with `name`. */
async function golden(
  name: string,
  args: string[],
  o: { env: Record<string, string>; dir: string; ports?: number[] },
): Promise<void> {
  const r = await runSimplex(args, { env: o.env });
  await assertGolden(name, goldenText(args, r, { dir: o.dir, ports: o.ports }));
}

async function initRelay(dir: string, port: number): Promise<void> {
  const r = await runSimplex(["relay", "init", "-y", "--port", String(port)], { env: relayEnv(dir) });
  if (r.code !== 0) throw new Error(r.stderr);
}

Deno.test("golden: relay init when the relay is already set up", async () => {
  await withDir("golden-relay-", async (dir) => {
    const port = freePort();
    await initRelay(dir, port);
    await golden("relay_init_again", ["relay", "init", "-y"], { env: relayEnv(dir), dir });
    await golden("relay_delete_without_yes", ["relay", "delete"], { env: relayEnv(dir), dir });
    await golden("relay_quick_start_with_options", ["relay", "--fqdn", "smp.example.com"], {
      env: relayEnv(dir),
      dir,
    });
  });
});

Deno.test("golden: relay start without a configuration, and with a bad option", async () => {
  await withDir("golden-relay-", async (dir) => {
    await golden("relay_start_unconfigured", ["relay", "start"], { env: relayEnv(dir), dir });
    await golden("relay_init_bad_option", ["relay", "init", "--frob"], { env: relayEnv(dir), dir });
  });
});

Deno.test("golden: relay start on a port another program holds", async () => {
  await withDir("golden-relay-", async (dir) => {
    const holder = Deno.listen({ hostname: "0.0.0.0", port: 0 });
    try {
      const port = holder.addr.port;
      await initRelay(dir, port);
      await golden("relay_start_port_in_use", ["relay", "start"], { env: relayEnv(dir), dir, ports: [port] });
    } finally {
      holder.close();
    }
  });
});

Deno.test("golden: relay start with a misspelt value in the INI file", async () => {
  await withDir("golden-relay-", async (dir) => {
    await initRelay(dir, freePort());
    const ini = `${dir}/etc/smp-server.ini`;
    await Deno.writeTextFile(
      ini,
      (await Deno.readTextFile(ini)).replace("new_queues = on", "new_queues = onn"),
    );
    await golden("relay_start_bad_ini_value", ["relay", "start"], { env: relayEnv(dir), dir });
  });
});

Deno.test("golden: xftp-server init when already set up, and delete without -y", async () => {
  await withDir("golden-xftp-server-", async (dir) => {
    const init = ["xftp-server", "init", "-p", `${dir}/files`, "-q", "1gb", "--port", String(freePort())];
    const r = await runSimplex(init, { env: xftpEnv(dir) });
    if (r.code !== 0) throw new Error(r.stderr);
    await golden("xftp_server_init_again", ["xftp-server", "init", "-p", `${dir}/files`, "-q", "1gb"], {
      env: xftpEnv(dir),
      dir,
    });
    await golden("xftp_server_delete_without_yes", ["xftp-server", "delete"], { env: xftpEnv(dir), dir });
  });
});

Deno.test("golden: relay start with a damaged online certificate, and cert without ca.key", async () => {
  await withDir("golden-relay-", async (dir) => {
    await initRelay(dir, freePort());
    await Deno.writeTextFile(`${dir}/etc/server.crt`, "not a certificate\n");
    await golden("relay_start_damaged_certificate", ["relay", "start"], { env: relayEnv(dir), dir });
    await Deno.rename(`${dir}/etc/ca.key`, `${dir}/ca.key.offline`);
    await golden("relay_cert_without_ca_key", ["relay", "cert"], { env: relayEnv(dir), dir });
  });
});
