/**
 * Issue #17: `simplex admin` that fails prints one line that names the command, the control port
 * and what to do, and exits 1; a wrong command line is one line that points to --help, exit 2.
 * Each case runs `simplex` as a real process (against servers this test runs) and compares its
 * exit code and stderr with a golden file.
 */
import { freePort, runSimplex } from "../_util/simplex_process.ts";
import { assertGolden, goldenText } from "./_golden.ts";
import { startTestRelay, startTestXftp, USER_PASSWORD } from "../admin_cli/_servers.ts";

/** Runs `simplex ARGS` and compares its stderr and exit code with `name`; `ports` become $PORT. */
async function golden(name: string, args: string[], ports: number[] = []): Promise<void> {
  const r = await runSimplex(args, { env: { SIMPLEX_ADMIN_PASSWORD: "" } });
  await assertGolden(name, goldenText(args, r, { ports }));
}

const portOf = (address: string) => Number(address.slice(address.lastIndexOf(":") + 1));

Deno.test("golden: admin on a port where no control port listens", async () => {
  const port = freePort();
  await golden(
    "admin_stats_refused",
    ["admin", "stats", "--server", `127.0.0.1:${port}`, "--password", "x"],
    [
      port,
    ],
  );
  await golden("admin_serve_refused", ["admin", "serve", "--relay", `127.0.0.1:${port}`, "--password", "x"], [
    port,
  ]);
});

Deno.test("golden: admin against a relay: wrong password, a role without the right, an unknown ID", async () => {
  const relay = await startTestRelay();
  try {
    const server = ["--server", relay.controlAddress];
    const ports = [portOf(relay.controlAddress)];
    await golden("admin_stats_wrong_password", ["admin", "stats", ...server, "--password", "wrong"], ports);
    await golden(
      "admin_delete_needs_admin",
      ["admin", "delete", "AAAA", ...server, "--password", USER_PASSWORD],
      ports,
    );
    await golden(
      "admin_status_unknown_id",
      ["admin", "status", "AAAA", ...server, "--password", USER_PASSWORD],
      ports,
    );
    const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const panelPort = taken.addr.port;
      await golden(
        "admin_serve_port_in_use",
        [
          "admin",
          "serve",
          "--relay",
          relay.controlAddress,
          "--password",
          USER_PASSWORD,
          "--port",
          String(panelPort),
        ],
        [...ports, panelPort],
      );
    } finally {
      taken.close();
    }
  } finally {
    await relay.close();
  }
});

Deno.test("golden: admin clients on an XFTP server's control port", async () => {
  const xftp = await startTestXftp();
  try {
    await golden(
      "admin_clients_on_xftp",
      ["admin", "clients", "--server", xftp.controlAddress, "--password", USER_PASSWORD],
      [portOf(xftp.controlAddress)],
    );
  } finally {
    await xftp.close();
  }
});

Deno.test("golden: admin usage errors are one line that points to --help", async () => {
  await golden("admin_no_command", ["admin"]);
  await golden("admin_stats_without_server", ["admin", "stats"]);
  await golden("admin_stats_without_password", ["admin", "stats", "--server", "127.0.0.1:5224"]);
  await golden("admin_block_bad_reason", ["admin", "block", "AAAA", "--reason", "rude", "--server", ":5224"]);
  await golden("admin_serve_without_servers", ["admin", "serve", "--password", "x"]);
  await golden("admin_serve_bad_option", ["admin", "serve", "--relays", ":5224"]);
});
