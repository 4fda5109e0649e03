import assert from "node:assert/strict";
import { main, VERSION } from "../../cli/main.ts";
import { type Command, UsageError } from "../../cli/command.ts";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

const echo: Command = {
  name: "echo",
  summary: "prints its arguments",
  usage: "Usage: simplex echo [--upper] WORDS...",
  run(args) {
    if (args.includes("--bad")) return Promise.reject(new UsageError("unknown option '--bad'"));
    return Promise.resolve(args.length === 0 ? 1 : 0);
  },
};

async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL("../../cli/main.ts", import.meta.url).pathname, ...args],
    stdout: "piped",
    stderr: "piped",
  });
  const { code, stdout, stderr } = await cmd.output();
  const dec = new TextDecoder();
  return { code, stdout: dec.decode(stdout), stderr: dec.decode(stderr) };
}

Deno.test("simplex --version prints the version (real process)", async () => {
  const r = await runCli(["--version"]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), `simplex ${VERSION}`);
});

Deno.test("simplex --help prints the usage and exits 0 (real process)", async () => {
  const r = await runCli(["--help"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: simplex <command>/);
});

Deno.test("an unknown command prints a message and the usage, exit 2 (real process)", async () => {
  const r = await runCli(["frobnicate"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
  assert.match(r.stderr, /Usage: simplex/);
});

Deno.test("an unknown global flag is a usage error", async () => {
  const c = capture();
  assert.equal(await main(["--frob"], [echo], c.io), 2);
  assert.match(c.err.join("\n"), /unknown option '--frob'/);
});

Deno.test("no arguments prints the usage and exits 2", async () => {
  const c = capture();
  assert.equal(await main([], [echo], c.io), 2);
  assert.match(c.out.join("\n"), /echo\s+prints its arguments/);
});

Deno.test("<command> --help prints the command's usage", async () => {
  const c = capture();
  assert.equal(await main(["echo", "--help"], [echo], c.io), 0);
  assert.deepEqual(c.out, [echo.usage]);
});

Deno.test("a command's usage error prints the message and its usage, exit 2", async () => {
  const c = capture();
  assert.equal(await main(["echo", "--bad"], [echo], c.io), 2);
  assert.match(c.err.join("\n"), /simplex echo: unknown option '--bad'/);
  assert.match(c.err.join("\n"), /Usage: simplex echo/);
});

Deno.test("the command's exit code is passed through", async () => {
  const c = capture();
  assert.equal(await main(["echo", "hi"], [echo], c.io), 0);
  assert.equal(await main(["echo"], [echo], c.io), 1);
});
