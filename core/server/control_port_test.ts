import assert from "node:assert/strict";
import { type ControlPort, generateControlPasswords, startControlPort } from "./control_port.ts";

/** Echoes the role for `role`, answers `auth`, closes on `quit`. */
function echoPort(): ControlPort {
  return startControlPort({
    port: 0,
    adminPassword: "admin-pw",
    userPassword: "user-pw",
    greeting: "test port\n'help' for supported commands",
    handleLine: (line, session) => {
      if (line === "quit") return Promise.resolve("quit");
      if (line.startsWith("auth ")) return Promise.resolve([session.auth(line.slice(5))]);
      if (line === "") return Promise.resolve([]);
      return Promise.resolve([`${line}: ${session.role}`]);
    },
  });
}

async function readAll(port: ControlPort, input: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: port.addr.port });
  await conn.write(new TextEncoder().encode(input));
  let text = "";
  for await (const chunk of conn.readable) text += new TextDecoder().decode(chunk);
  return text;
}

Deno.test("control port: greeting, answers in LF, CRLF accepted, empty answers write nothing, quit closes", async () => {
  const port = echoPort();
  try {
    const text = await readAll(port, "role\r\n\nrole\nquit\nrole\n");
    assert.equal(text, "test port\n'help' for supported commands\nrole: CPRNone\nrole: CPRNone\n");
  } finally {
    await port.close();
  }
});

Deno.test("control port: the first successful auth fixes the role for the connection", async () => {
  const port = echoPort();
  try {
    const text = await readAll(port, "auth wrong\nauth user-pw\nauth admin-pw\nauth user-pw\nrole\nquit\n");
    assert.deepEqual(text.split("\n").slice(2, 7), [
      "Current role is CPRNone",
      "Current role is CPRUser",
      "Current role is CPRUser, start new session to change.",
      "Current role is CPRUser",
      "role: CPRUser",
    ]);
    const admin = await readAll(port, "auth admin-pw\nrole\nquit\n");
    assert.deepEqual(admin.split("\n").slice(2, 4), ["Current role is CPRAdmin", "role: CPRAdmin"]);
  } finally {
    await port.close();
  }
});

Deno.test("control port: an over-long line is refused once and skipped to its end", async () => {
  const port = echoPort();
  try {
    const text = await readAll(port, `${"x".repeat(10_000)}\nrole\nquit\n`);
    assert.deepEqual(text.split("\n").slice(2, 4), ["error: line longer than 4096 bytes", "role: CPRNone"]);
  } finally {
    await port.close();
  }
});

Deno.test("control port: a handler that throws closes only its connection", async () => {
  const port = startControlPort({
    port: 0,
    greeting: "g",
    handleLine: (line) => line === "boom" ? Promise.reject(new Error("boom")) : Promise.resolve([line]),
  });
  try {
    assert.equal(await readAll(port, "a\nboom\nb\n"), "g\na\n");
    assert.equal(await readAll(port, "c\nboom\n"), "g\nc\n", "the port still serves others");
  } finally {
    await port.close();
  }
});

Deno.test("generated control passwords are distinct and usable with auth", () => {
  const { admin, user } = generateControlPasswords();
  assert.notEqual(admin, user);
  for (const p of [admin, user]) assert.match(p, /^[A-Za-z0-9_-]{32}$/);
});
