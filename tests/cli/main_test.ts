import assert from "node:assert/strict";
import { VERSION } from "../../cli/main.ts";
import { main } from "../../core/cli/dispatch.ts";
import { type Command, CommandError, UsageError } from "../../core/cli/command.ts";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

const echo: Command = {
  name: "echo",
  summary: "prints its arguments",
  usage: "Usage: simplex echo [--upper] WORDS...",
  subcommands: { say: "Usage: simplex echo say [--upper] WORDS..." },
  run(args) {
    if (args.includes("--bad")) return Promise.reject(new UsageError("unknown option '--bad'"));
    if (args.includes("--fail")) {
      return Promise.reject(new CommandError("/tmp/x is missing: create it first"));
    }
    if (args.includes("--io")) {
      return Promise.reject(new Deno.errors.ConnectionRefused("Connection refused (os error 111)"));
    }
    if (args.includes("--bug")) return Promise.reject(new RangeError("index out of range"));
    return Promise.resolve(args.length === 0 ? 1 : 0);
  },
};

const main_ = (args: string[], commands: Command[], io: { out(t: string): void; err(t: string): void }) =>
  main(args, commands, VERSION, io);

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

Deno.test("an unknown command is one line that points to --help, exit 2 (real process)", async () => {
  const r = await runCli(["frobnicate"]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, `simplex: unknown command 'frobnicate'; "simplex --help" lists the commands\n`);
});

Deno.test("an unknown global flag is a usage error", async () => {
  const c = capture();
  assert.equal(await main_(["--frob"], [echo], c.io), 2);
  assert.match(c.err.join("\n"), /unknown option '--frob'/);
});

Deno.test("no arguments prints the usage and exits 2", async () => {
  const c = capture();
  assert.equal(await main_([], [echo], c.io), 2);
  assert.match(c.out.join("\n"), /echo\s+prints its arguments/);
});

Deno.test("<command> --help prints the command's usage", async () => {
  const c = capture();
  assert.equal(await main_(["echo", "--help"], [echo], c.io), 0);
  assert.deepEqual(c.out, [echo.usage]);
});

Deno.test("a command's usage error is one line that points to its --help, exit 2", async () => {
  const c = capture();
  assert.equal(await main_(["echo", "--bad"], [echo], c.io), 2);
  assert.deepEqual(c.err, [`simplex echo: unknown option '--bad'; "simplex echo --help" lists the options`]);
});

Deno.test("a command's failure is one line naming the subcommand, exit 1, no usage", async () => {
  const c = capture();
  assert.equal(await main_(["echo", "say", "--fail"], [echo], c.io), 1);
  assert.deepEqual(c.err, ["simplex echo say: /tmp/x is missing: create it first"]);
});

Deno.test("an I/O error no command explained is one line, not a stack trace, exit 1", async () => {
  const c = capture();
  assert.equal(await main_(["echo", "say", "--io"], [echo], c.io), 1);
  assert.deepEqual(c.err, ["simplex echo say: Connection refused (os error 111)"]);
});

Deno.test("a programmer error is not hidden: it is rethrown", async () => {
  const c = capture();
  await assert.rejects(() => main_(["echo", "--bug"], [echo], c.io), RangeError);
});

Deno.test("<command> <subcommand> --help prints the subcommand's own help, wherever --help is", async () => {
  const c = capture();
  assert.equal(await main_(["echo", "say", "--upper", "--help"], [echo], c.io), 0);
  assert.equal(await main_(["echo", "say", "-h"], [echo], c.io), 0);
  assert.deepEqual(c.out, [echo.subcommands!.say, echo.subcommands!.say]);
  assert.equal(await main_(["echo", "--", "--help"], [echo], c.io), 0);
  assert.deepEqual(c.out.length, 2);
});

Deno.test("the command's exit code is passed through", async () => {
  const c = capture();
  assert.equal(await main_(["echo", "hi"], [echo], c.io), 0);
  assert.equal(await main_(["echo"], [echo], c.io), 1);
});

Deno.test("every subcommand of every registered command answers --help with its own usage", async () => {
  const { COMMANDS } = await import("../../cli/main.ts");
  for (const command of COMMANDS) {
    for (const [sub, text] of Object.entries(command.subcommands ?? {})) {
      const c = capture();
      assert.equal(await main([command.name, sub, "--help"], COMMANDS, VERSION, c.io), 0);
      assert.deepEqual(c.out, [text]);
      assert.match(text, new RegExp(`^Usage: simplex ${command.name} ${sub}\\b`), `${command.name} ${sub}`);
    }
  }
});

Deno.test("relay init --help and xftp-server start --help work as real processes", async () => {
  for (
    const args of [["relay", "init", "--help"], ["xftp-server", "start", "--help"], ["relay", "start", "-h"]]
  ) {
    const r = await runCli(args);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Usage: simplex ${args[0]} ${args[1]}`));
  }
});
